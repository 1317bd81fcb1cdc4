"""The KPI engine: compute registered KPIs for a period and scope(s).

``kpi_report``, the nightly snapshots and the dashboards all call ``kpis_compute``
or ``kpis_compute_all_scopes``, so the three can never disagree.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import Any, TypeVar

from django.db.models import DateField, Expression, QuerySet, Value
from django.db.models.functions import Cast, Trunc
from django.utils import timezone

from synapse.kpis.periods import (
    COMPANY,
    SCOPE_KINDS,
    Period,
    Scope,
    firm_tz,
    local_date,
    local_midnight,
)
from synapse.kpis.registry import Kpi, kpi_get, kpis_all
from synapse.kpis.results import NO_DATA, KpiResult, band_status

T = TypeVar("T")
#: Grains made of whole calendar months (``KpiContext.summed``).
TILED_GRAINS = frozenset({"month", "quarter", "year"})
_SCOPE_ORDER = attrgetter("kind", "key")


@dataclass
class RunBatch:
    """The periods one snapshot run computes, shared by their contexts.

    A KPI input that is cheaper gathered for many periods in one grouped statement than
    once per period (``KpiContext.batched``) is gathered here for all the run's periods
    of the same grain, and handed out period by period.
    """

    periods: Sequence[Period]
    memo: dict[Any, Any] = field(default_factory=dict)
    _by_grain: dict[str, tuple[Period, ...]] = field(default_factory=dict)
    _locks: dict[Any, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def gathered(self, key: Any, gather: Callable[[], T]) -> T:
        """Return ``gather()``, run once per ``key`` for the whole run.

        A run may compute its periods on several threads: a thread wanting an input
        another is gathering waits for it instead of gathering it again.
        """
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self.memo:
                self.memo[key] = gather()
        return self.memo[key]

    def siblings(self, period: Period) -> tuple[Period, ...]:
        """Return the run's periods of ``period``'s grain, oldest first."""
        if period.grain not in self._by_grain:
            self._by_grain[period.grain] = tuple(
                sorted(p for p in self.periods if p.grain == period.grain)
            )
        return self._by_grain[period.grain]

    def months(self) -> tuple[Period, ...]:
        """Return the calendar months tiling the run's months, quarters and years."""
        if "months" not in self._by_grain:
            tiled = [p for p in self.periods if p.grain in TILED_GRAINS]
            months: list[Period] = []
            if tiled:
                month = Period.containing("month", min(p.start for p in tiled))
                last = max(p.end for p in tiled)
                while month.start <= last:
                    months.append(month)
                    month = month.next()
            self._by_grain["months"] = tuple(months)
        return self._by_grain["months"]


@dataclass
class KpiContext:
    """What a KPI's compute function gets: the period, the clock and the scopes wanted.

    ``kinds`` are the scope kinds to return; ``only`` narrows to one scope (then
    ``kinds`` is that scope's kind plus nothing else). ``memo`` shares gathered inputs
    between KPIs computed in one run (e.g. completed projects' revenue and cost).
    ``batch``: the snapshot run this context is one period of (``batched``).
    """

    period: Period
    as_of: dt.datetime
    kinds: frozenset[str]
    only: Scope | None = None
    memo_store: dict[str, Any] = field(default_factory=dict)
    batch: RunBatch | None = None

    @property
    def start(self) -> dt.date:
        return self.period.start

    @property
    def end(self) -> dt.date:
        """Return the last day counted: the period end, or today if the period is running."""
        return min(self.period.end, local_date(self.as_of))

    @property
    def is_future(self) -> bool:
        return self.period.start > local_date(self.as_of)

    @property
    def start_dt(self) -> dt.datetime:
        """Return 00:00 firm time on the first day (inclusive lower bound for datetimes)."""
        return local_midnight(self.period.start)

    @property
    def end_dt(self) -> dt.datetime:
        """Return the exclusive upper bound for datetimes: the day after the end, or now."""
        return min(local_midnight(self.period.end + dt.timedelta(days=1)), self.as_of)

    def wants(self, kind: str) -> bool:
        return kind in self.kinds

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """Return ``compute()``, computed once per context under ``name``."""
        if name not in self.memo_store:
            self.memo_store[name] = compute()
        return self.memo_store[name]

    def batched(
        self,
        name: str,
        gather: Callable[[KpiContext, tuple[Period, ...]], Any],
        pick: Callable[[Any, Period], T],
    ) -> T:
        """Return this period's share of ``gather(self, periods)``, gathered once.

        ``gather`` answers for several periods of one grain at once (one grouped
        statement, e.g. ``GROUP BY period_bucket(...)``); ``pick(gathered, period)``
        takes one period's share out of it. Alone, a context passes its own period; in a
        snapshot run, all the run's periods of its grain that have started, so a
        five-year backfill sends one statement per grain instead of one per period.
        Each period's share is picked once, then kept in this context's ``memo``.
        """
        if name in self.memo_store:
            return self.memo_store[name]
        gathered: Any = None
        if self.batch is not None:
            today = local_date(self.as_of)
            siblings = tuple(p for p in self.batch.siblings(self.period) if p.start <= today)
            if self.period in siblings:
                key = (name, self.period.grain, self.kinds, self.only, self.as_of)
                gathered = self.batch.gathered(key, lambda: gather(self, siblings))
        if gathered is None:
            gathered = gather(self, (self.period,))
        value = self.memo_store[name] = pick(gathered, self.period)
        return value

    def summed(
        self,
        name: str,
        gather: Callable[[KpiContext, tuple[Period, ...]], dict[Period, list[Any]]],
        combine: Callable[[list[list[Any]]], T],
    ) -> T:
        """Return this period's value of an input that adds up over days (hours, days
        counted), gathered once per snapshot run.

        ``gather(self, periods)`` returns the grouped rows of each period it is given
        (one statement grouped by period, ``period_bucket``); ``combine`` turns the row
        lists of one or more periods into the value, summing them. In a snapshot run
        the months, quarters and years are gathered once by calendar month, and a
        quarter or a year is ``combine`` of its months' rows (sums of grouped rows, no
        row read twice); weeks are gathered once for all the run's weeks
        (``batched``). Alone, or for a custom period, ``gather`` answers for this
        period only.
        """
        if name in self.memo_store:
            return self.memo_store[name]
        if self.batch is None or self.period.grain == "custom":
            inside = [gather(self, (self.period,))[self.period]]
        elif self.period.grain not in TILED_GRAINS:
            return self.batched(name, gather, lambda found, period: combine([found.pop(period)]))
        else:
            today = local_date(self.as_of)
            months = tuple(m for m in self.batch.months() if m.start <= today)
            if not months or not months[0].start <= self.period.start <= months[-1].start:
                inside = [gather(self, (self.period,))[self.period]]
            else:
                key = (name, "months", self.kinds, self.only, self.as_of)
                found = self.batch.gathered(key, lambda: gather(self, months))
                inside = [
                    rows
                    for month, rows in found.items()
                    if self.period.start <= month.start and month.end <= self.period.end
                ]
        value = self.memo_store[name] = combine(inside)
        return value

    def span(self, periods: Sequence[Period]) -> tuple[dt.date, dt.date]:
        """Return the first and last day counted over ``periods`` (sorted, of this
        context's clock): the first start, and the last end or today if it is running."""
        return periods[0].start, min(periods[-1].end, local_date(self.as_of))

    def span_dt(self, periods: Sequence[Period]) -> tuple[dt.datetime, dt.datetime]:
        """Return ``span`` as datetimes: 00:00 firm time on the first day (inclusive) and
        the exclusive upper bound, the day after the last end or now."""
        after = local_midnight(periods[-1].end + dt.timedelta(days=1))
        return local_midnight(periods[0].start), min(after, self.as_of)

    def narrow(self, queryset: QuerySet, **lookups: str) -> QuerySet:
        """Filter ``queryset`` to ``only`` when set: ``lookups`` map a scope kind to the
        lookup of its key, e.g. ``narrow(qs, client="client__code", project="code")``."""
        if self.only is None or self.only.kind == "company":
            return queryset
        lookup = lookups.get(self.only.kind)
        if lookup is None:
            return queryset
        return queryset.filter(**{lookup: self.only.key})


def period_bucket(
    field_name: str, periods: Sequence[Period], *, moment: bool = False
) -> Expression:
    """Return the SQL expression of the start of the period of ``periods`` that the date
    ``field_name`` falls in: its ISO week, month, quarter or year (``Trunc``), or the
    one custom period's start. Group by it to answer for all ``periods`` at once.
    ``moment``: the field is a datetime, bucketed by its firm-local date."""
    grain = periods[0].grain
    if len(periods) == 1 or grain == "custom":
        return Value(periods[0].start, output_field=DateField())
    tzinfo = firm_tz() if moment else None
    # PostgreSQL truncates a date as a timestamp: cast back in SQL, so a date (not a
    # timestamp to parse and convert) comes back.
    return Cast(Trunc(field_name, grain, output_field=DateField(), tzinfo=tzinfo), DateField())


def by_period(
    rows: Iterable[Any], periods: Sequence[Period], *, bucket: str | int = "bucket"
) -> dict[Period, list[Any]]:
    """Sort grouped ``rows`` (dicts, or tuples with ``bucket`` an index) into their
    periods by the row's ``bucket`` (a period start, ``period_bucket``); every period of
    ``periods`` gets a list, rows of no period none."""
    out: dict[Period, list[Any]] = {period: [] for period in periods}
    if len(periods) == 1:
        out[periods[0]] = list(rows)
        return out
    starts = {period.start: period for period in periods}
    for row in rows:
        period = starts.get(row[bucket])
        if period is not None:
            out[period].append(row)
    return out


def grouped(rows: Iterable[dict], kind: str, key_field: str) -> dict[Scope, dict]:
    """Map rows of a ``values(key_field).annotate(...)`` query to scopes of ``kind``."""
    return {Scope(kind, str(row[key_field])): row for row in rows if row[key_field] is not None}


@dataclass(frozen=True)
class KpiValue:
    """A KPI result with the band in force and its status, ready to report or store."""

    kpi: Kpi
    scope: Scope
    result: KpiResult
    band: tuple[Decimal | None, Decimal | None] | None
    status: str | None

    @property
    def value(self) -> Decimal | None:
        return self.result.value

    def as_json(self, places: int = 4) -> dict[str, Any]:
        """Return the ``kpi_report`` JSON of data-exchange.md (numbers rounded to ``places``)."""
        return {
            "value": _num(self.result.value, places),
            "unit": self.kpi.unit,
            "numerator": _num(self.result.numerator, places),
            "denominator": _num(self.result.denominator, places),
            "sample_size": self.result.sample_size,
            "status": self.status,
            "band": None if self.band is None else [_num(b, places) for b in self.band],
            **({"reason": self.result.reason} if self.result.value is None else {}),
        }


def _num(value: Decimal | None, places: int) -> float | None:
    if value is None:
        return None
    return float(round(value, places))


Bands = dict[str, tuple[Decimal | None, Decimal | None]]


def bands_in_force() -> Bands:
    """Return the band of every KPI that has one (admin-edited ``KpiBand`` rows)."""
    from synapse.kpis.models import KpiBand

    return {band.key: (band.low, band.high) for band in KpiBand.objects.all()}


def _evaluate(
    kpi: Kpi, ctx: KpiContext, bands: dict[str, tuple[Decimal | None, Decimal | None]]
) -> dict[Scope, KpiValue]:
    results = {} if ctx.is_future else kpi.compute(ctx)
    band = bands.get(kpi.key)
    return {
        scope: KpiValue(kpi, scope, result, band, band_status(result.value, band))
        for scope, result in results.items()
    }


def kpis_compute(
    *,
    period: Period,
    scope: Scope = COMPANY,
    as_of: dt.datetime | None = None,
    keys: Iterable[str] | None = None,
) -> dict[str, KpiValue]:
    """Return every KPI that supports ``scope`` (or those in ``keys``) for one scope."""
    as_of = as_of or timezone.now()
    kpis = [kpi_get(k) for k in keys] if keys is not None else kpis_all()
    kpis = [kpi for kpi in kpis if scope.kind in kpi.scopes]
    ctx = KpiContext(period=period, as_of=as_of, kinds=frozenset({scope.kind}), only=scope)
    bands = bands_in_force()
    values = {}
    for kpi in kpis:
        found = _evaluate(kpi, ctx, bands)
        band = bands.get(kpi.key)
        values[kpi.key] = found.get(scope) or KpiValue(
            kpi, scope, NO_DATA, band, band_status(None, band)
        )
    return values


def kpis_compute_all_scopes(
    *,
    period: Period,
    as_of: dt.datetime | None = None,
    keys: Iterable[str] | None = None,
    bands: Bands | None = None,
    batch: RunBatch | None = None,
) -> list[KpiValue]:
    """Return every KPI for the company and every client, project and employee with data.

    The company value is always present (no data when empty); other scopes appear only
    where they have data. Queries are per KPI, not per scope. ``bands`` are the bands
    in force (``bands_in_force()``, read here when not given): a snapshot run reads
    them once for all its periods. ``batch``: the snapshot run's periods, for the
    inputs gathered for all of them at once (``KpiContext.batched``).
    """
    as_of = as_of or timezone.now()
    kpis = [kpi_get(k) for k in keys] if keys is not None else kpis_all()
    if bands is None:
        bands = bands_in_force()
    ctx = KpiContext(period=period, as_of=as_of, kinds=frozenset(SCOPE_KINDS), batch=batch)
    out: list[KpiValue] = []
    for kpi in kpis:
        found = _evaluate(kpi, ctx, bands)
        if COMPANY not in found:
            band = bands.get(kpi.key)
            found[COMPANY] = KpiValue(kpi, COMPANY, NO_DATA, band, band_status(None, band))
        # Scope order (kind, then key) by a key tuple: cheaper than the dataclass's __lt__.
        scopes = sorted(found, key=_SCOPE_ORDER)
        out.extend(found[s] for s in scopes if s.kind in kpi.scopes)
    return out
