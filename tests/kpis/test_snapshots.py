"""KPI snapshots: equal to kpi_report, idempotent, locked, caught up, atomic per period."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from surveys.models import SurveyResponse
from synapse.kpis import snapshots
from synapse.kpis.locks import advisory_key
from synapse.kpis.models import KpiLock, KpiRun, KpiSnapshot
from synapse.kpis.periods import Period
from synapse.kpis.registry import kpis_all
from synapse.kpis.snapshots import (
    LOCK_NAME,
    nightly_periods,
    snapshots_backfill,
    snapshots_compute_period,
    snapshots_nightly,
)
from tests.factories import SurveyResponseFactory

pytestmark = pytest.mark.django_db

APRIL_1 = dt.datetime(2025, 4, 1, 2, 0, tzinfo=dt.UTC)
FEB = Period.month(2025, 2)
SCOPES = [("company", ""), ("client", "C001"), ("employee", "emp-c001")]


def report(period: Period, scope: str) -> dict:
    """Return the kpi_report JSON of ``period`` and ``scope``."""
    out = io.StringIO()
    call_command(
        "kpi_report",
        "--start",
        period.start.isoformat(),
        "--end",
        period.end.isoformat(),
        "--scope",
        scope,
        stdout=out,
    )
    return json.loads(out.getvalue())["kpis"]


def as_reported(row: KpiSnapshot) -> dict:
    """Return a snapshot row in kpi_report's JSON shape (numbers rounded to 4 places)."""

    def num(value):
        return None if value is None else float(round(value, 4))

    return {
        "value": num(row.value),
        "numerator": num(row.numerator),
        "denominator": num(row.denominator),
        "sample_size": row.sample_size,
        "status": row.status or None,
        "band": (
            None
            if row.band_low is None and row.band_high is None
            else [num(row.band_low), num(row.band_high)]
        ),
    }


@pytest.mark.parametrize(
    "period",
    [FEB, Period.quarter(2025, 1), Period.year(2025), Period.iso_week(2025, 7)],
    ids=["month", "quarter", "running-year", "iso-week"],
)
def test_snapshots_equal_kpi_report_for_every_kpi_at_company_client_employee_scope(firm, period):
    firm(3)
    with time_machine.travel(APRIL_1, tick=False):
        snapshots_compute_period(period=period, as_of=timezone.now())
        for scope_kind, scope_key in SCOPES:
            reported = report(period, f"{scope_kind}:{scope_key}" if scope_key else scope_kind)
            rows = {
                row.key: row
                for row in KpiSnapshot.objects.filter(
                    grain=period.grain,
                    period_start=period.start,
                    scope_kind=scope_kind,
                    scope_key=scope_key,
                )
            }
            expected_keys = {
                kpi.key
                for kpi in snapshots.snapshot_kpis(grain=period.grain)
                if scope_kind in kpi.scopes
            }
            assert expected_keys <= set(reported)
            if scope_kind == "company":
                # The company has a row for every KPI of the grain, data or not.
                assert set(rows) == expected_keys
            assert set(rows) <= expected_keys
            for key in expected_keys:
                fields = ("value", "numerator", "denominator", "sample_size", "status", "band")
                want = {f: reported[key][f] for f in fields}
                if key in rows:
                    assert as_reported(rows[key]) == want, key
                else:  # a client with no data has no row: the report says no data
                    assert reported[key]["value"] is None, key
    company_keys = KpiSnapshot.objects.filter(scope_kind="company").values_list("key", flat=True)
    if period.grain == "week":
        assert set(company_keys) == {"billable_utilization"}
    else:
        assert set(company_keys) == {kpi.key for kpi in kpis_all()}


def test_csat_snapshot_keeps_the_worked_numbers_exactly(firm):
    firm(3)  # CSAT per client: 5, 4 and 2, 3 or 4 → 7 good of 9 responses
    snapshots_compute_period(period=FEB, as_of=APRIL_1)
    row = KpiSnapshot.objects.get(
        key="csat", grain="month", period_start=FEB.start, scope_kind="company"
    )
    assert (row.numerator, row.denominator, row.sample_size) == (7, 9, 9)
    assert row.value == (Decimal(700) / 9).quantize(Decimal("1e-10"))
    assert (row.status, row.band_low, row.band_high) == ("below", 85, None)
    assert row.period_end == dt.date(2025, 2, 28)
    assert row.computed_at == APRIL_1
    assert row.definition_version == 1


def test_running_twice_gives_the_same_rows_not_more(firm):
    firm(3)
    feb_1_to_28 = {"start": dt.date(2025, 2, 1), "end": dt.date(2025, 2, 28)}
    first = snapshots_backfill(**feb_1_to_28, as_of=APRIL_1)
    before = list(KpiSnapshot.objects.order_by("pk").values())
    second = snapshots_backfill(**feb_1_to_28, as_of=APRIL_1 + dt.timedelta(hours=1))
    after = list(KpiSnapshot.objects.order_by("pk").values())

    assert first.snapshots == second.snapshots == len(before) == len(after) > 0
    assert [r["id"] for r in before] == [r["id"] for r in after]
    for row in (*before, *after):
        row.pop("computed_at")
    assert before == after
    assert set(KpiSnapshot.objects.values_list("computed_at", flat=True)) == {
        APRIL_1 + dt.timedelta(hours=1)
    }


def test_a_scope_that_lost_its_data_loses_its_row_on_recompute(firm):
    firm(2)
    snapshots_compute_period(period=FEB, as_of=APRIL_1)
    csat_rows = KpiSnapshot.objects.filter(key="csat", grain="month", scope_kind="client")
    assert sorted(csat_rows.values_list("scope_key", flat=True)) == ["C000", "C001"]
    SurveyResponse.objects.filter(client__code="C001").delete()
    snapshots_compute_period(period=FEB, as_of=APRIL_1 + dt.timedelta(days=1))
    assert list(csat_rows.values_list("scope_key", flat=True)) == ["C000"]


def hold_lock_elsewhere():
    """Take the snapshot lock as another process would; return a function releasing it."""
    if connection.vendor == "postgresql":
        other = connections.create_connection("default")
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [advisory_key(LOCK_NAME)])
            assert cursor.fetchone()[0] is True

        def release() -> None:
            # Unlock before closing: the server ends a closed session (and drops its
            # lock) a moment later, and the next run could still find it held.
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [advisory_key(LOCK_NAME)])
            other.close()

        return release
    lock = KpiLock.objects.create(
        name=LOCK_NAME,
        holder="another-host",
        acquired_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    return lock.delete


def test_a_second_run_while_one_holds_the_lock_skips_and_says_so(firm):
    firm(1)
    release = hold_lock_elsewhere()
    try:
        outcome = snapshots_nightly(as_of=APRIL_1)
        err = io.StringIO()
        call_command("compute_snapshots", "--from", "2025-02-01", "--no-progress", stderr=err)
    finally:
        release()
    assert outcome.skipped
    assert KpiSnapshot.objects.count() == 0
    assert "Skipped: another snapshot run holds the lock" in err.getvalue()
    assert list(KpiRun.objects.values_list("status", flat=True)) == ["skipped", "skipped"]

    # Once the other run is done, the next one computes.
    assert snapshots_nightly(as_of=APRIL_1).status == "succeeded"
    assert KpiSnapshot.objects.filter(grain="month", period_start=dt.date(2025, 3, 1)).exists()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="row lock is the SQLite lock")
def test_a_lock_row_left_by_a_killed_process_expires():
    KpiLock.objects.create(
        name=LOCK_NAME,
        holder="killed-worker",
        acquired_at=APRIL_1 - dt.timedelta(hours=2),
        expires_at=APRIL_1 - dt.timedelta(hours=1),
    )
    with time_machine.travel(APRIL_1, tick=False):
        assert snapshots_nightly().status == "succeeded"
    assert not KpiLock.objects.exists()


def test_a_run_left_running_by_a_killed_process_is_marked_failed_by_the_next_run():
    killed = KpiRun.objects.create(kind="nightly", started_at=APRIL_1 - dt.timedelta(days=1))
    with time_machine.travel(APRIL_1, tick=False):
        outcome = snapshots_nightly()
    killed.refresh_from_db()
    assert (killed.status, outcome.status) == ("failed", "succeeded")
    assert killed.error.startswith("abandoned")
    assert killed.finished_at is not None


def test_nightly_periods_are_current_and_previous_month_quarter_year_and_their_weeks():
    periods = nightly_periods(today=dt.date(2025, 3, 2))
    by_grain = {g: [p.label for p in periods if p.grain == g] for g in ("month", "quarter", "year")}
    assert by_grain == {
        "month": ["Feb 2025", "Mar 2025"],
        "quarter": ["Q4 2024", "Q1 2025"],
        "year": ["2024", "2025"],
    }
    weeks = [p for p in periods if p.grain == "week"]
    assert weeks[0].start == dt.date(2025, 1, 27)  # the ISO week holding 1 February
    assert weeks[-1].start == dt.date(2025, 2, 24)  # the week holding today (2 March)
    assert len(weeks) == 5


def test_a_missed_stretch_of_nights_is_caught_up_by_the_next_run(firm):
    firm(2)
    march_2 = dt.datetime(2025, 3, 2, 2, 0, tzinfo=dt.UTC)
    june_10 = dt.datetime(2025, 6, 10, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(march_2, tick=False):
        assert snapshots_nightly().status == "succeeded"
    months = KpiSnapshot.objects.filter(grain="month", scope_kind="company", key="mrr")
    assert sorted(months.values_list("period_start", flat=True)) == [
        dt.date(2025, 2, 1),
        dt.date(2025, 3, 1),
    ]

    # The worker was down from 3 March to 9 June; the run of 10 June catches up.
    with time_machine.travel(june_10, tick=False):
        outcome = snapshots_nightly()
    assert outcome.status == "succeeded"
    assert dict(months.values_list("period_start", "computed_at")) == {
        dt.date(2025, 2, 1): march_2,  # before the last success: left alone
        dt.date(2025, 3, 1): june_10,  # the month of the last success, recomputed
        dt.date(2025, 4, 1): june_10,  # missed
        dt.date(2025, 5, 1): june_10,  # previous month
        dt.date(2025, 6, 1): june_10,  # current month
    }
    weeks = KpiSnapshot.objects.filter(grain="week", scope_kind="company", computed_at=june_10)
    assert weeks.filter(period_start=dt.date(2025, 4, 14)).exists()
    assert KpiRun.objects.get(pk=outcome.run_id).periods_done == outcome.periods


def test_without_an_earlier_success_the_nightly_run_does_not_backfill(firm):
    firm(1)
    KpiRun.objects.create(
        kind="nightly", status="failed", started_at=dt.datetime(2025, 3, 2, 2, tzinfo=dt.UTC)
    )
    snapshots_nightly(as_of=dt.datetime(2025, 6, 10, 2, 0, tzinfo=dt.UTC))
    months = KpiSnapshot.objects.filter(grain="month", scope_kind="company", key="mrr")
    assert sorted(months.values_list("period_start", flat=True)) == [
        dt.date(2025, 5, 1),
        dt.date(2025, 6, 1),
    ]


def test_a_run_failing_inside_a_period_leaves_that_periods_old_rows(firm, monkeypatch):
    firm(2)
    snapshots_compute_period(period=FEB, as_of=APRIL_1)
    old = {
        (r.key, r.scope_kind, r.scope_key): (r.value, r.computed_at)
        for r in KpiSnapshot.objects.all()
    }
    csat = KpiSnapshot.objects.get(key="csat", scope_kind="company")
    for day in range(1, 11):  # new answers change CSAT
        SurveyResponseFactory(score=1, responded_at=dt.datetime(2025, 2, day, tzinfo=dt.UTC))

    real_upsert = snapshots.snapshots_upsert
    rerun_at = APRIL_1 + dt.timedelta(days=1)
    written = []

    def upsert_then_die(rows, **kwargs):
        real_upsert(rows, **kwargs)  # the new rows are written...
        written.append(KpiSnapshot.objects.filter(computed_at=rerun_at).count())
        raise RuntimeError("worker killed")  # ...and the process dies before commit

    monkeypatch.setattr(snapshots, "snapshots_upsert", upsert_then_die)
    with pytest.raises(RuntimeError, match="worker killed"):
        snapshots_backfill(start=FEB.start, end=FEB.end, as_of=rerun_at)

    now = {
        (r.key, r.scope_kind, r.scope_key): (r.value, r.computed_at)
        for r in KpiSnapshot.objects.all()
    }
    assert now == old
    assert KpiSnapshot.objects.get(pk=csat.pk).value == csat.value
    # The failure came after the period's rows were written (seen inside its transaction:
    # every old scope, and the clients of the new answers).
    assert len(written) == 1
    assert written[0] > len(old)
    run = KpiRun.objects.get()
    assert (run.status, run.periods_done) == ("failed", 0)
    assert run.error == "RuntimeError: worker killed"


def _month_recompute_queries(as_of: dt.datetime) -> tuple[int, int, int]:
    """Return (queries other than the snapshot INSERTs, INSERTs, rows) of one month.

    An ``executemany`` (SQLite) is one captured entry, logged as ``"<n> times: INSERT …"``.
    """
    with CaptureQueriesContext(connection) as captured:
        rows = snapshots_compute_period(period=FEB, as_of=as_of)
    inserts = [q for q in captured if 'INSERT INTO "kpis_kpisnapshot"' in q["sql"]]
    return len(captured) - len(inserts), len(inserts), rows


def test_a_full_month_recompute_takes_as_many_queries_for_50_clients_as_for_5(firm):
    firm(5, prefix="A")
    snapshots_compute_period(period=FEB, as_of=APRIL_1 - dt.timedelta(days=1))
    reads_5, inserts_5, rows_5 = _month_recompute_queries(APRIL_1)
    firm(45, prefix="B")
    reads_50, inserts_50, rows_50 = _month_recompute_queries(APRIL_1 + dt.timedelta(hours=1))

    assert rows_50 > rows_5
    # Every KPI's gather is grouped by scope, and the stale-row DELETE is one query.
    assert reads_50 == reads_5
    # The upsert is one INSERT … ON CONFLICT for the whole period on both databases:
    # UNNEST of one array per column on PostgreSQL, one executemany on SQLite.
    assert inserts_50 == inserts_5 == 1


def test_the_first_write_of_a_period_is_a_plain_insert_and_a_rerun_an_upsert(firm):
    firm(2)
    with CaptureQueriesContext(connection) as first:
        rows = snapshots_compute_period(period=FEB, as_of=APRIL_1)
    with CaptureQueriesContext(connection) as rerun:
        assert snapshots_compute_period(period=FEB, as_of=APRIL_1 + dt.timedelta(days=1)) == rows

    def writes(captured):
        return [
            q["sql"].split(" times: ")[-1].split(" (")[0]
            + (" upsert" * ("ON CONFLICT" in q["sql"]))
            for q in captured
            if "INSERT INTO" in q["sql"] or q["sql"].startswith(("DELETE", "COPY"))
        ]

    # Nothing stored yet: no ON CONFLICT, and no stale row to delete (on PostgreSQL the
    # plain insert is a binary COPY).
    plain = "COPY" if connection.vendor == "postgresql" else "INSERT INTO"
    assert writes(first) == [f'{plain} "kpis_kpisnapshot"']
    assert writes(rerun) == [
        'INSERT INTO "kpis_kpisnapshot" upsert',
        'DELETE FROM "kpis_kpisnapshot" WHERE',
    ]
    assert KpiSnapshot.objects.count() == rows
    assert set(KpiSnapshot.objects.values_list("computed_at", flat=True)) == {
        APRIL_1 + dt.timedelta(days=1)
    }


def test_a_period_counts_itself_on_its_run_as_its_last_statement(firm):
    firm(2)
    run = KpiRun.objects.create(kind="backfill", started_at=APRIL_1)
    with CaptureQueriesContext(connection) as captured:
        first = snapshots_compute_period(period=FEB, as_of=APRIL_1, run=run)
    rerun = snapshots_compute_period(period=FEB, as_of=APRIL_1 + dt.timedelta(days=1), run=run)

    run.refresh_from_db()
    assert (run.periods_done, run.snapshots_written) == (2, first + rerun)
    assert first == rerun == KpiSnapshot.objects.count() > 0
    statements = [q["sql"] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    on_run = [sql for sql in statements if '"kpis_kpirun"' in sql]
    # One statement, the last of the period: the run's row is locked only while committing.
    assert on_run == [statements[-1]]
    assert on_run[0].startswith('UPDATE "kpis_kpirun"')


def test_a_first_write_racing_another_writer_rolls_the_period_back(firm, monkeypatch):
    firm(2)
    real_upsert = snapshots.snapshots_upsert

    def another_writer_first(rows, **kwargs):
        assert kwargs == {"conflicts": False}
        real_upsert(rows[:1])  # committed by someone else between the check and the INSERT
        real_upsert(rows, **kwargs)

    monkeypatch.setattr(snapshots, "snapshots_upsert", another_writer_first)
    with pytest.raises(IntegrityError):
        snapshots_compute_period(period=FEB, as_of=APRIL_1)
    assert not KpiSnapshot.objects.exists()


def test_a_run_reads_the_bands_once_for_all_its_periods(firm):
    firm(1)
    with CaptureQueriesContext(connection) as captured:
        outcome = snapshots_backfill(start=FEB.start, end=FEB.end, as_of=APRIL_1)
    assert outcome.periods >= 4  # ISO weeks, the month, the quarter, the year
    band_reads = [q for q in captured if 'FROM "kpis_kpiband"' in q["sql"]]
    assert len(band_reads) == 1
    csat = KpiSnapshot.objects.get(key="csat", grain="month", scope_kind="company")
    assert (csat.band_low, csat.band_high) == (85, None)


def test_compute_snapshots_command_backfills_one_kpi(firm):
    firm(2)
    out = io.StringIO()
    with time_machine.travel(APRIL_1, tick=False):
        call_command(
            "compute_snapshots",
            "--from",
            "2025-02-01",
            "--to",
            "2025-02-28",
            "--kpi",
            "csat",
            "--no-progress",
            stdout=out,
        )
    rows = KpiSnapshot.objects.filter(scope_kind="company")
    assert sorted(rows.values_list("key", "grain", "period_start")) == [
        ("csat", "month", dt.date(2025, 2, 1)),
        ("csat", "quarter", dt.date(2025, 1, 1)),
        ("csat", "year", dt.date(2025, 1, 1)),
    ]
    # 2 clients and 2 projects besides the company, in each of the 3 periods.
    assert out.getvalue().strip() == f"Run #{KpiRun.objects.get().pk}: 15 snapshots in 3 periods."


def test_compute_snapshots_rejects_an_unknown_kpi_and_a_reversed_range():
    with pytest.raises(CommandError, match="unknown KPI 'nope'"):
        call_command("compute_snapshots", "--kpi", "nope")
    with pytest.raises(CommandError, match="before --from"):
        call_command("compute_snapshots", "--from", "2025-03-01", "--to", "2025-02-01")


def test_every_registered_kpi_is_snapshotted_monthly():
    assert {k.key for k in snapshots.snapshot_kpis(grain="month")} == {k.key for k in kpis_all()}
    assert [k.key for k in snapshots.snapshot_kpis(grain="week")] == ["billable_utilization"]


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
@pytest.mark.parametrize("fails", [False, True])
def test_the_periods_commit_without_waiting_for_the_disk_and_the_run_end_waits(
    firm, monkeypatch, fails
):
    firm(1)
    real_compute = snapshots.snapshots_compute_period
    seen = []

    def compute(**kwargs):
        seen.append(_synchronous_commit())
        if fails:
            raise RuntimeError("boom")
        return real_compute(**kwargs)

    monkeypatch.setattr(snapshots, "snapshots_compute_period", compute)
    before = _synchronous_commit()
    if fails:
        with pytest.raises(RuntimeError, match="boom"):
            snapshots_backfill(start=FEB.start, end=FEB.end, as_of=APRIL_1)
    else:
        assert snapshots_backfill(start=FEB.start, end=FEB.end, as_of=APRIL_1).periods == 8

    assert before == "on"
    assert seen == ["off"] * (1 if fails else 8)  # 5 ISO weeks, the month, quarter, year
    # Reset before the run's end is recorded (a flushing commit).
    assert _synchronous_commit() == "on"
    assert KpiRun.objects.get().status == ("failed" if fails else "succeeded")


def test_a_run_reads_which_periods_hold_rows_once_and_reruns_them_as_upserts(firm):
    firm(1)
    with CaptureQueriesContext(connection) as first:
        outcome = snapshots_backfill(start=FEB.start, end=FEB.end, as_of=APRIL_1)
    KpiSnapshot.objects.filter(grain="week").delete()  # weeks to write afresh, months not
    with CaptureQueriesContext(connection) as again:
        rerun = snapshots_backfill(start=FEB.start, end=FEB.end, as_of=APRIL_1)

    def reads(captured):
        return [q for q in captured if q["sql"].startswith('SELECT DISTINCT "kpis_kpisnapshot"')]

    def probes(captured):
        return [
            q for q in captured if 'FROM "kpis_kpisnapshot"' in q["sql"] and "LIMIT 1" in q["sql"]
        ]

    assert outcome.periods == rerun.periods == 8
    assert len(reads(first)) == len(reads(again)) == 1
    assert probes(first) == probes(again) == []
    # The 5 weeks were written afresh, the month, quarter and year updated in place.
    upserts = [q for q in again if "ON CONFLICT" in q["sql"]]
    assert len(upserts) == 3
    assert rerun.snapshots == outcome.snapshots == KpiSnapshot.objects.count()
