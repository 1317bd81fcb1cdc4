"""Writes the ticket API makes: create or import a ticket, or change one like the desk.

A new ticket is saved as the serializer validated it and gets its first status event:
from an administrator as sent (historical tickets can be imported with their
``status``, ``opened_at``, ``first_response_at`` and ``resolved_at``), from anyone else
opened now, as new (``support.policies`` refuses any other history with a 403). A
change of ``status`` on an existing ticket goes through the desk's
``support.services.ticket_transition``: the same allowed moves, pauses, resolve and
reopen bookkeeping, status event and version check as the ticket pages.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.serializers import BaseSerializer

from support.models import Ticket, TicketEvent, TicketPause
from support.services import (
    TicketConflict,
    TicketError,
    ticket_is_reopen,
    ticket_sla_refresh,
    ticket_transition,
    tickets_sla_refresh,
)

#: Fields a status change sets itself; a request changing the status may not set them too.
SET_BY_TRANSITION = ("resolved_at", "reopened_count")


class TicketVersionConflict(APIException):
    """The ticket was saved by someone else after the version the change was based on."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "version_conflict"

    def __init__(self, ticket: Ticket, based_on: int) -> None:
        super().__init__(
            {
                "version": [
                    f"{ticket.ref} was changed after version {based_on}: it is now at version "
                    f"{ticket.version}. Read it again, then send your change with that version."
                ]
            }
        )


def _by(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


@transaction.atomic
def ticket_api_create(*, serializer: BaseSerializer, by: Any) -> Ticket:
    """Save a new (or imported) ticket as sent and record its first status event.

    The history fields are taken as given when an administrator sends them (validated
    by the serializer: nothing before ``opened_at``), so history can be imported; for
    anyone else the serializer has refused them and set ``opened_at`` to now. A
    ``version`` sent with a new ticket is ignored: every ticket starts at version 0.
    The SLA outcome is stored at once (``tickets_sla_refresh``), so the answer shows it.
    """
    serializer.validated_data.pop("version", None)
    ticket = serializer.save()
    now = timezone.now()
    TicketEvent.objects.create(
        ticket=ticket, at=now, from_status="", to_status=ticket.status, by=_by(by), note="via API"
    )
    return ticket_sla_refresh(ticket, now=now)


@transaction.atomic
def ticket_api_update(*, serializer: BaseSerializer, by: Any) -> Ticket:
    """Save a change to an existing ticket; a new ``status`` goes through the desk's rules.

    - The change is based on ``version`` when the client sends it (optimistic
      concurrency: a client that read version 4 sends 4), else on the version the
      request read. It is claimed with a compare-and-set: if someone saved the ticket
      since, nothing is saved and the answer is a 409 naming the current version.
      Every saved change moves the version on, so the desk's open forms see API edits.
    - The other fields are saved by the serializer as before.
    - A different ``status`` is then applied with ``ticket_transition`` (allowed
      moves, a pause opened on "waiting" and closed when leaving it, ``resolved_at``
      set on resolve, a reopen clearing it and counting, one status event). A move the
      desk refuses is a 400 on ``status`` with the desk's message, and nothing is
      saved. ``first_contact_resolved`` sent with a resolve is passed to the desk
      (false when not sent). ``resolved_at`` and ``reopened_count`` are the status
      change's to set: sending a different value with a status change is a 400.
    """
    ticket: Ticket = serializer.instance
    data = serializer.validated_data
    sent_version = data.pop("version", None)
    based_on = ticket.version if sent_version is None else sent_version
    to_status = data.pop("status", ticket.status)
    moves = to_status != ticket.status
    first_contact_resolved = False
    if moves:
        clashes = {
            name: [f"{name} is set by the status change; do not send it with a new status."]
            for name in SET_BY_TRANSITION
            if name in data and data[name] != getattr(ticket, name)
        }
        if clashes:
            raise ValidationError(clashes)
        if to_status == Ticket.Status.RESOLVED:
            first_contact_resolved = data.pop("first_contact_resolved", False)

    claimed = Ticket.objects.filter(pk=ticket.pk, version=based_on).update(version=F("version") + 1)
    if not claimed:
        raise TicketVersionConflict(Ticket.objects.get(pk=ticket.pk), based_on)
    ticket.version = based_on + 1
    ticket = serializer.save()
    if moves:
        reopen = ticket_is_reopen(from_status=ticket.status, to_status=to_status)
        try:
            ticket = ticket_transition(
                ticket=ticket,
                by=by,
                version=ticket.version,
                to_status=to_status,
                note="Reopened via API" if reopen else "via API",
                first_contact_resolved=first_contact_resolved,
            )
        except TicketConflict as exc:
            raise TicketVersionConflict(exc.ticket, ticket.version) from exc
        except TicketError as exc:
            raise ValidationError({"status": [str(exc)]}) from exc
        serializer.instance = ticket
    else:
        ticket = ticket_sla_refresh(ticket)
    return ticket


@transaction.atomic
def pause_api_save(*, serializer: BaseSerializer) -> TicketPause:
    """Save a ticket pause as sent, then store its ticket's SLA outcome (and the old
    ticket's, should the pause have moved)."""
    before = serializer.instance.ticket_id if serializer.instance is not None else None
    pause = serializer.save()
    tickets_sla_refresh(Ticket.objects.filter(pk__in={before, pause.ticket_id} - {None}))
    return pause


@transaction.atomic
def pause_api_delete(*, pause: TicketPause, delete: Any) -> None:
    """Delete a ticket pause with ``delete`` (the viewset's), then store its ticket's SLA
    outcome."""
    ticket_id = pause.ticket_id
    delete(pause)
    tickets_sla_refresh(Ticket.objects.filter(pk=ticket_id))
