"""The benchmark harness at a tiny scale: deterministic firm, import, floor, figures.

No timed assertions: the benchmark's figures are printed, never tested.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Sum

from projects import selectors as project_selectors
from projects.models import Client, Project
from support.models import Ticket
from support.services import tickets_sla_refresh
from surveys import selectors as survey_selectors
from surveys.models import SurveyResponse
from synapse.bench import floor
from synapse.bench.generator import FirmGenerator
from synapse.bench.load import LoadResult, Sample
from synapse.bench.scales import SCALES
from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import SCOPE_KINDS, Period, Scope, local_midnight
from tests.bench.firms import TINY
from timesheets import selectors as time_selectors
from timesheets.models import TimeEntry


def _firm(tmp_path: Path) -> tuple[FirmGenerator, int]:
    generator = FirmGenerator(TINY)
    generator.write()
    generator.refresh_derived()
    rows = generator.write_time_entries(tmp_path / "time_entries.csv")
    return generator, rows


def test_scales_match_the_issue() -> None:
    large = SCALES["large"]
    assert (large.people, large.years, large.tickets, large.responses) == (200, 5, 250_000, 50_000)
    assert (large.projects, large.clients) == (500, 150)
    assert SCALES["small"].start == dt.date(2025, 1, 1)
    assert SCALES["medium"].start == dt.date(2023, 1, 1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tiny_firm_generates_imports_and_recomputes(tmp_path: Path) -> None:
    generator, rows = _firm(tmp_path)
    assert Client.objects.count() == TINY.clients == 6
    assert Ticket.objects.count() == TINY.tickets == 200
    assert Project.objects.count() == TINY.projects == 4
    assert SurveyResponse.objects.exists()
    # Every resolved ticket got its SLA outcome from the SLA clock, exactly what the
    # support service stores: refreshing them all changes nothing.
    assert not Ticket.objects.filter(
        resolved_at__isnull=False, sla_decided_at__isnull=True
    ).exists()
    assert Ticket.objects.filter(sla_met=False).exists()
    moment = local_midnight(TINY.end + dt.timedelta(days=1))
    assert tickets_sla_refresh(Ticket.objects.all(), now=moment) == 0

    with (tmp_path / "time_entries.csv").open(newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert len(lines) == rows > 500
    day_totals: dict[tuple[str, str], Decimal] = {}
    for line in lines:
        key = (line["username"], line["date"])
        day_totals[key] = day_totals.get(key, Decimal(0)) + Decimal(line["hours"])
    assert max(day_totals.values()) <= 8

    call_command("import_data", str(tmp_path), verbosity=0)
    assert TimeEntry.objects.count() == rows
    assert TimeEntry.objects.aggregate(total=Sum("cost"))["total"] > 0

    # The floor runs every statement on this database and fetches rows.
    as_of = local_midnight(TINY.end + dt.timedelta(days=1))
    periods = [Period.iso_week(2025, 6), Period.month(2025, 2), Period.quarter(2025, 1)]
    assert floor.floor_run(periods, as_of=as_of) > 0
    # Its people inputs, gathered for all periods at once, are the engine's.
    inputs = floor.people_inputs(periods, as_of=as_of)
    for period in periods:
        ctx = KpiContext(period=period, as_of=as_of, kinds=frozenset(SCOPE_KINDS))
        billable = time_selectors.billable_hours_by_employee(ctx)
        leave = time_selectors.leave_on_working_days(ctx)
        compliant = time_selectors.compliant_days_by_employee(ctx)
        found = {emp: row for (p, emp), row in inputs.items() if p == period}
        assert billable and found
        for emp, (hours, leave_hours, full_days, days) in found.items():
            # The floor sums the stored hundredths of an hour.
            assert hours == (billable[emp]["billable"] * 100 if emp in billable else 0)
            taken = leave.get(emp, {"capped_hours": 0, "full_days": 0})
            assert (leave_hours, full_days) == (taken["capped_hours"] * 100, taken["full_days"])
            if period.grain != "week":
                assert days == compliant.get(emp, 0)
        assert set(billable) <= set(found)
        assert sum(compliant.values()) > 0
    # So are its survey inputs.
    surveys = floor.surveys_inputs(periods, as_of=as_of)
    for period in periods[1:]:
        ctx = KpiContext(period=period, as_of=as_of, kinds=frozenset(SCOPE_KINDS))
        for kind, good in (("csat", "good"), ("nps", "promoters")):
            engine = survey_selectors.survey_score_counts(ctx, kind)
            found = {
                (scope_kind, key): counts
                for (p, k, scope_kind, key), counts in surveys.items()
                if p == period and k == kind
            }
            assert set(found) == {scope for scope, row in engine.items() if row["responses"]}
            for scope, (responses, good_count, detractors) in found.items():
                assert responses == engine[scope]["responses"]
                assert good_count == engine[scope][good]
                if kind == "nps":
                    assert detractors == engine[scope]["detractors"]
        assert surveys[(period, "csat", "company", "")][0] > 0
        assert surveys[(period, "invitations", "", "")] == [
            survey_selectors.invitations_sent_count(ctx)
        ]
        assert surveys[(period, "responses", "", "")] == [survey_selectors.responses_count(ctx)]
        # And its hours on projects (rework rate).
        engine_hours = project_selectors.project_hours_in_period(ctx)
        found = {
            Scope(kind, key): sums
            for (p, kind, key), sums in floor.hours_inputs(periods, as_of=as_of).items()
            if p == period
        }
        assert set(found) == set(engine_hours) and found[Scope("company", "")][0] > 0
        for scope, (hours, rework, entries) in found.items():
            totals = engine_hours[scope]
            assert (hours, rework, entries) == (
                totals["total_hours"] * 100,
                totals["rework_hours"] * 100,
                totals["entries"],
            )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_same_seed_same_firm(tmp_path: Path) -> None:
    first = tmp_path / "a"
    first.mkdir()
    _, rows = _firm(first)
    again = tmp_path / "b"
    again.mkdir()
    call_command("flush", "--noinput", verbosity=0)
    _, rows_again = _firm(again)
    assert rows == rows_again
    assert (first / "time_entries.csv").read_bytes() == (again / "time_entries.csv").read_bytes()


def test_prorated_fee_counts_active_days_per_month() -> None:
    # Active 16 of February's 28 days (13th..28th) → 16/28 of the fee.
    fee = floor._prorated(
        Decimal(2800), dt.date(2025, 2, 13), None, dt.date(2025, 2, 1), dt.date(2025, 2, 28)
    )
    assert fee == Decimal(1600)


def test_percentiles_are_nearest_rank_and_lost_requests_are_errors() -> None:
    result = LoadResult(samples=[Sample("dashboard", float(ms), 200) for ms in range(1, 101)])
    result.samples.append(Sample("kpi", 5.0, 500))
    result.lost = 2
    assert result.percentile("dashboard", 0.5) == 50.0
    assert result.percentile("dashboard", 0.95) == 95.0
    assert result.percentile("kpi", 0.95) == 5.0
    assert result.errors() == 3


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux /proc only")
def test_a_child_reports_its_own_peak_memory_not_its_parents() -> None:
    import os
    import resource
    import subprocess
    import sys

    from synapse.bench import measure

    ballast = bytearray(200 * 1024 * 1024)  # this process grows by 200 MB
    ballast[::4096] = b"x" * len(ballast[::4096])
    code = (
        "import django; django.setup(); "
        "from synapse.bench.measure import peak_rss_mb; print(peak_rss_mb())"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "synapse.settings"}
    output = subprocess.check_output([sys.executable, "-c", code], text=True, env=env)
    child = float(output.strip().splitlines()[-1])
    parent_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert measure.peak_rss_mb() >= 200
    # Django and the bench module loaded, far below the parent's 200 MB of ballast.
    assert 5 < child < parent_max - 150
    del ballast
