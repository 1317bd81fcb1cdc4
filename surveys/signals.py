"""Invite clients to a survey when a project is completed or a ticket resolved.

A ``pre_save`` receiver remembers the status the row had in the database, and the
``post_save`` receiver compares it with the new one: only a change *into* the
completed (projects) or resolved/closed (tickets) status of an existing row sends a
survey. A row created already completed or resolved is history being entered (admin,
imports) and sends nothing; bulk writes (``bulk_create``, ``update()``) fire no signal.

The task is enqueued with ``transaction.on_commit`` so the worker sees the committed
row, through ``synapse.outbox.enqueue_or_keep``: a broker that is down neither fails
nor stalls the save, and the invitation is kept and sent once the broker is back.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from projects.models import Project
from support.models import Ticket
from synapse.outbox.services import enqueue_or_keep

TICKET_DONE = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)


def _remember_status(instance: Model) -> None:
    instance._survey_previous_status = (
        None
        if instance.pk is None
        else type(instance)
        ._base_manager.filter(pk=instance.pk)
        .values_list("status", flat=True)
        .first()
    )


@receiver(pre_save, sender=Project, dispatch_uid="surveys_project_status_before")
@receiver(pre_save, sender=Ticket, dispatch_uid="surveys_ticket_status_before")
def status_before_save(sender: type, instance: Model, raw: bool = False, **_: Any) -> None:
    """Remember the status the project or ticket has in the database before this save."""
    if not raw:
        _remember_status(instance)


@receiver(post_save, sender=Project, dispatch_uid="surveys_project_completed")
def project_saved(sender: type, instance: Project, raw: bool = False, **_: Any) -> None:
    """Enqueue the project survey when the project has just become completed."""
    from surveys.tasks import survey_invite_project

    previous = getattr(instance, "_survey_previous_status", None)
    if raw or previous is None:
        return
    if instance.status == Project.Status.COMPLETED and previous != Project.Status.COMPLETED:
        project_id = instance.pk
        transaction.on_commit(
            lambda: enqueue_or_keep(survey_invite_project, project_id), robust=True
        )


@receiver(post_save, sender=Ticket, dispatch_uid="surveys_ticket_resolved")
def ticket_saved(sender: type, instance: Ticket, raw: bool = False, **_: Any) -> None:
    """Enqueue the ticket survey when the ticket has just become resolved (or closed)."""
    from surveys.tasks import survey_invite_ticket

    previous = getattr(instance, "_survey_previous_status", None)
    if raw or previous is None:
        return
    if instance.status in TICKET_DONE and previous not in TICKET_DONE:
        ticket_id = instance.pk
        transaction.on_commit(lambda: enqueue_or_keep(survey_invite_ticket, ticket_id), robust=True)
