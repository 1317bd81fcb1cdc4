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


@shared_task(autoretry_for=(Exception,), retry_backoff=30, retry_backoff_max=1800, max_retries=6)
def survey_mail_invitations(invitation_pks: list[int]) -> int:
    """Email these pending invitations (retried on failure); return the emails sent."""
    return services.survey_invitations_mail(invitation_pks=invitation_pks)


@shared_task
def survey_mail_pending() -> int:
    """Send every invitation email still pending (beat, every five minutes)."""
    return services.survey_mail_pending()
