from __future__ import annotations

from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "synapse.outbox"
    label = "outbox"
    verbose_name = "Task outbox"
