"""Fixtures of the admin tests: one row of every model, and a staff user."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.authtoken.models import Token

from support.models import TicketComment, TicketEvent
from synapse.kpis.models import KpiAlert, KpiAlertState, KpiBand, KpiLock, KpiRun, KpiSnapshot
from synapse.outbox.models import OutboxJob
from tests.factories import (
    ClientContactFactory,
    ContractFactory,
    DowntimeFactory,
    EmployeeFactory,
    HolidayFactory,
    LeaveFactory,
    OverheadFactory,
    ProjectExpenseFactory,
    ProjectFactory,
    ProjectProgressFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
    TicketFactory,
    TicketPauseFactory,
    TimeEntryFactory,
    UserFactory,
)
from timesheets.models import Timesheet

UTC = dt.UTC


@pytest.fixture
def one_of_each(db):
    """Create one row of every model the admin shows (SLA policies come from a migration)."""
    project = ProjectFactory(code="PRJ-ADM", name="Core banking")
    client = project.client
    contract = ContractFactory(code="MS-ADM", client=client)
    contact = ClientContactFactory(client=client)
    ProjectProgressFactory(project=project)
    ProjectExpenseFactory(project=project, amount=Decimal("1234.50"))
    DowntimeFactory(project=project)
    OverheadFactory()
    employee = EmployeeFactory(user=UserFactory(username="ada"), full_name="Ada Lovelace")
    HolidayFactory()
    LeaveFactory(employee=employee)
    Timesheet.objects.create(employee=employee, week_start=dt.date(2025, 2, 3))
    ticket = TicketFactory(client=client, project=project, assignee=employee)
    TicketPauseFactory(ticket=ticket)
    TicketEvent.objects.create(
        ticket=ticket, at=dt.datetime(2025, 2, 3, 10, 5, tzinfo=UTC), to_status="in_progress"
    )
    TicketComment.objects.create(
        ticket=ticket, at=dt.datetime(2025, 2, 3, 10, 6, tzinfo=UTC), body="On it."
    )
    TimeEntryFactory(employee=employee, project=project)
    invitation = SurveyInvitationFactory(client=client, contact=contact, ticket=ticket)
    SurveyResponseFactory(client=client, invitation=invitation, ticket=ticket)
    KpiBand.objects.get_or_create(key="admin_test_kpi", defaults={"low": Decimal(1)})
    KpiSnapshot.objects.create(
        key="csat",
        grain="month",
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 1, 31),
        scope_kind="company",
        value=Decimal("4.5"),
        sample_size=2,
        computed_at=dt.datetime(2025, 2, 1, 2, 0, tzinfo=UTC),
    )
    at = dt.datetime(2025, 2, 1, 2, 0, tzinfo=UTC)
    KpiRun.objects.create(kind="nightly", status="succeeded", started_at=at, finished_at=at)
    KpiLock.objects.create(name="snapshots", holder="host:1", acquired_at=at, expires_at=at)
    KpiAlertState.objects.create(
        key="csat",
        scope_kind="company",
        status="below",
        period_start=dt.date(2025, 1, 1),
        updated_at=at,
    )
    KpiAlert.objects.create(
        key="csat",
        grain="month",
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 1, 31),
        scope_kind="company",
        previous_status="within",
        status="below",
        value=Decimal("3.9"),
        created_at=at,
    )
    OutboxJob.objects.create(
        task_name="surveys.tasks.survey_invite_ticket", args=[ticket.pk], created_at=at
    )
    Group.objects.get_or_create(name="auditors")
    Token.objects.create(user=employee.user)
    return {"client": client, "contract": contract, "employee": employee, "ticket": ticket}


@pytest.fixture
def clerk(db):
    """Return a manager (no superuser) with admin access to time entries.

    In the admin they reach what their role reaches everywhere (``timesheets.policies``):
    they read their own and their team's time and change only their own.
    """
    user = UserFactory(username="clerk", is_staff=True)
    EmployeeFactory(user=user, role="manager", full_name="Clerk Manager")
    return user


@pytest.fixture
def staff_client(clerk, client):
    """Return a test client logged in as ``clerk``, who may edit entries in the admin."""
    user = clerk
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="timesheets",
            codename__in=[
                "view_timeentry",
                "add_timeentry",
                "change_timeentry",
                "delete_timeentry",
                "view_employee",
            ],
        )
    )
    client.force_login(user)
    return client
