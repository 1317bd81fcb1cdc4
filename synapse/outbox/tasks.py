"""Celery task of the outbox: send the jobs kept while the broker was down."""

from __future__ import annotations

from celery import shared_task

from synapse.outbox.services import outbox_flush


@shared_task(name="synapse.outbox.tasks.outbox_flush")
def outbox_flush_task() -> int:
    """Send the kept jobs (beat, every minute); return how many were sent."""
    return outbox_flush()
