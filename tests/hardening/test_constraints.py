"""The database refuses what the application refuses: every constraint, tested directly.

Each case writes, through the ORM but around forms and services (``update()`` or a
plain ``create()``), a row that breaks one ``CheckConstraint`` or ``UniqueConstraint``
of the models, and the database must raise ``IntegrityError``. A coverage test keeps
the table complete: a constraint added to a model without a case here fails it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from projects.models import (
    Client,
    ClientContact,
    Contract,
    Downtime,
    Overhead,
    Project,
    ProjectExpense,
    ProjectProgress,
)
from support.models import SlaPolicy, Ticket, TicketPause
from surveys.models import SurveyInvitation, SurveyResponse
from synapse.kpis.models import KpiAlertState, KpiBand, KpiSnapshot
from tests.factories import (
    ClientContactFactory,
    ContractFactory,
    DowntimeFactory,
    EmployeeFactory,
    OverheadFactory,
    ProjectExpenseFactory,
    ProjectFactory,
    ProjectProgressFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
    TicketFactory,
    TicketPauseFactory,
    TimeEntryFactory,
)
from timesheets.models import Employee, Leave, Rate, TimeEntry, Timesheet

pytestmark = pytest.mark.django_db

APPS = {"projects", "timesheets", "support", "surveys", "kpis", "outbox"}
DAY = dt.date(2025, 2, 3)
AT = dt.datetime(2025, 2, 3, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def world() -> dict[str, Any]:
    """Return one valid row of every constrained model."""
    project = ProjectFactory(code="PRJ-C")
    client = project.client
    employee = EmployeeFactory(employed_from=dt.date(2024, 1, 1))
    ticket = TicketFactory(client=client, opened_at=AT)
    return {
        "client": client,
        "project": project,
        "contract": ContractFactory(client=client),
        "contact": ClientContactFactory(client=client, email="a@client.example"),
        "progress": ProjectProgressFactory(project=project, date=DAY),
        "expense": ProjectExpenseFactory(project=project),
        "downtime": DowntimeFactory(project=project),
        "overhead": OverheadFactory(month=dt.date(2025, 1, 1)),
        "employee": employee,
        "rate": employee.rates.get(),
        "leave": Leave.objects.create(employee=employee, date=DAY, hours=Decimal(4)),
        "timesheet": Timesheet.objects.create(employee=employee, week_start=DAY),
        "entry": TimeEntryFactory(employee=employee, project=project),
        "ticket": ticket,
        "pause": TicketPauseFactory(ticket=ticket, paused_at=AT + dt.timedelta(hours=1)),
        "invitation": SurveyInvitationFactory(client=client, project=project, ticket=ticket),
        "response": SurveyResponseFactory(client=client, kind="csat", score=4),
        "snapshot": KpiSnapshot.objects.create(
            key="csat",
            grain="month",
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 1, 31),
            scope_kind="company",
            computed_at=AT,
        ),
        "alert_state": KpiAlertState.objects.create(
            key="csat",
            scope_kind="company",
            status="below",
            period_start=dt.date(2025, 1, 1),
            updated_at=AT,
        ),
    }


def _set(model: type, obj: Any, **values: Any) -> None:
    model.objects.filter(pk=obj.pk).update(**values)


def _copy(obj: Any, **changes: Any) -> None:
    """Insert a copy of ``obj`` (a new pk) with ``changes``."""
    fields = {
        f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key
    }
    fields.update(changes)
    type(obj).objects.create(**fields)


#: constraint name → a write that breaks it.
CASES: dict[str, Callable[[dict[str, Any]], None]] = {
    "kpiband_high_above_low": lambda w: KpiBand.objects.create(
        key="broken_band", low=Decimal(5), high=Decimal(1)
    ),
    "snapshot_unique_period_scope": lambda w: _copy(w["snapshot"]),
    "snapshot_period_order": lambda w: _set(
        KpiSnapshot, w["snapshot"], period_end=dt.date(2024, 12, 31)
    ),
    "alertstate_unique_kpi_scope": lambda w: _copy(w["alert_state"]),
    "client_churn_after_start": lambda w: _set(
        Client, w["client"], churned_on=dt.date(2023, 12, 31)
    ),
    "contact_unique_role": lambda w: _copy(w["contact"], name="Same person again"),
    "contract_fee_positive": lambda w: _set(Contract, w["contract"], monthly_fee=Decimal("-0.01")),
    "contract_end_after_start": lambda w: _set(
        Contract, w["contract"], end_date=dt.date(2023, 12, 31)
    ),
    "project_budget_positive": lambda w: _set(Project, w["project"], budget=Decimal("-1")),
    "project_revenue_positive": lambda w: _set(Project, w["project"], revenue=Decimal("-1")),
    "project_fixed_has_revenue": lambda w: _set(Project, w["project"], revenue=None),
    "project_planned_end_after_start": lambda w: _set(
        Project, w["project"], planned_end=dt.date(2024, 12, 31)
    ),
    "project_actual_end_after_start": lambda w: _set(
        Project, w["project"], actual_start=None, actual_end=DAY
    ),
    "progress_unique_date": lambda w: _copy(w["progress"]),
    "progress_percent_range": lambda w: _set(
        ProjectProgress, w["progress"], percent_complete=Decimal("100.01")
    ),
    "expense_amount_positive": lambda w: _set(ProjectExpense, w["expense"], amount=Decimal("-5")),
    "downtime_end_after_start": lambda w: _set(
        Downtime, w["downtime"], ended_at=w["downtime"].started_at - dt.timedelta(seconds=1)
    ),
    "overhead_unique_month": lambda w: _copy(w["overhead"]),
    "overhead_amount_positive": lambda w: _set(Overhead, w["overhead"], amount=Decimal("-1")),
    "employee_hours_per_day_range": lambda w: _set(
        Employee, w["employee"], hours_per_day=Decimal("24.01")
    ),
    "employee_until_after_from": lambda w: _set(
        Employee, w["employee"], employed_until=dt.date(2023, 12, 31)
    ),
    "rate_unique_from": lambda w: _copy(w["rate"]),
    "rate_positive": lambda w: _set(Rate, w["rate"], cost_rate=Decimal("-1")),
    "leave_unique_day": lambda w: _copy(w["leave"]),
    "leave_hours_range": lambda w: _set(Leave, w["leave"], hours=Decimal(0)),
    "timesheet_unique_week": lambda w: _copy(w["timesheet"], version=5),
    "entry_entry_id_unique": lambda w: _copy(w["entry"], date=DAY + dt.timedelta(1)),
    "entry_hours_range": lambda w: _set(TimeEntry, w["entry"], hours=Decimal("24.01")),
    "entry_cost_positive": lambda w: _set(TimeEntry, w["entry"], cost=Decimal("-0.01")),
    "sla_targets_positive": lambda w: SlaPolicy.objects.filter(priority="P1").update(
        resolve_minutes=0
    ),
    "sla_business_day_order": lambda w: SlaPolicy.objects.filter(priority="P3").update(
        business_day_end=dt.time(9, 0)
    ),
    "ticket_resolved_after_opened": lambda w: _set(
        Ticket, w["ticket"], resolved_at=AT - dt.timedelta(minutes=1)
    ),
    "ticket_response_after_opened": lambda w: _set(
        Ticket, w["ticket"], first_response_at=AT - dt.timedelta(minutes=1)
    ),
    "pause_unique_start": lambda w: _copy(w["pause"]),
    "pause_resumed_after_paused": lambda w: _set(TicketPause, w["pause"], resumed_at=AT),
    "invitation_once_per_project": lambda w: _copy(
        w["invitation"], invitation_id="INV-DUP-P", ticket_id=None
    ),
    "invitation_once_per_ticket": lambda w: _copy(
        w["invitation"], invitation_id="INV-DUP-T", project_id=None
    ),
    "response_score_on_scale": lambda w: _set(SurveyResponse, w["response"], score=6),
    "invitation_pending_not_emailed": lambda w: _set(
        SurveyInvitation, w["invitation"], mail_pending=True, emailed_at=AT
    ),
}

#: Unique columns (``unique=True``): a second row with the same value.
UNIQUE_FIELD_CASES: dict[str, Callable[[dict[str, Any]], None]] = {
    "projects.Client.code": lambda w: Client.objects.create(
        code=w["client"].code, name="Copy", became_client_on=DAY
    ),
    "projects.Project.code": lambda w: _copy(w["project"], name="Copy"),
    "projects.Contract.code": lambda w: _copy(w["contract"]),
    "projects.ProjectExpense.expense_id": lambda w: _copy(w["expense"]),
    "projects.Downtime.downtime_id": lambda w: _copy(w["downtime"]),
    "support.Ticket.ref": lambda w: _copy(w["ticket"]),
    "support.SlaPolicy.priority": lambda w: _copy(SlaPolicy.objects.get(priority="P2")),
    "surveys.SurveyInvitation.invitation_id": lambda w: _copy(
        w["invitation"], project_id=None, ticket_id=None
    ),
    "surveys.SurveyResponse.invitation": lambda w: (
        SurveyResponse.objects.create(
            response_id="R-2",
            kind="csat",
            client=w["client"],
            score=5,
            responded_at=AT,
            invitation=w["invitation"],
        )
        and SurveyResponse.objects.create(
            response_id="R-3",
            kind="csat",
            client=w["client"],
            score=5,
            responded_at=AT,
            invitation=w["invitation"],
        )
    ),
    "kpis.KpiBand.key": lambda w: (
        KpiBand.objects.create(key="csat") and KpiBand.objects.create(key="csat")
    ),
}


def _refused(write: Callable[[dict[str, Any]], None], world: dict[str, Any]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        write(world)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_database_refuses_a_row_breaking(world, name):
    _refused(CASES[name], world)


@pytest.mark.parametrize("name", sorted(UNIQUE_FIELD_CASES))
def test_the_database_refuses_a_duplicate(world, name):
    _refused(UNIQUE_FIELD_CASES[name], world)


def test_the_nps_scale_is_refused_past_10_and_csat_below_1(world):
    response = world["response"]
    _refused(lambda w: _set(SurveyResponse, response, kind="nps", score=11), world)
    _refused(lambda w: _set(SurveyResponse, response, score=0), world)
    _set(SurveyResponse, response, kind="nps", score=0)  # on the NPS scale: accepted
    assert SurveyResponse.objects.get(pk=response.pk).score == 0


def test_every_constraint_of_the_models_has_a_case():
    named = {
        constraint.name
        for model in apps.get_models()
        if model._meta.app_label in APPS
        for constraint in model._meta.constraints
    }
    assert named == set(CASES)


def test_the_valid_world_itself_is_accepted(world):
    """The rows the cases start from break nothing (each case breaks exactly one rule)."""
    assert Project.objects.get(pk=world["project"].pk).code == "PRJ-C"
    assert ClientContact.objects.count() == 1
    assert SurveyInvitation.objects.count() == 1
