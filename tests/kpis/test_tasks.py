"""Celery wiring: eager tasks in the embedded default, the beat schedule, retries."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.db import InterfaceError, OperationalError

from synapse.celery import app
from synapse.kpis.models import KpiRun, KpiSnapshot
from synapse.kpis.tasks import kpi_snapshots_backfill, kpi_snapshots_nightly


def test_the_nightly_task_is_scheduled_at_two_in_the_morning_firm_time():
    entry = settings.CELERY_BEAT_SCHEDULE["kpi-snapshots-nightly"]
    assert entry["task"] == kpi_snapshots_nightly.name
    assert entry["schedule"] == crontab(hour=2, minute=0)
    assert app.conf.timezone == settings.TIME_ZONE
    assert app.conf.task_serializer == "json"
    assert app.conf.task_acks_late is True


def test_snapshot_tasks_retry_transient_database_errors_with_backoff():
    for task in (kpi_snapshots_nightly, kpi_snapshots_backfill):
        assert set(task.autoretry_for) == {OperationalError, InterfaceError}
        assert task.retry_backoff and task.max_retries == 5


@pytest.mark.django_db
def test_the_nightly_task_runs_in_process_without_a_broker(firm):
    firm(1)
    with time_machine.travel(dt.datetime(2025, 3, 2, 2, 0, tzinfo=dt.UTC), tick=False):
        result = kpi_snapshots_nightly.delay().get()
    run = KpiRun.objects.get()
    assert result == {
        "run_id": run.pk,
        "status": "succeeded",
        "periods": run.periods_done,
        "snapshots": run.snapshots_written,
        "alerts": result["alerts"],
    }
    assert KpiSnapshot.objects.count() == run.snapshots_written > 0


@pytest.mark.django_db
def test_the_backfill_task_takes_iso_dates(firm):
    firm(1)
    with time_machine.travel(dt.datetime(2025, 4, 1, tzinfo=dt.UTC), tick=False):
        result = kpi_snapshots_backfill.delay("2025-02-01", "2025-02-28", ["csat"]).get()
    assert result["periods"] == 3
    assert set(KpiSnapshot.objects.values_list("key", flat=True)) == {"csat"}


def test_every_beat_entry_names_a_registered_task(settings):
    from synapse.celery import app as celery_app

    celery_app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in celery_app.tasks, name
