"""The Celery app, configured from Django settings (``CELERY_*``).

Imported by ``synapse/__init__.py`` so ``shared_task`` binds to it. Run a worker with
``celery -A synapse worker`` and the schedule (``CELERY_BEAT_SCHEDULE``: nightly KPI
snapshots at 02:00 firm time) with ``celery -A synapse beat``. Without
``CELERY_BROKER_URL`` tasks run eagerly in-process (the embedded default).
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synapse.settings")

app = Celery("synapse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
