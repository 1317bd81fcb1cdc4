"""Project delivery KPIs (kpis.md "Project delivery"): worked examples first, then edges."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.kpis import delivery
from projects.models import Project
from projects.services import projects_refresh_derived
from synapse.kpis.engine import kpis_compute, kpis_compute_all_scopes
from synapse.kpis.periods import COMPANY, Period, Scope
from tests.factories import (
    ClientFactory,
    DowntimeFactory,
    EmployeeFactory,
    ProjectExpenseFactory,
    ProjectFactory,
    ProjectProgressFactory,
    RateFactory,
    TimeEntryFactory,
)
from timesheets.models import TimeEntry
from timesheets.services import time_entries_recost

DELIVERY_KEYS = (
    "project_gross_margin",
    "integration_success_rate",
    "avg_project_cycle_time",
    "delivery_time_variance",
    "cost_overrun",
    "system_downtime",
    "cost_performance_index",
    "rework_rate",
    "avg_project_value",
)
MARCH = Period.month(2025, 3)
AS_OF = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
D = Decimal


def value(key: str, scope: Scope = COMPANY, period: Period = MARCH):
    """Return the KpiValue of one delivery KPI for one scope."""
    return kpis_compute(period=period, scope=scope, as_of=AS_OF, keys=[key])[key]


def completed(**kwargs) -> Project:
    """Create a fixed-price project completed on 2025-03-10, on time (planned to 03-15)."""
    defaults = {
        "status": Project.Status.COMPLETED,
        "planned_start": dt.date(2025, 1, 1),
        "planned_end": dt.date(2025, 3, 15),
        "actual_start": dt.date(2025, 1, 1),
        "actual_end": dt.date(2025, 3, 10),
        "requirements_met": True,
    }
    return ProjectFactory(**{**defaults, **kwargs})


# Formulas: the worked examples of kpis.md, no database ---------------------------------


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (
            delivery.project_gross_margin(revenue=D(150000), direct_cost=D(90000), projects=1),
            D("40.00"),
        ),
        (delivery.integration_success_rate(successful=42, closed=45), D("93.33")),
        (delivery.avg_project_cycle_time(total_days=(10 + 9 + 12 + 11 + 8) * 7, projects=5), D(10)),
        (
            delivery.delivery_time_variance(
                variance_total=delivery.project_time_variance(planned_days=60, actual_days=75),
                projects=1,
                excluded=0,
            ),
            D(-25),
        ),
        (delivery.cost_overrun(direct_cost=D(108000), budget=D(100000), projects=1), D(8)),
        (
            delivery.system_downtime(downtime_hours=D(15), window_hours=D(30 * 24), projects=1),
            D("2.08"),
        ),
        (
            delivery.cost_performance_index(
                earned_value=D(80000), actual_cost=D(90000), projects=1
            ),
            D("0.89"),
        ),
        (delivery.rework_rate(rework_hours=D(12), hours=D(240), entries=30), D(5)),
        (delivery.avg_project_value(revenue=D(300000), projects=2), D(150000)),
    ],
)
def test_worked_examples_of_kpis_md(result, expected):
    assert round(result.value, 2) == expected


def test_empty_inputs_are_no_data_not_zero():
    assert delivery.project_gross_margin(revenue=D(0), direct_cost=D(0), projects=0).value is None
    assert delivery.integration_success_rate(successful=0, closed=0).value is None
    assert delivery.avg_project_cycle_time(total_days=0, projects=0).value is None
    assert delivery.rework_rate(rework_hours=D(0), hours=D(0), entries=0).value is None
    assert delivery.avg_project_value(revenue=D(0), projects=0).value is None


def test_zero_budget_makes_cost_overrun_undefined_with_a_reason():
    result = delivery.cost_overrun(direct_cost=D(500), budget=D(0), projects=1)
    assert result.value is None
    assert result.reason == "budget is 0: overrun undefined"
    assert (result.numerator, result.sample_size) == (D(500), 1)


def test_zero_revenue_makes_margin_undefined_and_zero_cost_makes_cpi_undefined():
    gross = delivery.project_gross_margin(revenue=D(0), direct_cost=D(10), projects=1)
    assert (gross.value, gross.reason) == (None, "revenue is 0")
    cpi = delivery.cost_performance_index(earned_value=D(100), actual_cost=D(0), projects=1)
    assert (cpi.value, cpi.reason) == (None, "no actual cost up to end")


def test_project_planned_for_zero_days_has_no_time_variance():
    assert delivery.project_time_variance(planned_days=0, actual_days=3) is None
    assert delivery.project_time_variance(planned_days=10, actual_days=8) == D(20)


# Through the engine, on the database ------------------------------------------------------

pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_empty_period_is_no_data_for_every_delivery_kpi():
    values = kpis_compute(period=MARCH, as_of=AS_OF, keys=DELIVERY_KEYS)
    found = {key: (v.value, v.status) for key, v in values.items()}
    assert found == dict.fromkeys(DELIVERY_KEYS, (None, "no_data"))


@pytestmark_db
def test_gross_margin_worked_example_150000_revenue_90000_cost_is_40():
    client = ClientFactory(code="ACME")
    project = completed(code="P1", client=client, revenue=D("150000.00"))
    ProjectExpenseFactory(project=project, amount=D("90000.00"), date=dt.date(2024, 12, 20))
    ProjectFactory(client=client, status=Project.Status.ACTIVE)  # not completed: ignored

    for scope in (COMPANY, Scope("client", "ACME"), Scope("project", "P1")):
        result = value("project_gross_margin", scope)
        assert result.value == D(40)
        assert result.status == "within"
        assert (result.result.numerator, result.result.denominator) == (D(60000), D(150000))


@pytestmark_db
def test_integration_success_42_of_45_counts_cancelled_as_closed_not_completed():
    client = ClientFactory(code="ACME")
    for _ in range(42):
        completed(client=client)
    completed(client=client, actual_end=dt.date(2025, 3, 20), planned_end=dt.date(2025, 3, 19))
    over = completed(client=client, budget=D("1000.00"))
    ProjectExpenseFactory(project=over, amount=D("1000.01"))
    completed(client=client, status=Project.Status.CANCELLED)
    completed(client=client, requirements_met=False, actual_end=dt.date(2025, 4, 1))  # April

    result = value("integration_success_rate")
    assert round(result.value, 2) == D("93.33")
    assert (result.result.numerator, result.result.denominator) == (D(42), D(45))
    assert value("integration_success_rate", Scope("client", "ACME")).value == result.value
    # The cancelled project is closed but not completed: the margin sees 44 of the 45.
    assert value("project_gross_margin").result.sample_size == 44


@pytestmark_db
def test_zero_budget_project_is_on_budget_only_when_it_cost_nothing():
    free = completed(code="FREE", budget=D(0))
    completed(code="NOCOST", budget=D(0))
    ProjectExpenseFactory(project=free, amount=D("0.01"))

    assert value("integration_success_rate").value == D(50)
    overrun = value("cost_overrun")
    assert overrun.value is None
    assert overrun.result.reason == "budget is 0: overrun undefined"
    assert overrun.status == "no_data"


@pytestmark_db
def test_cycle_time_worked_example_10_9_12_11_8_weeks_is_10():
    client = ClientFactory(code="ACME")
    for weeks in (10, 9, 12, 11, 8):
        end = dt.date(2025, 3, 15)
        completed(client=client, actual_start=end - dt.timedelta(weeks=weeks), actual_end=end)
    result = value("avg_project_cycle_time", Scope("client", "ACME"))
    assert result.value == D(10)
    assert (result.result.numerator, result.result.denominator) == (D(50), D(5))
    assert result.status == "within"


@pytestmark_db
def test_delivery_variance_planned_60_took_75_is_minus_25_and_zero_plan_is_left_out():
    completed(
        code="LATE",
        planned_start=dt.date(2025, 1, 1),
        planned_end=dt.date(2025, 3, 2),
        actual_start=dt.date(2025, 1, 1),
        actual_end=dt.date(2025, 3, 17),
    )
    completed(
        code="ONEDAY",
        planned_start=dt.date(2025, 3, 3),
        planned_end=dt.date(2025, 3, 3),
        actual_start=dt.date(2025, 3, 3),
        actual_end=dt.date(2025, 3, 4),
    )

    result = value("delivery_time_variance")
    assert result.value == D(-25)
    assert result.result.sample_size == 1
    assert result.result.reason == "1 completed project(s) with 0 planned days left out"
    assert result.status == "below"
    alone = value("delivery_time_variance", Scope("project", "ONEDAY"))
    assert alone.value is None
    assert alone.result.reason == "1 completed project(s) with 0 planned days, variance undefined"


@pytestmark_db
def test_cost_overrun_worked_example_100000_budget_108000_cost_is_8():
    project = completed(code="P1", budget=D("100000.00"))
    ProjectExpenseFactory(project=project, amount=D("100000.00"))
    ProjectExpenseFactory(project=project, amount=D("8000.00"), date=dt.date(2025, 6, 1))
    result = value("cost_overrun", Scope("project", "P1"))
    assert result.value == D(8)
    assert result.status == "within"


@pytestmark_db
def test_downtime_worked_example_15_hours_over_30_days_is_2_08(at):
    project = completed(actual_start=dt.date(2025, 2, 10), actual_end=dt.date(2025, 3, 12))
    DowntimeFactory(
        project=project, started_at=at("2025-02-11 09:00"), ended_at=at("2025-02-11 19:00")
    )
    DowntimeFactory(
        project=project, started_at=at("2025-03-01 00:00"), ended_at=at("2025-03-01 05:00")
    )
    result = value("system_downtime")
    assert round(result.value, 2) == D("2.08")
    assert (result.result.numerator, result.result.denominator) == (D(15), D(720))


@pytestmark_db
def test_downtime_is_clipped_to_the_window_whenever_it_happened(at):
    project = completed(actual_start=dt.date(2025, 2, 10), actual_end=dt.date(2025, 3, 12))
    # 2 h before the window start counts 3 h; 4 h after its end counts 1 h; outside: none.
    DowntimeFactory(
        project=project, started_at=at("2025-02-09 22:00"), ended_at=at("2025-02-10 03:00")
    )
    DowntimeFactory(
        project=project, started_at=at("2025-03-11 23:00"), ended_at=at("2025-03-12 04:00")
    )
    DowntimeFactory(
        project=project, started_at=at("2025-01-05 10:00"), ended_at=at("2025-01-05 20:00")
    )
    DowntimeFactory(
        project=project, started_at=at("2025-03-12 00:00"), ended_at=at("2025-03-12 09:00")
    )
    DowntimeFactory(
        project=project, started_at=at("2025-02-20 10:30"), ended_at=at("2025-02-20 10:45")
    )
    result = value("system_downtime")
    assert result.result.numerator == D("4.25")
    assert result.result.denominator == D(720)


@pytestmark_db
def test_downtime_window_is_firm_local_midnight(settings):
    settings.TIME_ZONE = "America/New_York"
    project = completed(actual_start=dt.date(2025, 3, 20), actual_end=dt.date(2025, 3, 21))
    # 03:00–06:00 UTC on Mar 20 is 23:00–02:00 in New York (EDT): 2 h of it are inside.
    DowntimeFactory(
        project=project,
        started_at=dt.datetime(2025, 3, 20, 3, tzinfo=dt.UTC),
        ended_at=dt.datetime(2025, 3, 20, 6, tzinfo=dt.UTC),
    )
    result = value("system_downtime")
    assert (result.result.numerator, result.result.denominator) == (D(2), D(24))


@pytestmark_db
def test_bulk_written_projects_get_their_window_from_the_refresh_service(at):
    project = completed(actual_start=dt.date(2025, 2, 10), actual_end=dt.date(2025, 3, 12))
    Project.objects.filter(pk=project.pk).update(window_start=None, window_end=None)
    DowntimeFactory(
        project=project, started_at=at("2025-02-11 09:00"), ended_at=at("2025-02-11 12:00")
    )
    assert value("system_downtime").result.numerator == D(0)

    assert projects_refresh_derived(Project.objects.all()) == 1
    assert value("system_downtime").result.numerator == D(3)


@pytestmark_db
def test_cpi_worked_example_ev_80000_ac_90000_is_0_89():
    client = ClientFactory(code="ACME")
    project = ProjectFactory(
        code="RUN",
        client=client,
        status=Project.Status.ACTIVE,
        budget=D("100000.00"),
        actual_start=dt.date(2025, 1, 6),
    )
    ProjectProgressFactory(project=project, date=dt.date(2025, 2, 28), percent_complete=D(50))
    ProjectProgressFactory(project=project, date=dt.date(2025, 3, 31), percent_complete=D(80))
    ProjectProgressFactory(project=project, date=dt.date(2025, 4, 1), percent_complete=D(95))
    ProjectExpenseFactory(project=project, amount=D("90000.00"), date=dt.date(2025, 3, 31))
    ProjectExpenseFactory(project=project, amount=D("5000.00"), date=dt.date(2025, 4, 1))
    # Closed on or before the end: out. Completed after the end: still in progress on it,
    # but with no progress report its EV is 0 while its AC counts.
    ProjectFactory(
        status=Project.Status.COMPLETED,
        actual_start=dt.date(2025, 1, 1),
        actual_end=dt.date(2025, 3, 31),
    )
    later = ProjectFactory(
        code="LATER",
        status=Project.Status.COMPLETED,
        actual_start=dt.date(2025, 1, 1),
        actual_end=dt.date(2025, 4, 2),
    )
    ProjectExpenseFactory(project=later, amount=D("10000.00"), date=dt.date(2025, 3, 1))

    result = value("cost_performance_index", Scope("project", "RUN"))
    assert round(result.value, 2) == D("0.89")
    assert (result.result.numerator, result.result.denominator) == (D(80000), D(90000))
    assert result.status == "below"
    company = value("cost_performance_index")
    assert (company.result.numerator, company.result.denominator) == (D(80000), D(100000))
    assert company.result.sample_size == 2


@pytestmark_db
def test_cpi_earned_value_is_exact_to_the_fraction_of_a_cent():
    project = ProjectFactory(
        status=Project.Status.ACTIVE, budget=D("333.33"), actual_start=dt.date(2025, 1, 6)
    )
    ProjectProgressFactory(project=project, date=dt.date(2025, 3, 1), percent_complete=D("33.33"))
    ProjectExpenseFactory(project=project, amount=D("100.00"))
    result = value("cost_performance_index")
    # 333.33 × 33.33 % = 111.098889, not rounded to the cent.
    assert result.result.numerator == D("111.098889")
    assert result.value == D("1.11098889")


@pytestmark_db
def test_rework_worked_example_12_of_240_hours_is_5_for_every_scope():
    client = ClientFactory(code="ACME")
    project = ProjectFactory(code="P1", client=client, status=Project.Status.ACTIVE)
    employee = EmployeeFactory(user__username="ann")
    for day in range(1, 29):
        TimeEntryFactory(employee=employee, project=project, date=dt.date(2025, 3, day), hours=8)
    TimeEntryFactory(
        employee=employee,
        project=project,
        date=dt.date(2025, 3, 29),
        hours=D(12),
        activity=TimeEntry.Activity.REWORK,
    )
    TimeEntryFactory(employee=employee, project=project, date=dt.date(2025, 3, 30), hours=D(4))
    TimeEntryFactory(employee=employee, date=dt.date(2025, 3, 31), hours=8)  # no project
    TimeEntryFactory(
        employee=employee,
        project=project,
        date=dt.date(2025, 4, 1),
        hours=8,
        activity=TimeEntry.Activity.REWORK,
    )

    for scope in (
        COMPANY,
        Scope("client", "ACME"),
        Scope("project", "P1"),
        Scope("employee", "ann"),
    ):
        result = value("rework_rate", scope)
        assert result.value == D(5)
        assert (result.result.numerator, result.result.denominator) == (D(12), D(240))
        assert result.status == "within"


@pytestmark_db
def test_rework_rolls_projects_and_employees_up_to_every_scope():
    """Two clients, three projects, two people each on several projects: every scope's
    sums are those of its own entries, in the all-scopes run as for the scope alone."""
    acme, beta = ClientFactory(code="ACME"), ClientFactory(code="BETA")
    p1 = ProjectFactory(code="P1", client=acme, status=Project.Status.ACTIVE)
    p2 = ProjectFactory(code="P2", client=acme, status=Project.Status.ACTIVE)
    p3 = ProjectFactory(code="P3", client=beta, status=Project.Status.ACTIVE)
    ann, bob = EmployeeFactory(user__username="ann"), EmployeeFactory(user__username="bob")
    rework = TimeEntry.Activity.REWORK
    logged = [  # (employee, project, day, hours, rework?)
        (ann, p1, 3, D("7.25"), False),
        (ann, p1, 4, D("0.75"), True),
        (ann, p2, 5, D(6), False),
        (ann, p3, 6, D(2), True),
        (bob, p2, 3, D(8), False),
        (bob, p2, 4, D("1.5"), True),
        (bob, p3, 5, D(4), False),
        (bob, p3, 6, D(4), False),
    ]
    for employee, project, day, hours, is_rework in logged:
        TimeEntryFactory(
            employee=employee,
            project=project,
            date=dt.date(2025, 3, day),
            hours=hours,
            **({"activity": rework} if is_rework else {}),
        )
    TimeEntryFactory(employee=bob, date=dt.date(2025, 3, 7), hours=8)  # no project

    expected = {  # scope: (rework hours, all hours, entries)
        COMPANY: (D("4.25"), D("33.5"), 8),
        Scope("client", "ACME"): (D("2.25"), D("23.5"), 5),
        Scope("client", "BETA"): (D(2), D(10), 3),
        Scope("project", "P1"): (D("0.75"), D(8), 2),
        Scope("project", "P2"): (D("1.5"), D("15.5"), 3),
        Scope("project", "P3"): (D(2), D(10), 3),
        Scope("employee", "ann"): (D("2.75"), D(16), 4),
        Scope("employee", "bob"): (D("1.5"), D("17.5"), 4),
    }
    every = {
        v.scope: v for v in kpis_compute_all_scopes(period=MARCH, as_of=AS_OF, keys=["rework_rate"])
    }
    assert set(every) == set(expected)
    for scope, (rework_hours, hours, entries) in expected.items():
        for found in (every[scope], value("rework_rate", scope)):
            assert (found.result.numerator, found.result.denominator) == (rework_hours, hours)
            assert found.result.sample_size == entries
            assert found.value == rework_hours / hours * 100


@pytestmark_db
def test_rate_change_mid_project_costs_each_entry_at_its_own_rate():
    project = completed(code="P1", revenue=D("2000.00"), budget=D("1000.00"))
    employee = EmployeeFactory(rates=(D("50.00"), D("100.00")))
    RateFactory(
        employee=employee,
        effective_from=dt.date(2025, 2, 1),
        cost_rate=D("70.00"),
        bill_rate=D("120.00"),
    )
    TimeEntryFactory(employee=employee, project=project, date=dt.date(2025, 1, 31), hours=10)
    TimeEntryFactory(employee=employee, project=project, date=dt.date(2025, 2, 3), hours=10)
    time_entries_recost(TimeEntry.objects.all())

    # Direct cost 10 × 50 + 10 × 70 = 1,200: margin (2,000 − 1,200) / 2,000 = 40 %.
    assert value("project_gross_margin").value == D(40)
    assert value("cost_overrun").value == D(20)


@pytestmark_db
def test_time_and_materials_revenue_is_the_billable_value_of_all_its_entries():
    client = ClientFactory(code="ACME")
    tm = completed(
        code="TM", client=client, billing=Project.Billing.TIME_AND_MATERIALS, revenue=None
    )
    completed(code="FIX", client=client, revenue=D("10000.00"))
    employee = EmployeeFactory(rates=(D("50.00"), D("150.00")))
    TimeEntryFactory(employee=employee, project=tm, date=dt.date(2024, 12, 2), hours=20)
    TimeEntryFactory(employee=employee, project=tm, date=dt.date(2025, 3, 3), hours=20)
    TimeEntryFactory(
        employee=employee, project=tm, date=dt.date(2025, 3, 4), hours=8, billable=False
    )
    time_entries_recost(TimeEntry.objects.all())

    tm_margin = value("project_gross_margin", Scope("project", "TM"))
    # Revenue 40 × 150 = 6,000; cost 48 × 50 = 2,400.
    assert (tm_margin.result.numerator, tm_margin.result.denominator) == (D(3600), D(6000))
    assert tm_margin.value == D(60)
    average = value("avg_project_value", Scope("client", "ACME"))
    assert average.value == D(8000)
    assert average.status is None


@pytestmark_db
def test_kpi_report_prints_delivery_kpis_for_a_project_scope():
    project = completed(code="P1", revenue=D("150000.00"))
    ProjectExpenseFactory(project=project, amount=D("90000.00"))
    out = io.StringIO()
    call_command(
        "kpi_report",
        "--start",
        "2025-03-01",
        "--end",
        "2025-03-31",
        "--scope",
        "project:P1",
        stdout=out,
    )
    kpis = json.loads(out.getvalue())["kpis"]
    assert kpis["project_gross_margin"]["value"] == 40.0
    assert kpis["cost_overrun"]["value"] == -10.0
    assert "avg_project_value" not in kpis


def _make_firm(clients: int) -> None:
    employee = EmployeeFactory()
    for n in range(clients):
        client = ClientFactory(code=f"C{clients}-{n}")
        project = completed(client=client, code=f"P{clients}-{n}")
        ProjectExpenseFactory(project=project)
        DowntimeFactory(project=project)
        running = ProjectFactory(
            client=client, status=Project.Status.ACTIVE, actual_start=dt.date(2025, 1, 6)
        )
        ProjectProgressFactory(project=running)
        TimeEntryFactory(employee=employee, project=running, date=dt.date(2025, 3, 3))
    time_entries_recost(TimeEntry.objects.all())


def _count_queries() -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        values = kpis_compute_all_scopes(period=MARCH, as_of=AS_OF, keys=DELIVERY_KEYS)
    return len(queries), len(values)


@pytestmark_db
def test_query_count_is_the_same_for_5_and_50_clients():
    _make_firm(5)
    small, small_values = _count_queries()
    _make_firm(50)
    large, large_values = _count_queries()
    # 1 band query, 1 closed-projects query (shared by 7 KPIs through the memo),
    # 1 in-progress query (CPI), 1 rework query (grouped by project and employee, rolled
    # up to the company, client, project and employee scopes).
    assert small == large == 4
    assert large_values > small_values
