"""Admin for the outbox: kept jobs, read-only."""

from __future__ import annotations

from django.contrib import admin

from synapse.admin_tools import ReadOnlyModelAdmin
from synapse.outbox.models import OutboxJob


@admin.register(OutboxJob)
class OutboxJobAdmin(ReadOnlyModelAdmin):
    """Tasks kept while the broker was down; ``sent_at`` empty = still pending."""

    list_display = ("created_at", "task_name", "args", "attempts", "sent_at", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), "task_name")
    search_fields = ("task_name", "last_error")
