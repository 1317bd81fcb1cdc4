"""Celery tasks of the KPI engine: thin wrappers that parse arguments and call a service.

Transient database errors (a restarted PostgreSQL, a dropped connection) are retried
with exponential backoff; a run that finds another one holding the lock skips.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import InterfaceError, OperationalError

from synapse.kpis.alerts import kpi_alert_email
from synapse.kpis.snapshots import snapshots_backfill, snapshots_nightly

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 30,
    "retry_backoff_max": 15 * 60,
    "retry_jitter": True,
    "max_retries": 5,
    "acks_late": True,
}


@shared_task(name="synapse.kpis.tasks.kpi_snapshots_nightly", **RETRY)
def kpi_snapshots_nightly() -> dict[str, object]:
    """Recompute the nightly KPI snapshots (with catch-up) and send threshold alerts."""
    return snapshots_nightly().as_dict()


@shared_task(name="synapse.kpis.tasks.kpi_snapshots_backfill", **RETRY)
def kpi_snapshots_backfill(
    start: str, end: str, keys: list[str] | None = None
) -> dict[str, object]:
    """Compute the snapshots of every period touching ``start``..``end`` (ISO dates)."""
    return snapshots_backfill(
        start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end), keys=keys
    ).as_dict()


@shared_task(name="synapse.kpis.tasks.kpi_alert_email_send", **RETRY)
def kpi_alert_email_send(alert_id: int) -> int:
    """Email one KPI threshold alert to the executives."""
    return kpi_alert_email(alert_id=int(alert_id))
