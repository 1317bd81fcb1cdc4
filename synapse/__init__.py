from __future__ import annotations

from synapse.celery import app as celery_app

__all__ = ("celery_app",)
