"""Celery tasks of the surveys app: they parse arguments and call one service."""

from __future__ import annotations

from celery import shared_task

from surveys import services


@shared_task
def survey_invite_project(project_id: int) -> int:
    """Invite the client of a completed project to its surveys; return invitations sent."""
    return len(services.survey_invite_for_project(project_id=project_id))


@shared_task
def survey_invite_ticket(ticket_id: int) -> int:
    """Invite the client of a resolved ticket to its survey; return invitations sent."""
    return len(services.survey_invite_for_ticket(ticket_id=ticket_id))
