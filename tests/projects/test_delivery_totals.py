"""completed_project_totals: revenue, direct cost and budget of projects completed in period."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from projects.models import Project
from projects.selectors import completed_project_totals
from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import COMPANY, SCOPE_KINDS, Period, Scope
from tests.factories import (
    ClientFactory,
    EmployeeFactory,
    ProjectExpenseFactory,
    ProjectFactory,
    TimeEntryFactory,
)
from timesheets.models import TimeEntry
from timesheets.services import time_entries_recost

pytestmark = pytest.mark.django_db

AS_OF = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def context(period: Period, kinds: tuple[str, ...] = SCOPE_KINDS) -> KpiContext:
    return KpiContext(period=period, as_of=AS_OF, kinds=frozenset(kinds))


def completed(**kwargs) -> Project:
    defaults = {
        "status": Project.Status.COMPLETED,
        "actual_start": dt.date(2025, 1, 1),
        "actual_end": dt.date(2025, 3, 10),
    }
    return ProjectFactory(**{**defaults, **kwargs})


def test_totals_count_fixed_and_time_and_materials_projects_completed_in_period():
    client = ClientFactory(code="ACME")
    fixed = completed(code="FIX", client=client, revenue=Decimal("150000.00"))
    tm = completed(
        code="TM", client=client, billing=Project.Billing.TIME_AND_MATERIALS, revenue=None
    )
    completed(code="CANCELLED", client=client, status=Project.Status.CANCELLED)
    completed(code="LATER", client=client, actual_end=dt.date(2025, 4, 1))
    employee = EmployeeFactory(rates=(Decimal("50.00"), Decimal("140.00")))
    # Entries dated before the period count too: the project's whole cost and revenue.
    TimeEntryFactory(employee=employee, project=fixed, date=dt.date(2025, 1, 6), hours=10)
    TimeEntryFactory(employee=employee, project=tm, date=dt.date(2025, 1, 7), hours=10)
    TimeEntryFactory(
        employee=employee, project=tm, date=dt.date(2025, 1, 8), hours=5, billable=False
    )
    time_entries_recost(TimeEntry.objects.all())
    ProjectExpenseFactory(project=fixed, date=dt.date(2024, 12, 1), amount=Decimal("1000.00"))

    totals = completed_project_totals(context(Period.month(2025, 3)))

    assert totals[COMPANY] == {
        "count": 2,
        "revenue": Decimal("151400.00"),
        "direct_cost": Decimal("1500.00") + Decimal("500.00") + Decimal("250.00"),
        "budget": Decimal("200000.00"),
    }
    assert totals[Scope("client", "ACME")] == totals[COMPANY]
    assert totals[Scope("project", "TM")] == {
        "count": 1,
        "revenue": Decimal("1400.00"),
        "direct_cost": Decimal("750.00"),
        "budget": Decimal("100000.00"),
    }
    assert Scope("project", "CANCELLED") not in totals
    assert Scope("project", "LATER") not in totals


def test_totals_are_memoized_and_company_is_zero_when_empty():
    ctx = context(Period.month(2025, 3), ("company",))
    totals = completed_project_totals(ctx)
    assert totals == {
        COMPANY: {"count": 0, "revenue": 0, "direct_cost": 0, "budget": 0},
    }
    assert completed_project_totals(ctx) is totals


def test_running_period_counts_up_to_today_only():
    completed(code="P1", actual_end=dt.date(2025, 3, 20))
    ctx = KpiContext(
        period=Period.month(2025, 3),
        as_of=dt.datetime(2025, 3, 15, 12, tzinfo=dt.UTC),
        kinds=frozenset({"company"}),
    )
    assert completed_project_totals(ctx)[COMPANY]["count"] == 0


def test_saving_only_the_end_date_keeps_the_window_in_step(settings):
    settings.TIME_ZONE = "Europe/Paris"
    project = ProjectFactory(status=Project.Status.ACTIVE, actual_start=dt.date(2025, 1, 6))
    assert project.window_start == dt.datetime(2025, 1, 5, 23, tzinfo=dt.UTC)
    assert project.window_end is None

    project.actual_end = dt.date(2025, 7, 1)
    project.status = Project.Status.COMPLETED
    project.save(update_fields=["actual_end", "status"])

    project.refresh_from_db()
    assert project.window_end == dt.datetime(2025, 6, 30, 22, tzinfo=dt.UTC)
