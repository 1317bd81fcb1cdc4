"""Tickets, pauses and status events through the API."""

from __future__ import annotations

import datetime as dt

import pytest

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
    response = api("sam").post("/api/v1/tickets/", {**TICKET, "assignee": "sam"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["assignee"] == "sam"
    assert response.json()["status"] == "new"
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
    client = api("sam")
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
    assert response.status_code == 400
    assert response.json() == {"ticket": ["No ticket “OLGAS” that you may work on."]}
