"""Writes the ticket API makes beyond saving the row: the status timeline."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework.serializers import BaseSerializer

from support.models import Ticket, TicketEvent


@transaction.atomic
def ticket_save_recording_status(*, serializer: BaseSerializer, by: Any) -> Ticket:
    """Save the ticket and, when its status is new or changed, add a status event.

    The SLA outcome is refreshed by ``support.signals`` once the transaction commits.
    """
    before = serializer.instance.status if serializer.instance is not None else ""
    ticket = serializer.save()
    if ticket.status != before:
        TicketEvent.objects.create(
            ticket=ticket,
            at=timezone.now(),
            from_status=before,
            to_status=ticket.status,
            by=by if getattr(by, "is_authenticated", False) else None,
            note="via API",
        )
    return ticket
