"""Tickets, pauses and status events through the API."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from support.models import Ticket, TicketEvent, TicketPause
from tests.factories import ClientFactory, TicketFactory, TicketPauseFactory
from timesheets.models import Employee

pytestmark = pytest.mark.django_db

TICKET = {
    "ref": "T-1",
    "client": "C1",
    "priority": "P2",
    "subject": "VPN down",
    "opened_at": "2025-02-03T09:00:00Z",
}


def employee(username):
    return Employee.objects.get(user__username=username)


def test_staff_opens_a_ticket_and_a_status_event_is_recorded(api, firm):
    ClientFactory(code="C1")
    body = {key: value for key, value in TICKET.items() if key != "opened_at"}
    with time_machine.travel(at(9, 15), tick=False):
        response = api("sam").post("/api/v1/tickets/", {**body, "assignee": "sam"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["assignee"] == "sam"
    assert response.json()["status"] == "new"
    assert Ticket.objects.get(ref="T-1").opened_at == at(9, 15)
    event = TicketEvent.objects.get(ticket__ref="T-1")
    assert (event.from_status, event.to_status, event.by) == ("", "new", firm["sam"])


def test_status_change_adds_an_event_and_is_listed(api):
    TicketFactory(ref="T-1", assignee=employee("sam"))
    client = api("sam")
    response = client.patch("/api/v1/tickets/T-1/", {"status": "in_progress"}, format="json")
    assert response.status_code == 200
    client.patch("/api/v1/tickets/T-1/", {"subject": "Renamed"}, format="json")
    events = client.get("/api/v1/ticket-events/?ticket=T-1").json()["results"]
    assert [(e["from_status"], e["to_status"], e["by"]) for e in events] == [
        ("new", "in_progress", "sam")
    ]


def at(hour, minute=0):
    return dt.datetime(2025, 2, 3, hour, minute, tzinfo=dt.UTC)


def patch_at(client, when, body, ref="T-1"):
    with time_machine.travel(when, tick=False):
        return client.patch(f"/api/v1/tickets/{ref}/", body, format="json")


def test_status_changes_follow_the_desk_pauses_resolve_and_reopen(api):
    """Waiting opens a pause, leaving it closes it; resolve stamps; reopen clears and counts."""
    TicketFactory(ref="T-1", assignee=employee("sam"))
    client = api("sam")
    assert patch_at(client, at(11), {"status": "waiting"}).status_code == 200
    pause = TicketPause.objects.get(ticket__ref="T-1")
    assert (pause.paused_at, pause.resumed_at) == (at(11), None)

    body = {"status": "resolved", "first_contact_resolved": True}
    resolved = patch_at(client, at(12, 30), body)
    assert resolved.status_code == 200, resolved.json()
    pause.refresh_from_db()
    assert pause.resumed_at == at(12, 30)
    assert resolved.json()["resolved_at"] == "2025-02-03T12:30:00Z"
    assert resolved.json()["first_contact_resolved"] is True

    reopened = patch_at(client, at(14), {"status": "in_progress"})
    assert reopened.status_code == 200
    ticket = Ticket.objects.get(ref="T-1")
    assert (ticket.status, ticket.resolved_at, ticket.reopened_count) == ("in_progress", None, 1)
    assert ticket.first_contact_resolved is False
    assert reopened.json()["reopened_count"] == 1
    events = TicketEvent.objects.filter(ticket=ticket).order_by("at")
    assert [(e.from_status, e.to_status, e.note) for e in events] == [
        ("new", "waiting", "via API"),
        ("waiting", "resolved", "via API"),
        ("resolved", "in_progress", "Reopened via API"),
    ]


def test_a_move_the_desk_refuses_is_a_400_and_changes_nothing(api):
    TicketFactory(ref="T-1", assignee=employee("sam"))
    response = api("sam").patch(
        "/api/v1/tickets/T-1/", {"status": "closed", "subject": "Renamed"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"status": ["T-1 cannot go from “New” to “Closed”."]}
    ticket = Ticket.objects.get(ref="T-1")
    assert (ticket.status, ticket.subject, ticket.version) == ("new", "Printer on fire", 0)
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_a_reopened_ticket_cannot_be_resolved_on_first_contact(api):
    TicketFactory(ref="T-1", assignee=employee("sam"), status="in_progress", reopened_count=1)
    body = {"status": "resolved", "first_contact_resolved": True}
    response = api("sam").patch("/api/v1/tickets/T-1/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "status": ["T-1 was reopened, so it cannot be resolved on first contact."]
    }
    assert Ticket.objects.get(ref="T-1").resolved_at is None


def test_resolved_at_is_not_sent_with_a_status_change(api):
    TicketFactory(ref="T-1", assignee=employee("sam"))
    body = {"status": "resolved", "resolved_at": "2025-02-03T11:00:00Z"}
    refused = api("sam").patch("/api/v1/tickets/T-1/", body, format="json")
    assert refused.status_code == 403
    assert refused.json()["fields"] == ["resolved_at"]
    # Even an administrator, who may write history, does not send it with a move.
    response = api("root").patch("/api/v1/tickets/T-1/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "resolved_at": [
            "resolved_at is set by the status change; do not send it with a new status."
        ]
    }
    assert Ticket.objects.get(ref="T-1").status == "new"


def test_version_is_optional_and_a_stale_one_is_a_409(api):
    TicketFactory(ref="T-1", assignee=employee("sam"))
    client = api("sam")
    first = client.patch("/api/v1/tickets/T-1/", {"subject": "A", "version": 0}, format="json")
    assert first.status_code == 200
    assert first.json()["version"] == 1
    stale = client.patch(
        "/api/v1/tickets/T-1/", {"status": "in_progress", "version": 0}, format="json"
    )
    assert stale.status_code == 409
    assert stale.json() == {
        "version": [
            "T-1 was changed after version 0: it is now at version 1. "
            "Read it again, then send your change with that version."
        ]
    }
    assert Ticket.objects.get(ref="T-1").status == "new"
    # Without a version the change is based on the ticket as the request read it.
    moved = client.patch("/api/v1/tickets/T-1/", {"status": "in_progress"}, format="json")
    assert moved.status_code == 200
    assert Ticket.objects.get(ref="T-1").status == "in_progress"
    assert moved.json()["version"] > 1


def test_historical_tickets_are_imported_as_sent(api, firm):
    ClientFactory(code="C1")
    body = {
        **TICKET,
        "status": "resolved",
        "first_response_at": "2025-02-03T09:20:00Z",
        "resolved_at": "2025-02-04T15:00:00Z",
        "first_contact_resolved": True,
        "version": 7,
    }
    response = api("root").post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(ref="T-1")
    assert ticket.status == "resolved"
    assert ticket.first_response_at == dt.datetime(2025, 2, 3, 9, 20, tzinfo=dt.UTC)
    assert ticket.resolved_at == dt.datetime(2025, 2, 4, 15, tzinfo=dt.UTC)
    assert (ticket.first_contact_resolved, ticket.version) == (True, 0)
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.from_status, event.to_status) == ("", "resolved")


def test_resolved_before_opened_is_a_field_error(api):
    TicketFactory(ref="T-1")
    response = api("root").patch(
        "/api/v1/tickets/T-1/", {"resolved_at": "2025-02-03T09:00:00Z"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "resolved_at": ["2025-02-03T09:00:00+00:00 is before opened_at 2025-02-03T10:00:00+00:00"]
    }


def test_staff_see_their_own_and_unassigned_tickets(api):
    TicketFactory(ref="MINE", assignee=employee("sam"))
    TicketFactory(ref="FREE")
    TicketFactory(ref="OLGAS", assignee=employee("olga"))
    refs = {t["ref"] for t in api("sam").get("/api/v1/tickets/").json()["results"]}
    assert refs == {"MINE", "FREE"}
    assert api("sam").patch("/api/v1/tickets/OLGAS/", {"escalated": True}).status_code == 404
    assert {t["ref"] for t in api("mia").get("/api/v1/tickets/").json()["results"]} == {
        "MINE",
        "FREE",
    }
    assert api("boss").get("/api/v1/tickets/").json()["count"] == 3


def test_staff_may_take_an_unassigned_ticket_but_not_give_it_away(api):
    TicketFactory(ref="FREE")
    client = api("sam")
    taken = client.patch("/api/v1/tickets/FREE/", {"assignee": "sam"}, format="json")
    assert taken.status_code == 200
    assert Ticket.objects.get(ref="FREE").assignee == employee("sam")
    given = client.patch("/api/v1/tickets/FREE/", {"assignee": "olga"}, format="json")
    assert given.status_code == 400
    assert given.json() == {"assignee": ["“olga” is not someone you may assign tickets to."]}


def test_manager_reassigns_within_their_team(api):
    TicketFactory(ref="T-1", assignee=employee("mia"))
    response = api("mia").patch("/api/v1/tickets/T-1/", {"assignee": "sam"}, format="json")
    assert response.status_code == 200
    assert Ticket.objects.get(ref="T-1").assignee == employee("sam")


def test_executive_cannot_change_tickets_and_only_admins_delete(api):
    TicketFactory(ref="T-1", assignee=employee("sam"))
    assert api("boss").patch("/api/v1/tickets/T-1/", {"escalated": True}).status_code == 403
    assert api("sam").delete("/api/v1/tickets/T-1/").status_code == 403
    assert api("root").delete("/api/v1/tickets/T-1/").status_code == 204


def test_pause_crud_and_resumed_before_paused(api):
    TicketFactory(ref="T-1", assignee=employee("sam"))
    client = api("root")  # pauses are written directly by administrators only
    created = client.post(
        "/api/v1/ticket-pauses/",
        {"ticket": "T-1", "paused_at": "2025-02-03T11:00:00Z"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pause_id = created.json()["id"]
    bad = client.patch(
        f"/api/v1/ticket-pauses/{pause_id}/", {"resumed_at": "2025-02-03T10:00:00Z"}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "resumed_at": ["2025-02-03T10:00:00+00:00 is before paused_at 2025-02-03T11:00:00+00:00"]
    }
    ok = client.patch(
        f"/api/v1/ticket-pauses/{pause_id}/", {"resumed_at": "2025-02-03T12:00:00Z"}, format="json"
    )
    assert ok.status_code == 200
    assert TicketPause.objects.get(pk=pause_id).resumed_at == dt.datetime(
        2025, 2, 3, 12, tzinfo=dt.UTC
    )
    assert client.delete(f"/api/v1/ticket-pauses/{pause_id}/").status_code == 204


def test_pauses_of_invisible_tickets_are_hidden_and_cannot_be_added(api):
    TicketPauseFactory(ticket=TicketFactory(ref="OLGAS", assignee=employee("olga")))
    client = api("sam")
    assert client.get("/api/v1/ticket-pauses/").json()["count"] == 0
    response = client.post(
        "/api/v1/ticket-pauses/",
        {"ticket": "OLGAS", "paused_at": "2025-02-03T12:00:00Z"},
        format="json",
    )
    assert response.status_code == 403
    assert not TicketPause.objects.filter(paused_at=dt.datetime(2025, 2, 3, 12, tzinfo=dt.UTC))


def test_a_ticket_created_or_paused_through_the_api_ends_with_its_sla_stored(api):
    """P1 is 24×7: respond 1 h, resolve 4 h. The answer and the row carry the outcome."""
    ClientFactory(code="C1")
    client = api("root")
    body = {**TICKET, "priority": "P1"}
    response = client.post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["resolution_due_at"] == "2025-02-03T13:00:00Z"
    created = client.post(
        "/api/v1/ticket-pauses/",
        {
            "ticket": "T-1",
            "paused_at": "2025-02-03T10:00:00Z",
            "resumed_at": "2025-02-03T11:00:00Z",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert Ticket.objects.get(ref="T-1").resolution_due_at == at(14)
    assert client.delete(f"/api/v1/ticket-pauses/{created.json()['id']}/").status_code == 204
    assert Ticket.objects.get(ref="T-1").resolution_due_at == at(13)
