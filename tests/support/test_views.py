"""The ticket desk pages: permissions per role, filters, query counts, forms and HTMX panels."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from support.models import Ticket, TicketComment, TicketPause
from support.services import tickets_sla_refresh
from tests.factories import (
    ClientFactory,
    ContractFactory,
    EmployeeFactory,
    ProjectFactory,
    TicketFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def team():
    """A manager with two staff, a staff member of another team, and an executive."""
    boss = EmployeeFactory(role="manager", full_name="Mia Manager")
    return {
        "boss": boss,
        "alice": EmployeeFactory(role="staff", manager=boss, full_name="Alice"),
        "bob": EmployeeFactory(role="staff", manager=boss, full_name="Bob"),
        "carol": EmployeeFactory(role="staff", full_name="Carol"),
        "exec": EmployeeFactory(role="executive", full_name="Eve Executive"),
    }


@pytest.fixture
def tickets(team):
    """One open ticket per assignee (Alice, Bob, Carol) and one unassigned."""
    now = timezone.now()
    made = {
        name: TicketFactory(
            subject=f"Ticket of {name}",
            assignee=team.get(name),
            opened_at=now - dt.timedelta(hours=1),
        )
        for name in ("alice", "bob", "carol", "nobody")
    }
    tickets_sla_refresh(Ticket.objects.all())
    return made


def login(client, employee):
    client.force_login(employee.user)
    return client


def listed(response) -> set[str]:
    return {t.subject for t in response.context["page"].object_list}


# --- permissions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("alice", {"Ticket of alice", "Ticket of nobody"}),
        ("carol", {"Ticket of carol", "Ticket of nobody"}),
        ("boss", {"Ticket of alice", "Ticket of bob", "Ticket of nobody"}),
        (
            "exec",
            {"Ticket of alice", "Ticket of bob", "Ticket of carol", "Ticket of nobody"},
        ),
    ],
)
def test_each_role_lists_the_tickets_it_may_see(client, team, tickets, who, sees):
    response = login(client, team[who]).get(reverse("support:ticket_list"))
    assert response.status_code == 200
    assert listed(response) == sees


@pytest.mark.parametrize(
    ("who", "ticket", "status"),
    [
        ("alice", "alice", 200),
        ("alice", "nobody", 200),
        ("alice", "bob", 404),
        ("boss", "bob", 200),
        ("boss", "carol", 404),
        ("exec", "carol", 200),
    ],
)
def test_ticket_page_is_404_outside_the_users_reach(client, team, tickets, who, ticket, status):
    url = reverse("support:ticket_detail", args=[tickets[ticket].pk])
    assert login(client, team[who]).get(url).status_code == status


def test_users_without_a_role_get_403_and_anonymous_users_the_login(client, tickets):
    url = reverse("support:ticket_list")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    assert (
        client.get(reverse("support:ticket_detail", args=[tickets["nobody"].pk])).status_code == 403
    )


@pytest.mark.parametrize(
    ("name", "args", "data"),
    [
        ("support:ticket_transition", True, {"version": 0, "to_status": "in_progress"}),
        ("support:ticket_comment", True, {"body": "Hello"}),
        ("support:ticket_assign", True, {"version": 0, "assignee": ""}),
        ("support:ticket_escalate", True, {"version": 0, "reason": "x"}),
        ("support:ticket_edit", True, {}),
        ("support:ticket_create", False, {}),
    ],
)
def test_executives_read_but_cannot_change_tickets(client, team, tickets, name, args, data):
    ticket = tickets["alice"]
    url = reverse(name, args=[ticket.pk] if args else [])
    assert login(client, team["exec"]).post(url, data).status_code == 403
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version) == ("new", 0)
    assert TicketComment.objects.count() == 0


def test_staff_cannot_post_to_another_staff_members_ticket(client, team, tickets):
    url = reverse("support:ticket_transition", args=[tickets["bob"].pk])
    data = {"version": 0, "to_status": "in_progress"}
    assert login(client, team["alice"]).post(url, data).status_code == 404
    assert Ticket.objects.get(pk=tickets["bob"].pk).status == "new"


def test_a_manager_works_a_team_members_ticket(client, team, tickets):
    url = reverse("support:ticket_transition", args=[tickets["bob"].pk])
    response = login(client, team["boss"]).post(url, {"version": 0, "to_status": "in_progress"})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=tickets["bob"].pk).status == "in_progress"


# --- filters and the list ------------------------------------------------------------


def test_filters_mine_waiting_client_priority_and_breaching(client, team):
    alice = team["alice"]
    now = timezone.now()
    acme = ClientFactory(code="ACME")
    TicketFactory(subject="mine", assignee=alice, opened_at=now, priority="P3")
    waiting = TicketFactory(subject="waiting", status="waiting", opened_at=now, priority="P3")
    TicketPause.objects.create(ticket=waiting, paused_at=now)
    TicketFactory(subject="acme", client=acme, opened_at=now, priority="P3")
    # P1: resolve within 4 h on a 24×7 clock; opened 3 h 30 ago → due in 30 min.
    TicketFactory(subject="urgent", priority="P1", opened_at=now - dt.timedelta(hours=3.5))
    TicketFactory(subject="done", status="resolved", opened_at=now, resolved_at=now)
    tickets_sla_refresh(Ticket.objects.all())
    login(client, alice)
    url = reverse("support:ticket_list")

    assert listed(client.get(url)) == {"mine", "waiting", "acme", "urgent"}
    assert listed(client.get(url, {"view": "mine"})) == {"mine"}
    assert listed(client.get(url, {"view": "waiting"})) == {"waiting"}
    assert listed(client.get(url, {"view": "breaching"})) == {"urgent"}
    assert listed(client.get(url, {"view": "done"})) == {"done"}
    assert listed(client.get(url, {"view": "unassigned"})) == {"waiting", "acme", "urgent"}
    assert listed(client.get(url, {"view": "all", "client": "ACME"})) == {"acme"}
    assert listed(client.get(url, {"view": "all", "priority": "P1"})) == {"urgent"}


def test_the_list_partial_is_returned_to_htmx(client, team, tickets):
    response = login(client, team["alice"]).get(
        reverse("support:ticket_list"), {"view": "mine"}, headers=HTMX
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="ticket-list"')
    assert "Ticket of alice" in body
    assert "<html" not in body


def _make_tickets(count: int, assignee) -> None:
    client = ClientFactory()
    project = ProjectFactory(client=client)
    contract = ContractFactory(client=client)
    now = timezone.now()
    for i in range(count):
        TicketFactory(
            client=client,
            project=project if i % 2 else None,
            contract=None if i % 2 else contract,
            assignee=assignee,
            opened_at=now - dt.timedelta(minutes=i),
        )


@pytest.mark.parametrize("count", [5, 50])
def test_the_list_takes_a_fixed_number_of_queries(client, team, count, django_assert_num_queries):
    _make_tickets(count, team["alice"])
    login(client, team["alice"])
    # 1 session, 2 user with their employee (role), 3 count, 4 the page's tickets with
    # client, project, contract and assignee joined, 5 the clients of the filter.
    with django_assert_num_queries(5):
        response = client.get(reverse("support:ticket_list"), {"view": "all"})
    assert len(response.context["page"].object_list) == min(count, 25)


def test_the_list_is_paginated(client, team):
    _make_tickets(30, team["alice"])
    login(client, team["alice"])
    first = client.get(reverse("support:ticket_list"), {"view": "all"})
    second = client.get(reverse("support:ticket_list"), {"view": "all", "page": 2})
    assert (first.context["page"].paginator.num_pages, len(second.context["page"])) == (2, 5)
    assert "page=2" in first.content.decode()


# --- create and edit ----------------------------------------------------------------------


def test_staff_open_a_ticket_assigned_to_themselves(client, team):
    acme = ClientFactory(code="ACME")
    contract = ContractFactory(client=acme)
    response = login(client, team["alice"]).post(
        reverse("support:ticket_create"),
        {
            "client": acme.pk,
            "contract": contract.pk,
            "priority": "P2",
            "subject": "VPN drops",
            "description": "Since Monday",
            "assign_to_me": "on",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("support:ticket_detail", args=[ticket.pk])
    assert (ticket.subject, ticket.client, ticket.contract, ticket.assignee) == (
        "VPN drops",
        acme,
        contract,
        team["alice"],
    )
    assert ticket.response_due_at is not None


def test_a_contract_or_project_of_another_client_is_refused_with_a_clear_message(client, team):
    acme, other = ClientFactory(code="ACME"), ClientFactory(code="OTHER")
    contract = ContractFactory(client=other, code="MS-OTHER")
    project = ProjectFactory(client=other, code="PRJ-OTHER")
    response = login(client, team["alice"]).post(
        reverse("support:ticket_create"),
        {
            "client": acme.pk,
            "contract": contract.pk,
            "project": project.pk,
            "priority": "P2",
            "subject": "x",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["contract"] == [
        "MS-OTHER belongs to client OTHER, not to ACME: choose one of ACME's contracts."
    ]
    assert form.errors["project"] == [
        "PRJ-OTHER belongs to client OTHER, not to ACME: choose one of ACME's projects."
    ]
    assert Ticket.objects.count() == 0


def test_required_fields_are_reported(client, team):
    response = login(client, team["alice"]).post(reverse("support:ticket_create"), {})
    errors = response.context["form"].errors
    assert errors["client"] == ["This field is required."]
    assert errors["subject"] == ["This field is required."]


def test_changing_the_client_narrows_the_contract_choices(client, team):
    acme, other = ClientFactory(code="ACME"), ClientFactory(code="OTHER")
    ContractFactory(client=acme, code="MS-ACME")
    ContractFactory(client=other, code="MS-OTHER")
    response = login(client, team["alice"]).get(
        reverse("support:ticket_create"), {"client": acme.pk}, headers=HTMX
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="ticket-links"')
    assert "MS-ACME" in body
    assert "MS-OTHER" not in body


def test_an_edit_based_on_an_old_version_is_refused_with_a_message(client, team, tickets):
    ticket = tickets["alice"]
    url = reverse("support:ticket_edit", args=[ticket.pk])
    data = {"client": ticket.client.pk, "priority": "P3", "version": 0}
    login(client, team["alice"])
    assert client.post(url, {**data, "subject": "First save"}).status_code == 302
    response = client.post(url, {**data, "subject": "Second save"})
    assert response.status_code == 200
    assert "was changed by someone else while you were looking at it" in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.version) == ("First save", 1)
    # The form keeps what was typed, now based on the latest version.
    assert response.context["form"]["version"].value() == "1"


# --- the ticket page and its HTMX panels -------------------------------------------------


def test_detail_shows_due_times_time_left_and_the_timeline(client, team):
    now = timezone.now().replace(microsecond=0)
    ticket = TicketFactory(priority="P1", assignee=team["alice"], opened_at=now)
    tickets_sla_refresh(Ticket.objects.filter(pk=ticket.pk))
    response = login(client, team["alice"]).get(reverse("support:ticket_detail", args=[ticket.pk]))
    body = response.content.decode()
    clocks = response.context["clocks"]
    assert clocks["response"]["clock"].due_at == now + dt.timedelta(hours=1)
    assert clocks["resolution"]["clock"].state == "running"
    assert "59 min left" in body or "1 h left" in body
    assert "3 h 59 min left" in body or "4 h left" in body
    assert "Start work" in body


def test_htmx_status_change_returns_the_status_panel(client, team, tickets):
    ticket = tickets["alice"]
    response = login(client, team["alice"]).post(
        reverse("support:ticket_transition", args=[ticket.pk]),
        {"version": 0, "to_status": "waiting", "note": "Asked for logs"},
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<aside id="ticket-status"')
    assert "Waiting on customer" in body
    assert "clock stopped" in body
    assert "Asked for logs" in body
    assert TicketPause.objects.filter(ticket=ticket, resumed_at__isnull=True).count() == 1


def test_htmx_stale_status_change_is_refused_with_the_latest_panel(client, team, tickets):
    ticket = tickets["alice"]
    url = reverse("support:ticket_transition", args=[ticket.pk])
    login(client, team["alice"])
    client.post(url, {"version": 0, "to_status": "in_progress"}, headers=HTMX)
    response = client.post(url, {"version": 0, "to_status": "resolved"}, headers=HTMX)
    body = response.content.decode()
    assert "your change was not saved" in body
    assert 'name="version" value="1"' in body
    assert Ticket.objects.get(pk=ticket.pk).status == "in_progress"


def test_a_refused_transition_without_htmx_redirects_with_the_message(client, team, tickets):
    ticket = tickets["alice"]
    url = reverse("support:ticket_transition", args=[ticket.pk])
    response = login(client, team["alice"]).post(
        url, {"version": 0, "to_status": "closed"}, follow=True
    )
    assert "cannot go from “New” to “Closed”" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_the_first_agent_comment_via_htmx_records_the_response_and_refreshes_the_status(
    client, team, tickets
):
    ticket = tickets["alice"]
    response = login(client, team["alice"]).post(
        reverse("support:ticket_comment", args=[ticket.pk]), {"body": "Looking now"}, headers=HTMX
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="ticket-comments"')
    assert "Looking now" in body
    assert 'hx-swap-oob="outerHTML"' in body  # the status panel, with its new version
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert (ticket.status, ticket.response_met) == ("in_progress", True)


def test_resolve_with_first_contact_then_reopen_via_the_page(client, team, tickets):
    ticket = tickets["alice"]
    url = reverse("support:ticket_transition", args=[ticket.pk])
    login(client, team["alice"])
    client.post(url, {"version": 0, "to_status": "resolved", "first_contact_resolved": "on"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.first_contact_resolved) == ("resolved", True)
    client.post(url, {"version": ticket.version, "to_status": "in_progress"})
    ticket.refresh_from_db()
    assert (ticket.resolved_at, ticket.first_contact_resolved, ticket.reopened_count) == (
        None,
        False,
        1,
    )
    page = client.get(reverse("support:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Reopened 1×" in page
    assert "A reopened ticket cannot count as resolved on first contact." in page


def test_staff_take_an_unassigned_ticket_and_managers_reassign(client, team, tickets):
    ticket = tickets["nobody"]
    url = reverse("support:ticket_assign", args=[ticket.pk])
    login(client, team["alice"]).post(url, {"version": 0, "assignee": team["alice"].pk})
    ticket.refresh_from_db()
    assert ticket.assignee == team["alice"]
    login(client, team["boss"]).post(url, {"version": 1, "assignee": team["bob"].pk})
    ticket.refresh_from_db()
    assert ticket.assignee == team["bob"]
    response = client.post(url, {"version": 2, "assignee": team["carol"].pk}, follow=True)
    assert "Select a valid choice" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == team["bob"]


def test_escalation_via_the_page_needs_a_reason(client, team, tickets):
    ticket = tickets["alice"]
    url = reverse("support:ticket_escalate", args=[ticket.pk])
    login(client, team["alice"])
    response = client.post(url, {"version": 0, "reason": ""}, headers=HTMX)
    assert "Say why the ticket is escalated." in response.content.decode()
    client.post(url, {"version": 0, "reason": "Vendor bug"}, headers=HTMX)
    ticket.refresh_from_db()
    assert ticket.escalated is True
