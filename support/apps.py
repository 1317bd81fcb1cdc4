from __future__ import annotations

from django.apps import AppConfig


class SupportConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "support"

    def ready(self) -> None:
        # Connect the receivers that keep tickets' stored SLA outcome current.
        from support import signals  # noqa: F401
