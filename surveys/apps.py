from __future__ import annotations

from django.apps import AppConfig


class SurveysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "surveys"

    def ready(self) -> None:
        # Connect the receivers that invite clients when projects and tickets finish.
        from surveys import signals  # noqa: F401
