"""Celery tasks of the support app: they parse arguments and call one service."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from support import services


@shared_task
def tickets_sla_refresh_open(now: str | None = None) -> int:
    """Re-evaluate open tickets' SLA flags (periodic; ``now`` an ISO datetime or none)."""
    moment = dt.datetime.fromisoformat(now) if now else None
    return services.open_tickets_sla_refresh(now=moment)


@shared_task
def tickets_sla_refresh_priority(priority: str) -> int:
    """Re-evaluate every ticket of ``priority`` after its SLA policy changed."""
    return services.policy_tickets_sla_refresh(priority=priority)


@shared_task
def tickets_sla_refresh_holiday(day: str) -> int:
    """Re-evaluate tickets whose clocks run across the holiday ``day`` (ISO date)."""
    return services.holiday_tickets_sla_refresh(day=dt.date.fromisoformat(day))


@shared_task
def tickets_sla_warn(now: str | None = None) -> int:
    """Warn assignees of tickets at 80 % of their resolution clock (periodic, every 5 min).

    Schedule it in beat, e.g. ``CELERY_BEAT_SCHEDULE["tickets-sla-warn"] = {"task":
    "support.tasks.tickets_sla_warn", "schedule": 300}``; each ticket is warned once.
    """
    moment = dt.datetime.fromisoformat(now) if now else None
    return services.tickets_sla_warn(now=moment)
