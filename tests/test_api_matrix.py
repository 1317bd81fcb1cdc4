"""The API, object by object and field by field: who may read, change and delete what.

``tests/test_permission_matrix.py`` covers every URL of the product for a list or page
request; this module covers what it leaves to the API: each detail route against a
record of the staff member's own (``mine``: their own for staff, their team's for the
manager) and one of somebody outside the team (``other``), with GET, an empty PATCH (a
write that changes nothing: allowed or refused, nothing moves) and DELETE; each field
of each API serializer, with who reads it and who writes it; and each model of the
admin. Coverage tests fail when a route, a field or an admin model has no row, and
``docs/permissions.md`` is generated from these tables (``tests/permission_docs.py``).

Codes, in the order of ``ROLES`` (anonymous, staff, manager, executive, superuser):
401 signed out; 403 refused (the record is visible but the role may not do that); 404
not visible to the role; 405 the route does not take the method; 200/204 done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from projects.models import Client
from support.models import Ticket, TicketEvent
from support.services import tickets_sla_refresh
from synapse.api.urls import router
from synapse.kpis.models import KpiSnapshot
from tests.factories import (
    ContractFactory,
    DowntimeFactory,
    ProjectExpenseFactory,
    ProjectProgressFactory,
    SurveyResponseFactory,
    TicketFactory,
    TicketPauseFactory,
    TimeEntryFactory,
)
from tests.test_permission_matrix import ROLES
from timesheets.models import Employee

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Detail:
    """One API detail route and the code each role gets for GET, empty PATCH and DELETE."""

    url: str
    get: tuple[int, ...]
    patch: tuple[int, ...]
    delete: tuple[int, ...]
    note: str = ""


# Shorthands, in the order of ROLES.
READ_ALL = (401, 200, 200, 200, 200)
ADMIN_WRITES = (401, 403, 403, 403, 200)
ADMIN_DELETES = (401, 403, 403, 403, 204)
NO_WRITE = (401, 403, 403, 403, 403)

DETAILS: list[Detail] = [
    # Reference data: every role reads; only admins write (a client with records is kept).
    Detail("/api/v1/clients/{client_code}/", READ_ALL, ADMIN_WRITES, (401, 403, 403, 403, 409)),
    Detail("/api/v1/contracts/{contract_code}/", READ_ALL, ADMIN_WRITES, ADMIN_DELETES),
    Detail("/api/v1/projects/{project_code}/", READ_ALL, ADMIN_WRITES, ADMIN_DELETES),
    Detail("/api/v1/project-progress/{progress_id}/", READ_ALL, ADMIN_WRITES, ADMIN_DELETES),
    Detail("/api/v1/project-expenses/{expense_id}/", READ_ALL, ADMIN_WRITES, ADMIN_DELETES),
    Detail("/api/v1/downtime/{downtime_id}/", READ_ALL, ADMIN_WRITES, ADMIN_DELETES),
    # Employees: read-only; staff see themselves, managers also their team.
    Detail("/api/v1/employees/{staff_username}/", READ_ALL, NO_WRITE, NO_WRITE),
    Detail("/api/v1/employees/{other_username}/", (401, 404, 404, 200, 200), NO_WRITE, NO_WRITE),
    # Time: the owner writes while the week is a draft or rejected; the manager reads.
    Detail(
        "/api/v1/time-entries/E-MINE/",
        READ_ALL,
        (401, 200, 403, 403, 200),
        (401, 204, 403, 403, 204),
        "a draft week",
    ),
    Detail(
        "/api/v1/time-entries/E-MINE-SUBMITTED/",
        READ_ALL,
        ADMIN_WRITES,
        ADMIN_DELETES,
        "a submitted week: fixed for everyone but admins",
    ),
    Detail(
        "/api/v1/time-entries/E-OTHER/",
        (401, 404, 404, 200, 200),
        (401, 404, 404, 403, 200),
        (401, 404, 404, 403, 204),
    ),
    # Tickets: agents work their own and unassigned ones, managers their team's;
    # executives read; only admins delete.
    Detail(
        "/api/v1/tickets/{ticket_mine_ref}/", READ_ALL, (401, 200, 200, 403, 200), ADMIN_DELETES
    ),
    Detail(
        "/api/v1/tickets/{ticket_free_ref}/",
        READ_ALL,
        (401, 200, 200, 403, 200),
        ADMIN_DELETES,
        "unassigned",
    ),
    Detail(
        "/api/v1/tickets/{ticket_other_ref}/",
        (401, 404, 404, 200, 200),
        (401, 404, 404, 403, 200),
        ADMIN_DELETES,
        "deleting is refused before the ticket is looked up: the same 403 for any ref",
    ),
    # Pauses are the waiting transition's; only admins write them directly.
    Detail("/api/v1/ticket-pauses/{pause_id}/", READ_ALL, ADMIN_WRITES, ADMIN_DELETES),
    Detail(
        "/api/v1/ticket-events/{event_id}/",
        READ_ALL,
        (401, 405, 405, 403, 405),
        (401, 405, 405, 403, 405),
        "the ticket's timeline: written by the desk only",
    ),
    # Surveys: managers and executives read, admins write; staff nothing.
    Detail(
        "/api/v1/survey-invitations/{invitation_id}/",
        (401, 403, 200, 200, 200),
        ADMIN_WRITES,
        ADMIN_DELETES,
    ),
    Detail(
        "/api/v1/survey-responses/{response_id}/",
        (401, 403, 200, 200, 200),
        ADMIN_WRITES,
        ADMIN_DELETES,
    ),
    # KPI snapshots: read-only; staff their own scope, managers theirs and their team's.
    Detail("/api/v1/kpi-snapshots/{snapshot_mine}/", READ_ALL, NO_WRITE, NO_WRITE),
    Detail(
        "/api/v1/kpi-snapshots/{snapshot_company}/", (401, 404, 404, 200, 200), NO_WRITE, NO_WRITE
    ),
]

#: Who reads a field: ``role`` everyone who may read the record; ``money`` executives
#: and admins only (absent, not null, for the others: ``timesheets.policies.may_see_money``).
READS = {"role": "whoever may read the record", "money": "executives and admins"}
#: Who writes a field: ``admin`` reference data, admins only; ``record`` whoever may
#: change the record (see DETAILS); ``desk`` the ticket desk's actions with the real
#: time, or an admin directly, audited (``support.policies``); ``derived`` computed by
#: Synapse, nobody; ``none`` a read-only resource.
WRITES = {
    "admin": "admins",
    "record": "whoever may change the record",
    "desk": "the desk's actions; admins directly (audited)",
    "derived": "nobody: computed",
    "none": "nobody: read-only resource",
}


def _fields(read: str, write: str, names: str) -> dict[str, tuple[str, str]]:
    return dict.fromkeys(names.split(), (read, write))


#: Every field of every API resource: who reads it and who writes it.
FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "client": _fields("role", "admin", "code name became_client_on churned_on"),
    "contract": {
        **_fields("role", "admin", "code client name start_date end_date"),
        **_fields("money", "admin", "monthly_fee"),
    },
    "project": {
        **_fields(
            "role",
            "admin",
            "code client name billing planned_start planned_end actual_start actual_end "
            "status requirements_met user_count",
        ),
        **_fields("money", "admin", "revenue budget"),
        **_fields("role", "derived", "window_start window_end"),
    },
    "progress": {
        **_fields("role", "derived", "id"),
        **_fields("role", "admin", "project date percent_complete"),
    },
    "expense": {
        **_fields("role", "admin", "expense_id project date category"),
        **_fields("money", "admin", "amount"),
    },
    "downtime": _fields("role", "admin", "downtime_id project started_at ended_at"),
    "employee": _fields(
        "role",
        "none",
        "username full_name email role hours_per_day employed_from employed_until manager",
    ),
    "time-entry": {
        **_fields(
            "role",
            "record",
            "entry_id employee date hours billable activity project contract ticket note",
        ),
        **_fields("money", "derived", "cost bill_value"),
        **_fields("role", "derived", "cost_contract"),
    },
    "ticket": {
        **_fields(
            "role",
            "record",
            "ref client project contract priority subject description assignee version",
        ),
        **_fields(
            "role",
            "desk",
            "status opened_at first_response_at resolved_at escalated first_contact_resolved "
            "reopened_count",
        ),
        **_fields(
            "role",
            "derived",
            "response_due_at resolution_due_at response_met resolution_met sla_decided_at sla_met",
        ),
    },
    "ticket-pause": {
        **_fields("role", "derived", "id"),
        **_fields("role", "admin", "ticket paused_at resumed_at"),
    },
    "ticket-event": _fields("role", "none", "id ticket at from_status to_status by note"),
    "survey-invitation": _fields(
        "role",
        "admin",
        "invitation_id kind client contact contact_email sent_at project ticket used_at",
    ),
    "survey-response": _fields(
        "role",
        "admin",
        "response_id kind client score responded_at invitation project ticket comment",
    ),
    "kpi-snapshot": _fields(
        "role",
        "none",
        "id key grain period_start period_end scope_kind scope_key scope value numerator "
        "denominator sample_size status band_low band_high reason definition_version "
        "computed_at",
    ),
}


@pytest.fixture
def api_world(access_world):
    """Add to the matrix's world a record of every API resource, mine and other."""
    world = access_world
    users = world["users"]
    staff = users["staff"].employee
    stranger = Employee.objects.get(user__username="stranger")
    client = Client.objects.get(code=world["client_code"])
    project = world["project"]
    contract = ContractFactory(client=client, code="C-1")
    progress = ProjectProgressFactory(project=project)
    expense = ProjectExpenseFactory(project=project, expense_id="X-1")
    downtime = DowntimeFactory(project=project, downtime_id="D-1")
    # 3 March's week is submitted (the world's timesheet); 10 March's is a draft.
    TimeEntryFactory(entry_id="E-MINE", employee=staff, date=dt.date(2025, 3, 10))
    TimeEntryFactory(entry_id="E-MINE-SUBMITTED", employee=staff, date=dt.date(2025, 3, 4))
    TimeEntryFactory(entry_id="E-OTHER", employee=stranger, date=dt.date(2025, 3, 10))
    free = TicketFactory(client=client, assignee=None, status="new")
    pause = TicketPauseFactory(ticket_id=world["ticket_mine"])
    event = TicketEvent.objects.create(
        ticket_id=world["ticket_mine"], at=timezone.now(), from_status="new", to_status="open"
    )
    response = SurveyResponseFactory(client=client, response_id="R-1")
    tickets_sla_refresh(Ticket.objects.all())  # as the desk leaves every ticket
    return {
        **world,
        "contract_code": contract.code,
        "progress_id": progress.pk,
        "expense_id": expense.expense_id,
        "downtime_id": downtime.downtime_id,
        "other_username": stranger.user.username,
        "ticket_free_ref": free.ref,
        "pause_id": pause.pk,
        "event_id": event.pk,
        "response_id": response.response_id,
        "snapshot_mine": _snapshot(scope_kind="employee", scope_key=staff.user.username).pk,
        "snapshot_company": _snapshot(scope_kind="company", scope_key="").pk,
    }


def _snapshot(**fields: Any) -> KpiSnapshot:
    return KpiSnapshot.objects.create(
        key="timesheet_compliance",
        grain="month",
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 1, 31),
        value=Decimal(90),
        sample_size=20,
        status="below",
        computed_at=timezone.now(),
        **fields,
    )


def _client(world: dict[str, Any], role: str) -> APIClient:
    client = APIClient()
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


# --- Detail routes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detail", "method", "role"),
    [
        pytest.param(detail, method, role, id=f"{method.upper()} {detail.url} {role}")
        for detail in DETAILS
        for method in ("get", "patch", "delete")
        for role in ROLES
    ],
)
def test_detail_route(api_world, detail, method, role):
    url = detail.url.format(**api_world)
    client = _client(api_world, role)
    response = client.get(url) if method == "get" else getattr(client, method)(url, {}, "json")
    assert response.status_code == getattr(detail, method)[ROLES.index(role)], response.content


def _basename(url: str) -> str:
    prefix = url.split("/")[3]
    return next(name for found, _, name in router.registry if found == prefix)


def test_every_api_resource_has_detail_rows_and_every_field_a_rule():
    """A new endpoint or serializer field must get its rows here (and so in the docs)."""
    assert {_basename(detail.url) for detail in DETAILS} == {name for *_, name in router.registry}
    for _, viewset, basename in router.registry:
        assert set(_serializer_fields(viewset)) == set(FIELDS[basename]), basename


def _serializer_fields(viewset: Any) -> dict[str, Any]:
    """Return the fields a caller who may see everything gets (a superuser)."""
    request = RequestFactory().get("/")
    request.user = type(
        "Root", (), {"is_authenticated": True, "is_active": True, "is_superuser": True}
    )()
    return viewset.serializer_class(context={"request": request}).fields


def test_the_field_rules_match_what_the_serializers_declare():
    """Money fields are the serializers' ``money_fields``; derived and read-only resources
    are read-only fields; everything else is writable by someone."""
    for _, viewset, basename in router.registry:
        fields = _serializer_fields(viewset)
        money = set(getattr(viewset.serializer_class, "money_fields", ()))
        for name, (read, write) in FIELDS[basename].items():
            assert (read == "money") == (name in money), (basename, name)
            assert fields[name].read_only == (write in ("derived", "none")), (basename, name)


# --- Fields ----------------------------------------------------------------------------

MONEY_CASES = [
    ("/api/v1/contracts/{contract_code}/", "contract"),
    ("/api/v1/projects/{project_code}/", "project"),
    ("/api/v1/project-expenses/{expense_id}/", "expense"),
    ("/api/v1/time-entries/E-MINE/", "time-entry"),
]


@pytest.mark.parametrize(("url", "basename"), MONEY_CASES)
@pytest.mark.parametrize("role", ["staff", "manager", "executive", "superuser"])
def test_money_fields_reach_executives_and_admins_only(api_world, url, basename, role):
    money = {name for name, (read, _) in FIELDS[basename].items() if read == "money"}
    body = _client(api_world, role).get(url.format(**api_world)).json()
    shown = money & set(body)
    assert shown == (money if role in ("executive", "superuser") else set())
    assert "id" in body or len(body) > len(money)  # the rest of the record is there


#: A value different from the ticket's for each history field a direct write may set.
DESK_CHANGES = {
    "opened_at": "2025-01-02T09:00:00Z",
    "first_response_at": "2099-01-02T09:05:00Z",
    "resolved_at": "2099-01-02T09:10:00Z",
    "escalated": True,
    "first_contact_resolved": True,
    "reopened_count": 3,
}
#: ``status`` is a desk field too, but a new status is the desk's transition action.
DESK_NOT_PATCHED = {"status": "a status change through the API is the desk's transition"}


def test_every_desk_field_has_a_write_case():
    desk = {name for name, (_, write) in FIELDS["ticket"].items() if write == "desk"}
    assert desk == set(DESK_CHANGES) | set(DESK_NOT_PATCHED)


@pytest.mark.parametrize("field", sorted(DESK_CHANGES))
@pytest.mark.parametrize("role", ["staff", "manager"])
def test_agents_cannot_write_ticket_history_directly(api_world, field, role):
    url = "/api/v1/tickets/{ticket_mine_ref}/".format(**api_world)
    before = Ticket.objects.values(field).get(pk=api_world["ticket_mine"])
    response = _client(api_world, role).patch(url, {field: DESK_CHANGES[field]}, "json")
    assert response.status_code == 403
    assert response.json()["fields"] == [field]
    assert Ticket.objects.values(field).get(pk=api_world["ticket_mine"]) == before


@pytest.mark.parametrize("field", sorted(DESK_CHANGES))
def test_an_admin_writes_ticket_history_and_is_recorded(api_world, field):
    url = "/api/v1/tickets/{ticket_mine_ref}/".format(**api_world)
    data = {field: DESK_CHANGES[field]}
    if field in ("first_response_at", "resolved_at"):
        data["opened_at"] = "2099-01-02T09:00:00Z"
    response = _client(api_world, "superuser").patch(url, data, "json")
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get(pk=api_world["ticket_mine"])
    assert ticket.history.order_by("-history_id").first().history_user.username == "root"


DERIVED_CASES = [
    ("/api/v1/time-entries/E-MINE/", TimeEntryFactory._meta.model, "entry_id", "E-MINE"),
    ("/api/v1/tickets/{ticket_mine_ref}/", Ticket, "pk", None),
]


@pytest.mark.parametrize(("url", "model", "key", "value"), DERIVED_CASES)
def test_derived_fields_ignore_every_write_even_an_admins(api_world, url, model, key, value):
    basename = _basename(url)
    derived = [
        name
        for name, (_, write) in FIELDS[basename].items()
        if write == "derived" and hasattr(model, name)
    ]
    lookup = {key: value if value is not None else api_world["ticket_mine"]}
    before = model.objects.filter(**lookup).values(*derived).get()
    response = _client(api_world, "superuser").patch(
        url.format(**api_world), dict.fromkeys(derived, "2001-01-01T00:00:00Z"), "json"
    )
    assert response.status_code == 200, response.content
    assert model.objects.filter(**lookup).values(*derived).get() == before


# --- The admin -------------------------------------------------------------------------

#: Every model of the admin; its changelist answers like this (``ROLES`` order): the
#: admin is for superusers whose second factor is verified (employees are not staff).
ADMIN_CHANGELIST = (302, 302, 302, 302, 200)


def _admin_models() -> list[str]:
    return sorted(f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry)


#: The admin's models, listed so that a new one shows up here and in the docs.
ADMIN_MODELS = [
    "auth.group",
    "auth.user",
    "authtoken.tokenproxy",
    "kpis.kpialert",
    "kpis.kpialertstate",
    "kpis.kpiband",
    "kpis.kpilock",
    "kpis.kpirun",
    "kpis.kpisnapshot",
    "outbox.outboxjob",
    "projects.client",
    "projects.clientcontact",
    "projects.contract",
    "projects.downtime",
    "projects.overhead",
    "projects.project",
    "projects.projectexpense",
    "projects.projectprogress",
    "support.slapolicy",
    "support.ticket",
    "support.ticketcomment",
    "support.ticketevent",
    "support.ticketpause",
    "surveys.surveyinvitation",
    "surveys.surveyresponse",
    "timesheets.employee",
    "timesheets.holiday",
    "timesheets.leave",
    "timesheets.rate",
    "timesheets.timeentry",
    "timesheets.timesheet",
]


def test_every_admin_model_is_listed():
    assert _admin_models() == ADMIN_MODELS


@pytest.mark.parametrize("model", ADMIN_MODELS)
@pytest.mark.parametrize("role", ROLES)
def test_admin_changelist(client, access_world, model, role):
    if role != "anonymous":
        client.force_login(access_world["users"][role])
    app_label, name = model.split(".")
    response = client.get(f"/admin/{app_label}/{name}/")
    assert response.status_code == ADMIN_CHANGELIST[ROLES.index(role)]
    if response.status_code == 302:
        assert response["Location"].startswith("/admin/login/")
