"""System checks for deployment settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def secret_key_given(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Fail ``check --deploy`` when DJANGO_SECRET_KEY was not set."""
    if getattr(settings, "SECRET_KEY_MISSING", False):
        return [
            Error(
                "DJANGO_SECRET_KEY is not set.",
                hint="Set DJANGO_SECRET_KEY to a long random value in production.",
                id="synapse.E001",
            )
        ]
    return []
