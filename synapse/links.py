"""Absolute links to this site, for emails (alerts, survey invitations, SLA warnings)."""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str, *, base_url: str | None = None) -> str:
    """Return ``path`` on ``base_url``, else on this site's address (``SYNAPSE_BASE_URL``)."""
    base = base_url or settings.SYNAPSE_BASE_URL
    return base.rstrip("/") + path
