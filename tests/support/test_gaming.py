"""Nobody moves a support KPI except by doing the work: the gaming attempts that fail.

``sam`` (staff) resolved a P1 ticket two days after it was opened: the SLA is breached,
his MTTR is 48 h, first-contact resolution 0 %, escalation rate 0 %. He then tries to
rewrite that history through the API (PATCH, POST, pauses) and the admin; every KPI,
computed by the real engine, stays where the work put it. Superusers may write history
directly, and their writes are recorded with their name.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from support.models import Ticket, TicketPause
from support.services import tickets_sla_refresh
from synapse.kpis.engine import kpis_compute
from synapse.kpis.periods import Period, Scope
from tests.factories import ClientFactory, EmployeeFactory, TicketFactory, UserFactory
from timesheets.models import Employee

pytestmark = pytest.mark.django_db

FEB = Period.month(2025, 2)
AFTER = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
OPENED = dt.datetime(2025, 2, 3, 10, 0, tzinfo=dt.UTC)
RESOLVED = dt.datetime(2025, 2, 5, 10, 0, tzinfo=dt.UTC)
KEYS = ("mttr_hours", "first_contact_resolution")
CLIENT_KEYS = ("sla_compliance", "escalation_rate")


def sam_kpis() -> dict[str, Decimal | None]:
    """Return sam's support KPIs for February, computed by the engine from the records.

    SLA compliance and the escalation rate have no employee scope: they are read for
    sam's only client, ACME.
    """
    tickets_sla_refresh(Ticket.objects.all(), now=AFTER)
    values = kpis_compute(period=FEB, scope=Scope("employee", "sam"), as_of=AFTER, keys=KEYS)
    client = kpis_compute(period=FEB, scope=Scope("client", "ACME"), as_of=AFTER, keys=CLIENT_KEYS)
    return {key: values[key].value for key in KEYS} | {
        key: client[key].value for key in CLIENT_KEYS
    }


BASELINE = {
    "mttr_hours": Decimal(48),
    "sla_compliance": Decimal(0),
    "first_contact_resolution": Decimal(0),
    "escalation_rate": Decimal(0),
}


@pytest.fixture
def people():
    mia = EmployeeFactory(user=UserFactory(username="mia"), role=Employee.Role.MANAGER)
    sam = EmployeeFactory(user=UserFactory(username="sam"), manager=mia)
    boss = EmployeeFactory(user=UserFactory(username="boss"), role=Employee.Role.EXECUTIVE)
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    return {"mia": mia.user, "sam": sam.user, "boss": boss.user, "root": root}


@pytest.fixture
def breached(people):
    """Sam's P1 ticket, resolved 48 h after it was opened (the 4 h SLA is breached)."""
    return TicketFactory(
        ref="T-1",
        client=ClientFactory(code="ACME"),
        priority="P1",
        assignee=people["sam"].employee,
        status=Ticket.Status.RESOLVED,
        opened_at=OPENED,
        first_response_at=RESOLVED,
        resolved_at=RESOLVED,
    )


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def test_the_baseline_is_what_the_work_did(breached):
    assert sam_kpis() == BASELINE


def test_rewriting_the_history_of_an_own_ticket_is_refused(people, breached):
    body = {
        "opened_at": "2025-02-05T09:55:00Z",
        "first_response_at": "2025-02-05T09:56:00Z",
        "first_contact_resolved": True,
    }

    response = api(people["sam"]).patch("/api/v1/tickets/T-1/", body, format="json")

    assert response.status_code == 403
    assert response.json()["fields"] == ["opened_at", "first_response_at", "first_contact_resolved"]
    assert "opened_at, first_response_at, first_contact_resolved" in response.json()["detail"]
    breached.refresh_from_db()
    assert (breached.opened_at, breached.first_response_at) == (OPENED, RESOLVED)
    assert sam_kpis() == BASELINE


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("opened_at", "2025-02-05T09:00:00Z"),
        ("first_response_at", "2025-02-03T10:01:00Z"),
        ("resolved_at", "2025-02-03T11:00:00Z"),
        ("reopened_count", 0 + 3),
        ("escalated", True),
        ("first_contact_resolved", True),
        ("sla_met", True),
        ("resolution_met", True),
    ],
)
@pytest.mark.parametrize("who", ["sam", "mia"])
def test_each_protected_field_is_refused_to_staff_and_managers(people, breached, who, field, value):
    response = api(people[who]).patch("/api/v1/tickets/T-1/", {field: value}, format="json")

    assert response.status_code == 403
    assert response.json()["fields"] == [field]
    assert sam_kpis() == BASELINE


def test_a_backdated_closed_ticket_cannot_be_created(people, breached):
    body = {
        "ref": "T-FAKE",
        "client": "ACME",
        "priority": "P1",
        "subject": "Quick win",
        "assignee": "sam",
        "status": "closed",
        "opened_at": "2025-02-10T10:00:00Z",
        "first_response_at": "2025-02-10T10:01:00Z",
        "resolved_at": "2025-02-10T10:05:00Z",
        "first_contact_resolved": True,
    }

    response = api(people["sam"]).post("/api/v1/tickets/", body, format="json")

    assert response.status_code == 403
    assert response.json()["fields"] == [
        "opened_at",
        "first_response_at",
        "resolved_at",
        "status",
        "first_contact_resolved",
    ]
    assert not Ticket.objects.filter(ref="T-FAKE").exists()
    assert sam_kpis() == BASELINE


def test_a_ticket_opened_through_the_api_is_opened_now_as_new(people, breached):
    body = {"ref": "T-2", "client": "ACME", "priority": "P1", "subject": "Real", "status": "new"}
    now = dt.datetime(2025, 2, 20, 9, 30, tzinfo=dt.UTC)

    with time_machine.travel(now, tick=False):
        response = api(people["sam"]).post("/api/v1/tickets/", body, format="json")

    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(ref="T-2")
    assert (ticket.status, ticket.opened_at, ticket.resolved_at) == ("new", now, None)


def test_a_backdated_pause_cannot_stop_the_clock(people, breached):
    body = {"ticket": "T-1", "paused_at": "2025-02-03T10:30:00Z", "resumed_at": RESOLVED}

    response = api(people["sam"]).post("/api/v1/ticket-pauses/", body, format="json")

    assert response.status_code == 403
    assert not TicketPause.objects.exists()
    assert sam_kpis() == BASELINE


def test_the_admin_shows_history_fields_read_only_to_non_superusers(people, breached):
    user = people["sam"]
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_ticket", "change_ticket"])
    )
    client = Client()
    client.force_login(user)
    url = reverse("admin:support_ticket_change", args=[breached.pk])
    form = client.get(url).context["adminform"].form

    response = client.post(
        url,
        {
            "ref": "T-1",
            "client": str(breached.client_id),
            "priority": "P1",
            "subject": "Renamed",
            "description": "",
            "status": "resolved",
            "assignee": str(user.employee.pk),
            "opened_at_0": "2025-02-05",
            "opened_at_1": "09:55:00",
            "first_contact_resolved": "on",
            "escalated": "",
            "reopened_count": "0",
            **_empty_inlines(),
        },
    )

    assert {"opened_at", "resolved_at", "first_contact_resolved"}.isdisjoint(form.fields)
    assert response.status_code == 302
    breached.refresh_from_db()
    assert (breached.subject, breached.opened_at) == ("Renamed", OPENED)
    assert breached.first_contact_resolved is False
    assert sam_kpis() == BASELINE


def _empty_inlines() -> dict[str, str]:
    data = {}
    for prefix in ("pauses", "events", "comments"):
        data |= {
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    return data


def test_executives_change_no_ticket(people, breached):
    response = api(people["boss"]).patch("/api/v1/tickets/T-1/", {"subject": "x"}, format="json")

    assert response.status_code == 403
    assert Ticket.objects.get(ref="T-1").subject == "Printer on fire"


def test_the_desk_actions_through_the_api_move_history_with_the_real_time(people):
    TicketFactory(ref="T-3", client=ClientFactory(code="BETA"), assignee=people["sam"].employee)
    client = api(people["sam"])
    answered = dt.datetime(2025, 2, 3, 10, 20, tzinfo=dt.UTC)

    with time_machine.travel(answered, tick=False):
        comment = client.post("/api/v1/tickets/T-3/comments/", {"body": "On it"}, format="json")
    with time_machine.travel(answered + dt.timedelta(minutes=5), tick=False):
        escalated = client.post(
            "/api/v1/tickets/T-3/escalate/", {"reason": "Needs the network team"}, format="json"
        )

    assert comment.status_code == 201, comment.json()
    assert (comment.json()["first_response_at"], comment.json()["status"]) == (
        "2025-02-03T10:20:00Z",
        "in_progress",
    )
    assert escalated.status_code == 200, escalated.json()
    assert escalated.json()["escalated"] is True
    ticket = Ticket.objects.get(ref="T-3")
    assert (ticket.first_response_at, ticket.escalated) == (answered, True)


def test_a_superuser_may_import_history_and_is_recorded(people, breached):
    body = {"opened_at": "2025-02-05T08:00:00Z", "first_contact_resolved": True}

    response = api(people["root"]).patch("/api/v1/tickets/T-1/", body, format="json")

    assert response.status_code == 200, response.json()
    last = breached.history.order_by("-history_id").first()
    assert (last.history_user, last.opened_at) == (
        people["root"],
        dt.datetime(2025, 2, 5, 8, 0, tzinfo=dt.UTC),
    )
    assert sam_kpis()["mttr_hours"] == Decimal(2)


def test_staff_cannot_move_a_breached_ticket_off_their_name(people, breached):
    response = api(people["sam"]).patch("/api/v1/tickets/T-1/", {"assignee": None}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "Only a manager can reassign a ticket."}
    assert Ticket.objects.get(ref="T-1").assignee == people["sam"].employee
    assert sam_kpis() == BASELINE
