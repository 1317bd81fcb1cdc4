"""The Celery app, configured from Django settings (``CELERY_*``).

Imported by ``synapse/__init__.py`` so ``shared_task`` binds to it. Run a worker with
``celery -A synapse worker`` and the schedule (``CELERY_BEAT_SCHEDULE``: nightly KPI
snapshots at 02:00 firm time) with ``celery -A synapse beat``. Without
``CELERY_BROKER_URL`` tasks run eagerly in-process (the embedded default).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synapse.settings")

app = Celery("synapse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def refuse_without_secret_key(sender: Any = None, **kwargs: Any) -> None:
    """Stop a worker or beat that would sign or send on a throwaway key (debug off, no
    ``DJANGO_SECRET_KEY``): the message on stderr, exit status 1.

    ``SystemExit``, because Celery logs and swallows a signal handler's ``Exception``.
    """
    from synapse.security.startup import secret_key_refusal

    refusal = secret_key_refusal("the Celery worker or beat")
    if refusal:
        sys.stderr.write(refusal + "\n")
        raise SystemExit(1)
