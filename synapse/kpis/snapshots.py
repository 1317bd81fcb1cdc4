"""KPI snapshots: compute every KPI for whole periods and store them (the nightly job).

Each period is computed for all its scopes at once by the engine
(``kpis_compute_all_scopes``: grouped queries per KPI, never per scope) and written in
one transaction with a bulk upsert on the snapshot's unique key (``snapshots_upsert``),
so a rerun overwrites rather than duplicates, and a run killed inside a period leaves
that period's old rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from decimal import Context, Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.db.models import F
from django.utils import timezone

from synapse.kpis.engine import (
    Bands,
    KpiValue,
    RunBatch,
    bands_in_force,
    kpis_compute_all_scopes,
)
from synapse.kpis.locks import job_lock
from synapse.kpis.models import KpiRun, KpiSnapshot
from synapse.kpis.periods import Period, local_date
from synapse.kpis.registry import Kpi, kpi_get, kpis_all
from synapse.kpis.selectors import kpi_run_last_success_at

logger = logging.getLogger(__name__)

LOCK_NAME = "synapse.kpis.snapshots"
#: Grains every KPI is stored for (kpis.md "Period": months are the main grain).
GRAINS = ("month", "quarter", "year")
#: KPIs also stored per ISO week (kpis.md: "utilization also for ISO weeks"). A KPI can
#: declare its own grains with ``extra={"snapshot_grains": (...)}``.
WEEKLY_KEYS = frozenset({"billable_utilization"})
#: The columns of a snapshot row as ``snapshot_row`` builds it and ``snapshots_upsert``
#: writes it (model attribute names, in this order).
SNAPSHOT_COLUMNS = (
    "key",
    "grain",
    "period_start",
    "period_end",
    "scope_kind",
    "scope_key",
    "value",
    "numerator",
    "denominator",
    "sample_size",
    "status",
    "band_low",
    "band_high",
    "reason",
    "definition_version",
    "computed_at",
)
#: The snapshot's unique key; a rerun updates every other column.
UNIQUE_FIELDS = ["key", "grain", "period_start", "scope_kind", "scope_key"]
UPDATE_FIELDS = [column for column in SNAPSHOT_COLUMNS if column not in UNIQUE_FIELDS]
_PLACES = Decimal("1e-10")  # the snapshot columns' decimal places
_WIDE = Context(prec=60)
_quantize = _WIDE.quantize

Progress = Callable[[Period], None]


def kpi_grains(kpi: Kpi) -> tuple[str, ...]:
    """Return the grains ``kpi`` is snapshotted at."""
    declared = kpi.extra.get("snapshot_grains")
    if declared:
        return tuple(declared)
    return ("week", *GRAINS) if kpi.key in WEEKLY_KEYS else GRAINS


def snapshot_kpis(*, grain: str, keys: Iterable[str] | None = None) -> list[Kpi]:
    """Return the registered KPIs (or those in ``keys``) snapshotted at ``grain``."""
    kpis = [kpi_get(key) for key in keys] if keys is not None else kpis_all()
    return [kpi for kpi in kpis if grain in kpi_grains(kpi)]


def periods_touching(grain: str, start: dt.date, end: dt.date) -> list[Period]:
    """Return every period of ``grain`` that overlaps ``[start, end]``, in order."""
    periods = []
    period = Period.containing(grain, start)
    while period.start <= end:
        periods.append(period)
        period = period.next()
    return periods


def backfill_periods(
    *, start: dt.date, end: dt.date, today: dt.date, keys: Iterable[str] | None = None
) -> list[Period]:
    """Return the periods a backfill of ``[start, end]`` computes, oldest first.

    Every month, quarter and year (and ISO week, for weekly KPIs) touching the range,
    less those that have not started by ``today``; only grains some KPI in ``keys``
    (default all) is stored at.
    """
    keys = list(keys) if keys is not None else None
    found: set[Period] = set()
    for grain in ("week", *GRAINS):
        if snapshot_kpis(grain=grain, keys=keys):
            found.update(periods_touching(grain, start, end))
    return sorted(p for p in found if p.start <= today)


def nightly_periods(*, today: dt.date, caught_up_from: dt.date | None = None) -> list[Period]:
    """Return the periods the nightly run recomputes, oldest first.

    The current and previous month, quarter and year, and the ISO weeks touching the
    current and previous month; plus, after missed nights, every period touching
    ``[caught_up_from, today]`` (the day of the last successful run to today).
    """
    found: set[Period] = set()
    for grain in GRAINS:
        current = Period.containing(grain, today)
        found.update((current, current.previous()))
    week_from = Period.containing("month", today).previous().start
    found.update(periods_touching("week", week_from, today))
    if caught_up_from is not None and caught_up_from < today:
        found.update(backfill_periods(start=caught_up_from, end=today, today=today))
    if not snapshot_kpis(grain="week"):
        found = {p for p in found if p.grain != "week"}
    return sorted(p for p in found if p.start <= today)


def as_stored(number: Decimal | None) -> Decimal | None:
    """Return ``number`` rounded to the snapshot columns' 10 places (both databases alike).

    Half-even rounding in a 60-digit context, so no digit a 30-digit column holds is lost.
    (``_WIDE.quantize(n, _PLACES)`` is ``n.quantize(_PLACES, context=_WIDE)``; the
    keyword argument alone cost half of it, and a backfill rounds 740k numbers.)
    """
    if number is None:
        return None
    if type(number) is not Decimal:
        number = Decimal(number)
    return _quantize(number, _PLACES)


def snapshot_row(value: KpiValue, *, period: Period, computed_at: dt.datetime) -> tuple:
    """Return the snapshot row of one computed KPI value: a tuple in ``SNAPSHOT_COLUMNS``
    order, of the model attributes' Python values (a tuple, not an unsaved model: the
    nightly job writes a quarter of a million of them in a backfill)."""
    result = value.result
    band = value.band or (None, None)
    return (
        value.kpi.key,
        period.grain,
        period.start,
        period.end,
        value.scope.kind,
        value.scope.key,
        as_stored(result.value),
        as_stored(result.numerator),
        as_stored(result.denominator),
        result.sample_size,
        value.status or "",
        band[0],
        band[1],
        result.reason[:200],
        value.kpi.version,
        computed_at,
    )


def _upsert_sql(placeholders: str, *, conflicts: bool) -> str:
    """Return ``INSERT INTO <snapshots> (<columns>) <placeholders>``, followed by
    ``ON CONFLICT (<unique key>) DO UPDATE SET …`` when ``conflicts``."""
    quote = connection.ops.quote_name
    table = quote(KpiSnapshot._meta.db_table)
    names = ", ".join(quote(KpiSnapshot._meta.get_field(n).column) for n in SNAPSHOT_COLUMNS)
    # Names come from the model's _meta, values travel as parameters.
    sql = f"INSERT INTO {table} ({names}) {placeholders}"
    if not conflicts:
        return sql
    unique = ", ".join(quote(KpiSnapshot._meta.get_field(n).column) for n in UNIQUE_FIELDS)
    updates = ", ".join(
        f"{quote(c)} = EXCLUDED.{quote(c)}"
        for c in (KpiSnapshot._meta.get_field(n).column for n in UPDATE_FIELDS)
    )
    return f"{sql} ON CONFLICT ({unique}) DO UPDATE SET {updates}"


def _db_prepared(rows: Sequence[tuple]) -> Sequence[tuple]:
    """Return ``rows`` with each value as the model field would send it to the database.

    Text, integer and decimal columns need no conversion: for a ``str``, ``int``,
    ``Decimal`` or None, ``get_db_prep_save`` returns the value itself on both
    backends (``DecimalField.to_python`` of a Decimal is that Decimal and
    ``adapt_decimalfield_value`` returns it; PostgreSQL rounds it to the column's scale,
    SQLite's driver adapts it with ``str`` — the same as for the ORM's ``bulk_create``).
    Date and datetime columns go through the field's ``get_db_prep_save`` (SQLite
    stores text, naive UTC for a datetime), once per distinct value: a period's rows
    share their dates and ``computed_at``. When that returns every value itself
    (PostgreSQL's driver adapts dates and aware datetimes), ``rows`` are returned as
    they are.
    """
    fields = [KpiSnapshot._meta.get_field(name) for name in SNAPSHOT_COLUMNS]
    converted = {
        i: {value: f.get_db_prep_save(value, connection) for value in {row[i] for row in rows}}
        for i, f in enumerate(fields)
        if isinstance(f, models.DateField | models.DateTimeField)
    }
    converted = {
        i: values
        for i, values in converted.items()
        if any(prepared is not value for value, prepared in values.items())
    }
    if not converted:
        return rows
    out = []
    for row in rows:
        row = list(row)
        for i, values in converted.items():
            row[i] = values[row[i]]
        out.append(tuple(row))
    return out


def _server_binding_cursor() -> Any:
    """Return a Django cursor on PostgreSQL that sends parameters apart from the SQL.

    Django's default psycopg cursor inlines every parameter as a literal on the client
    (``ClientCursor``), which for a period's arrays of thousands of decimals costs more
    than the INSERT itself; a plain ``psycopg.Cursor`` sends them in binary. Wrapped
    like any Django cursor, so errors map to Django's and ``CaptureQueriesContext``
    sees the statement.
    """
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = ServerBindingCursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def _copy_rows(rows: Sequence[tuple]) -> None:
    """Write ``rows`` (prepared) on PostgreSQL with one ``COPY … FROM STDIN``, each row
    formatted by psycopg (``write_row``).

    A plain insert: a row already stored under the same unique key fails the whole
    COPY (an ``IntegrityError``, like the INSERT's), and the column types apply as on
    INSERT (lengths checked, decimals rounded to the column's scale — already done by
    ``as_stored``). Logged as a query like any other when queries are (tests' captures).
    """
    from django.db.backends.utils import CursorDebugWrapper

    quote = connection.ops.quote_name
    names = ", ".join(quote(KpiSnapshot._meta.get_field(n).column) for n in SNAPSHOT_COLUMNS)
    # Names come from the model's _meta; the values travel in the COPY data.
    sql = f"COPY {quote(KpiSnapshot._meta.db_table)} ({names}) FROM STDIN"
    with connection.cursor() as cursor:
        logged = cursor.debug_sql(sql) if isinstance(cursor, CursorDebugWrapper) else nullcontext()
        with logged, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)


def snapshots_upsert(rows: Sequence[tuple], *, conflicts: bool = True) -> None:
    """Insert snapshot ``rows`` (tuples in ``SNAPSHOT_COLUMNS`` order), or update the row
    already stored under the same unique key (KPI, grain, period start, scope), in one
    statement. ``conflicts=False`` says none of the rows is stored yet: a plain insert
    (a row already there is then an ``IntegrityError``).

    Raw SQL on purpose: ``bulk_create(update_conflicts=True)`` compiled every value of
    every row through Django's query compiler, which cost more than computing the KPIs
    (docs/performance.md). What is stored is the same (``_db_prepared``). On
    PostgreSQL one ``INSERT … SELECT * FROM UNNEST(<one array per column>) ON CONFLICT
    … DO UPDATE`` (the shape Django's own bulk insert takes there), the arrays sent in
    binary; the plain insert is a ``COPY`` (``_copy_rows``: psycopg formats the rows in
    C, where its array dumper is Python — a third of the write's CPU). On
    SQLite (3.24 or later) the same upsert or INSERT with ``executemany`` of one row of
    parameters each. Call it inside the period's transaction.
    """
    if not rows:
        return
    prepared = _db_prepared(rows)
    if connection.vendor == "postgresql" and not conflicts:
        _copy_rows(prepared)
    elif connection.vendor == "postgresql":
        # Casts without a size (varchar[], numeric[]), like Django's: nothing is
        # truncated on the way, the column's own type applies on insert.
        arrays = ", ".join(
            f"%b::{KpiSnapshot._meta.get_field(n).db_type(connection).split('(')[0]}[]"
            for n in SNAPSHOT_COLUMNS
        )
        sql = _upsert_sql(f"SELECT * FROM UNNEST({arrays})", conflicts=conflicts)
        with _server_binding_cursor() as cursor:
            cursor.execute(sql, [list(column) for column in zip(*prepared, strict=True)])
    else:
        marks = ", ".join(["%s"] * len(SNAPSHOT_COLUMNS))
        sql = _upsert_sql(f"VALUES ({marks})", conflicts=conflicts)
        with connection.cursor() as cursor:
            cursor.executemany(sql, prepared)


def snapshots_compute_period(
    *,
    period: Period,
    as_of: dt.datetime,
    keys: Iterable[str] | None = None,
    run: KpiRun | None = None,
    bands: Bands | None = None,
    batch: RunBatch | None = None,
    stored: frozenset[tuple[str, str, dt.date]] | None = None,
) -> int:
    """Compute and store one period's snapshots of every KPI (or ``keys``) and scope.

    One transaction: upsert every row on the unique key, then delete the rows of the
    same KPIs and period that this computation no longer produced (a scope that lost
    its data), and count the period on ``run``. Return the number of rows written.
    ``bands``: the bands in force, when the caller read them already (a run reads them
    once, so all its periods are judged against the same bands).

    A period that holds no row of these KPIs yet (a first backfill) takes a plain INSERT
    and no delete: ``ON CONFLICT`` costs a second probe of the unique index per row, and
    the delete a pass over the period's rows, for nothing then. Only one snapshot run
    writes at a time (the job lock); should another writer insert the same period in
    between anyway, the INSERT fails on the unique key and the period rolls back whole.
    ``stored``: the (key, grain, period start) stored when the run began
    (``stored_periods``), instead of a probe of this period's rows.
    """
    kpis = snapshot_kpis(grain=period.grain, keys=keys)
    if not kpis:
        return 0
    computed = [kpi.key for kpi in kpis]
    with transaction.atomic():
        rows_before = KpiSnapshot.objects.filter(
            key__in=computed, grain=period.grain, period_start=period.start
        )
        values = kpis_compute_all_scopes(
            period=period, as_of=as_of, keys=computed, bands=bands, batch=batch
        )
        rows = [snapshot_row(value, period=period, computed_at=as_of) for value in values]
        if stored is None:
            first_write = not rows_before.exists()
        else:
            first_write = not any((key, period.grain, period.start) in stored for key in computed)
        snapshots_upsert(rows, conflicts=not first_write)
        if not first_write:
            rows_before.exclude(computed_at=as_of).delete()
        _count(run, rows=len(rows))
    return len(rows)


def stored_periods(
    periods: Sequence[Period], *, keys: Iterable[str] | None = None
) -> frozenset[tuple[str, str, dt.date]]:
    """Return the (key, grain, period start) of the snapshots stored for ``periods``
    (of ``keys``, or every KPI): one query for a whole run, instead of a probe per
    period of whether it holds rows yet (``snapshots_compute_period``)."""
    if not periods:
        return frozenset()
    found = KpiSnapshot.objects.filter(
        period_start__gte=min(p.start for p in periods),
        period_start__lte=max(p.start for p in periods),
    )
    if keys is not None:
        found = found.filter(key__in=list(keys))
    return frozenset(found.values_list("key", "grain", "period_start").distinct().order_by())


def _count(run: KpiRun | None, *, rows: int) -> None:
    """Count one period of ``rows`` rows on ``run``, as the period's last statement: the
    run's row stays locked until the period commits, so a run computing periods on
    several connections (``_periods_compute``) holds it only while committing."""
    if run is not None:
        KpiRun.objects.filter(pk=run.pk).update(
            periods_done=F("periods_done") + 1, snapshots_written=F("snapshots_written") + rows
        )


@dataclass(frozen=True)
class RunOutcome:
    """What a snapshot run did: its record, and whether it computed or skipped."""

    run_id: int
    status: str
    periods: int
    snapshots: int
    alerts: int = 0

    @property
    def skipped(self) -> bool:
        return self.status == KpiRun.Status.SKIPPED

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "periods": self.periods,
            "snapshots": self.snapshots,
            "alerts": self.alerts,
        }


def _lock_ttl() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "CELERY_TASK_TIME_LIMIT", 3600) or 3600)


def snapshots_run(
    *,
    kind: str,
    periods: Callable[[], list[Period]],
    as_of: dt.datetime,
    keys: list[str] | None = None,
    progress: Progress | None = None,
    before_start: Callable[[list[Period]], None] | None = None,
) -> RunOutcome:
    """Run the snapshot job over ``periods()`` under the job lock, recorded as a ``KpiRun``.

    When another run holds the lock, record a skipped run and compute nothing. The
    periods are listed once the lock is held (catch-up reads the last successful run).
    The bands in force are read once, so every period of a run is judged against the
    same bands. Each period is its own transaction; on an error the run is marked
    failed and the error re-raised (the periods done so far keep their new rows). A
    nightly run ends with the threshold alerts.
    """
    from synapse.kpis.alerts import alerts_check

    with job_lock(LOCK_NAME, ttl=_lock_ttl()) as acquired:
        if not acquired:
            logger.warning("KPI snapshot %s run skipped: another run holds the lock", kind)
            run = KpiRun.objects.create(
                kind=kind,
                status=KpiRun.Status.SKIPPED,
                started_at=as_of,
                finished_at=timezone.now(),
                keys=",".join(keys or [])[:500],
                error="skipped: another snapshot run holds the lock",
            )
            return RunOutcome(run.pk, run.status, 0, 0)
        # Holding the lock, no other run can be in progress: a run still marked running
        # was killed (kill -9, a lost host) before it could record its end.
        KpiRun.objects.filter(status=KpiRun.Status.RUNNING).update(
            status=KpiRun.Status.FAILED,
            finished_at=timezone.now(),
            error="abandoned: its process died before the run ended",
        )
        todo = periods()
        if before_start is not None:
            before_start(todo)
        run = KpiRun.objects.create(
            kind=kind,
            started_at=as_of,
            range_start=min((p.start for p in todo), default=None),
            range_end=max((p.end for p in todo), default=None),
            keys=",".join(keys or [])[:500],
        )
        try:
            bands = bands_in_force()
            batch = RunBatch(periods=todo)
            compute = partial(
                snapshots_compute_period,
                as_of=as_of,
                keys=keys,
                run=run,
                bands=bands,
                batch=batch,
                stored=stored_periods(todo, keys=keys),
            )
            _periods_compute(todo, compute, progress=progress)
            alerts = alerts_check(as_of=as_of) if kind == KpiRun.Kind.NIGHTLY else []
        except Exception as exc:
            _run_fail(run, exc)
            raise
        run.refresh_from_db()
        run.status = KpiRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at"])
        return RunOutcome(run.pk, run.status, run.periods_done, run.snapshots_written, len(alerts))


def run_connections() -> int:
    """Return how many database connections a snapshot run computes periods on at once.

    ``SYNAPSE_SNAPSHOT_CONNECTIONS`` (default 2). Only on PostgreSQL, and only when the
    run is not inside a caller's transaction (other connections could not see its
    uncommitted rows; tests run inside one): otherwise 1.
    """
    wanted = max(1, settings.SYNAPSE_SNAPSHOT_CONNECTIONS)
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return wanted


def _periods_compute(
    todo: Sequence[Period], compute: Callable[..., int], *, progress: Progress | None
) -> None:
    """Compute and store each period of ``todo`` (``compute(period=...)``), in order.

    With ``run_connections()`` above 1, that many threads each take the next period
    from the list on their own database connection, so one period's statements run in
    the database while another period's rows are summed and formatted in Python (the
    two halves of the work are about equal: a serial run leaves one core idle). Every
    period is still its own transaction, so what a run stores is the same; the shared
    ``RunBatch`` gathers each batched input once (``RunBatch.gathered``). The first
    error stops the other threads after their current period and is raised.
    """
    workers = min(run_connections(), len(todo))
    if workers <= 1:
        with _commits_unflushed():
            for period in todo:
                compute(period=period)
                if progress is not None:
                    progress(period)
        return
    pending = iter(todo)
    guard = threading.Lock()
    failed = threading.Event()

    def work() -> None:
        try:
            with _commits_unflushed():
                while not failed.is_set():
                    with guard:
                        period = next(pending, None)
                    if period is None:
                        return
                    compute(period=period)
                    if progress is not None:
                        with guard:
                            progress(period)
        except BaseException:
            failed.set()
            raise
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(workers, thread_name_prefix="kpi-snapshots") as pool:
        futures = [pool.submit(work) for _ in range(workers)]
        try:
            for future in futures:
                future.result()  # the first error, if any
        except BaseException:
            # Also an error of this thread while it waits (a task's soft time limit):
            # the others stop after their current period.
            failed.set()
            raise


@contextmanager
def _commits_unflushed() -> Iterator[None]:
    """On PostgreSQL, let the periods' commits return before their WAL is on disk
    (``synchronous_commit = off`` for the session, reset on exit).

    Each period's transaction still commits whole or not at all, and in order; only a
    crash of the database server itself (not of this process: a kill -9 here loses
    nothing committed) can lose the last periods committed, up to three times
    ``wal_writer_delay`` (0.6 s by default) before it, and never a later one without
    the earlier ones. The run's end (succeeded or failed) is written after the reset,
    with a flushing commit that takes every earlier period's WAL to disk with it: a
    run recorded as succeeded lost nothing. One that a server crash cut short stays
    "running", is marked abandoned by the next run, and the nightly run catches up
    from the last successful one. Saves a disk flush per period (3–5 ms at load 3).
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:
            # The session is broken and takes its setting with it once closed.
            logger.warning("could not reset synchronous_commit; closing the connection")
            connection.close()


def _run_fail(run: KpiRun, exc: BaseException) -> None:
    try:
        KpiRun.objects.filter(pk=run.pk).update(
            status=KpiRun.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
    except Exception:  # the database may be what failed; the task's retry handles it
        logger.exception("could not record the failure of KPI run %s", run.pk)


def snapshots_nightly(*, as_of: dt.datetime | None = None) -> RunOutcome:
    """Recompute the nightly periods and catch up every period since the last success.

    See ``nightly_periods``; ends with threshold alerts on the company's months.
    """
    as_of = as_of or timezone.now()
    today = local_date(as_of)

    def periods() -> list[Period]:
        last = kpi_run_last_success_at(kind=KpiRun.Kind.NIGHTLY)
        return nightly_periods(
            today=today, caught_up_from=None if last is None else local_date(last)
        )

    return snapshots_run(kind=KpiRun.Kind.NIGHTLY, periods=periods, as_of=as_of)


def snapshots_backfill(
    *,
    start: dt.date,
    end: dt.date,
    keys: list[str] | None = None,
    as_of: dt.datetime | None = None,
    progress: Progress | None = None,
    before_start: Callable[[list[Period]], None] | None = None,
) -> RunOutcome:
    """Compute and store every period touching ``[start, end]`` (see ``backfill_periods``)."""
    as_of = as_of or timezone.now()
    today = local_date(as_of)
    return snapshots_run(
        kind=KpiRun.Kind.BACKFILL,
        periods=lambda: backfill_periods(start=start, end=end, today=today, keys=keys),
        as_of=as_of,
        keys=keys,
        progress=progress,
        before_start=before_start,
    )
