"""Enqueue Celery work without letting a broker outage fail or stall the caller."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import Task
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from synapse.celery import app as celery_app
from synapse.outbox.models import OutboxJob

logger = logging.getLogger(__name__)

#: The longest an enqueue waits for the broker to accept a connection.
CONNECT_TIMEOUT_SECONDS = 2
#: How long a flush holds a job it is sending before another flush may take it over.
CLAIM_SECONDS = 300


def _send(task: Task, args: list[Any]) -> None:
    """Hand ``task`` to the broker with one connection attempt and no publish retries.

    kombu would otherwise retry the connection for ``CELERY_BROKER_CONNECTION_TIMEOUT``
    seconds; a refused connection now fails at once and a silent host after
    ``socket_connect_timeout`` (``CELERY_BROKER_TRANSPORT_OPTIONS``), so a request never
    hangs on a broker that is down.
    """
    with task.app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0, timeout=CONNECT_TIMEOUT_SECONDS)
        task.apply_async(args=args, retry=False, connection=connection)


def enqueue_or_keep(task: Task, *args: Any) -> bool:
    """Send ``task(*args)`` to Celery; keep it in the outbox if the broker is unreachable.

    Return True when the broker took it (or it ran eagerly: no broker configured),
    False when it was kept as an ``OutboxJob`` for ``outbox_flush`` to send later.
    Eager mode runs the task in-process, so its own errors propagate as with ``delay``.
    """
    if task.app.conf.task_always_eager:
        task.apply_async(args=list(args))
        return True
    try:
        _send(task, list(args))
    except Exception as error:  # any broker failure: keep the job
        OutboxJob.objects.create(
            task_name=task.name,
            args=list(args),
            created_at=timezone.now(),
            attempts=1,
            last_error=f"{type(error).__name__}: {error}"[:500],
        )
        logger.warning("Broker unreachable: kept %s%s in the outbox", task.name, args)
        return False
    return True


def outbox_flush(*, limit: int = 500, now: dt.datetime | None = None) -> int:
    """Send the kept jobs, oldest first; return how many were handed to the broker.

    Each job is claimed with a compare-and-set on a lease (``claimed_until``), so two
    flushes at once send it once; ``sent_at`` is set only after the broker took it, so
    a flush that dies between the claim and the send loses nothing: the lease runs out
    after ``CLAIM_SECONDS`` and a later flush sends the job. A failed send frees the
    claim, counts the attempt, and stops the flush (the broker is still down: the next
    run tries again).
    """
    now = now or timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    sent = 0
    pending = OutboxJob.objects.filter(free, sent_at__isnull=True).order_by("pk")
    for job in list(pending[:limit]):
        claimed = OutboxJob.objects.filter(free, pk=job.pk, sent_at__isnull=True).update(
            claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS)
        )
        if not claimed:
            continue
        try:
            task = celery_app.tasks[job.task_name]
            if task.app.conf.task_always_eager:
                task.apply_async(args=job.args)
            else:
                _send(task, job.args)
        except Exception as error:  # keep it for the next run
            with transaction.atomic():
                OutboxJob.objects.filter(pk=job.pk).update(
                    claimed_until=None,
                    attempts=F("attempts") + 1,
                    last_error=f"{type(error).__name__}: {error}"[:500],
                )
            logger.warning("Outbox flush stopped: %s could not be sent", job)
            break
        OutboxJob.objects.filter(pk=job.pk).update(sent_at=timezone.now(), claimed_until=None)
        sent += 1
    return sent
