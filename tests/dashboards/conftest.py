"""Fixtures of the dashboard tests: an executive client and a small firm with snapshots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from projects.models import Project
from support.models import Ticket
from synapse.kpis.periods import Period
from synapse.kpis.snapshots import snapshots_compute_period
from tests.factories import (
    ClientFactory,
    ContractFactory,
    EmployeeFactory,
    ProjectFactory,
    SurveyResponseFactory,
    TicketFactory,
    TimeEntryFactory,
)

#: The tests' "now": mid-April 2025, so March 2025 is a closed month with snapshots.
NOW = dt.datetime(2025, 4, 15, 12, 0, tzinfo=dt.UTC)
MARCH = Period.month(2025, 3)


@pytest.fixture
def now():
    """Freeze the clock at ``NOW`` (the pages and the engine read it)."""
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def exec_client(client, db):
    """Return a test client signed in as an executive."""
    employee = EmployeeFactory(role="executive", full_name="Erin Exec", user__username="exec")
    client.force_login(employee.user)
    return client


def firm_build(size: int) -> dict:
    """Create ``size`` clients, each with a contract, a project completed in March 2025,
    a staff member logging time on it, a resolved ticket and a CSAT response."""
    made: dict[str, list] = {"clients": [], "projects": [], "employees": []}
    for i in range(size):
        client = ClientFactory(code=f"C{i:03d}", name=f"Client {i}")
        ContractFactory(client=client, monthly_fee=Decimal("5000.00") + i)
        project = ProjectFactory(
            code=f"P{i:03d}",
            client=client,
            status=Project.Status.COMPLETED,
            planned_start=dt.date(2025, 1, 6),
            planned_end=dt.date(2025, 3, 28),
            actual_start=dt.date(2025, 1, 6),
            actual_end=dt.date(2025, 3, 20),
            requirements_met=True,
            user_count=100,
        )
        employee = EmployeeFactory(user__username=f"staff{i}", full_name=f"Staff {i}")
        for day in (3, 4, 5):
            TimeEntryFactory(
                employee=employee, project=project, date=dt.date(2025, 3, day), hours=Decimal(8)
            )
        TicketFactory(
            client=client,
            assignee=employee,
            opened_at=dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC),
            first_response_at=dt.datetime(2025, 3, 10, 9, 30, tzinfo=dt.UTC),
            resolved_at=dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC),
            status=Ticket.Status.RESOLVED,
            first_contact_resolved=True,
        )
        SurveyResponseFactory(
            client=client,
            project=project,
            score=4 + i % 2,
            responded_at=dt.datetime(2025, 3, 25, 12, 0, tzinfo=dt.UTC),
        )
        made["clients"].append(client)
        made["projects"].append(project)
        made["employees"].append(employee)
    return made


def snapshots_build(periods: list[Period]) -> None:
    """Store the snapshots of ``periods`` as the nightly job would."""
    for period in periods:
        snapshots_compute_period(period=period, as_of=NOW)


@pytest.fixture
def firm(db, now):
    """Return a firm of three clients with the snapshots of Feb–Apr 2025 stored."""
    made = firm_build(3)
    snapshots_build([Period.month(2025, 2), MARCH, Period.month(2025, 4)])
    return made
