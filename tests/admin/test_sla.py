"""Pauses changed in the admin leave their ticket with its SLA outcome stored."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from support.models import Ticket, TicketPause
from tests.factories import TicketFactory


def at(hour: int) -> dt.datetime:
    return dt.datetime(2025, 2, 3, hour, tzinfo=dt.UTC)


def test_a_pause_added_and_deleted_in_the_admin_refreshes_its_ticket(admin_client, db):
    # P1 is 24×7: resolve within 4 h of 10:00.
    ticket = TicketFactory(priority="P1", opened_at=at(10))
    response = admin_client.post(
        reverse("admin:support_ticketpause_add"),
        {
            "ticket": ticket.pk,
            "paused_at_0": "2025-02-03",
            "paused_at_1": "11:00:00",
            "resumed_at_0": "2025-02-03",
            "resumed_at_1": "12:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == at(15)

    pause = TicketPause.objects.get()
    admin_client.post(reverse("admin:support_ticketpause_delete", args=[pause.pk]), {"post": "yes"})
    assert Ticket.objects.get(pk=ticket.pk).resolution_due_at == at(14)
