from __future__ import annotations

from django.apps import AppConfig


class TimesheetsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "timesheets"

    def ready(self) -> None:
        from timesheets import signals  # noqa: F401
