"""Jobs kept while the Celery broker was unreachable."""

from __future__ import annotations

from django.db import models


class OutboxJob(models.Model):
    """A Celery task call that could not be enqueued; sent later by ``outbox_flush``.

    ``sent_at`` empty = still to send; it is set only once the broker has taken the job.
    ``claimed_until`` is the lease of the flush that is sending it: a flush killed
    mid-send leaves a lease that runs out, and the next flush sends the job again (at
    least once; tasks are safe to run twice). ``args`` are the task's JSON arguments
    (ids and ISO strings, as every task takes).
    """

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "outbox job"
        indexes = [models.Index(fields=["sent_at", "id"], name="outbox_pending_idx")]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else "pending"
        return f"{self.task_name}{tuple(self.args)} ({state})"
