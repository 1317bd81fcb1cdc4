"""The nightly task through the real Redis broker to a real Celery worker process.

Runs under ``make test-services`` (PostgreSQL + Redis); skipped without a broker. The
test is transactional so the worker, on its own connection, sees the committed rows.
"""

from __future__ import annotations

import os
import time

import pytest
from django.utils import timezone

from synapse.kpis.engine import kpis_compute_all_scopes
from synapse.kpis.models import KpiRun, KpiSnapshot
from synapse.kpis.periods import Period, local_date
from synapse.kpis.registry import kpis_all
from synapse.kpis.snapshots import as_stored
from synapse.kpis.tasks import kpi_snapshots_nightly

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL"),
        reason="needs CELERY_BROKER_URL (make test-services)",
    ),
    pytest.mark.django_db(transaction=True),
]


def wait_for_run(timeout: float = 120) -> KpiRun:
    """Return the first nightly run the worker finished, polling the database."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = KpiRun.objects.filter(kind="nightly").exclude(status="running").first()
        if run is not None:
            return run
        time.sleep(0.25)
    raise AssertionError(f"the worker did not finish a nightly run within {timeout} s")


def test_the_nightly_task_goes_through_redis_to_a_real_worker(celery_worker_process, firm):
    firm(2)  # contracts running since June 2024 give the current month an MRR

    kpi_snapshots_nightly.apply_async(queue=celery_worker_process)
    run = wait_for_run()

    assert run.status == "succeeded", run.error
    assert run.snapshots_written == KpiSnapshot.objects.count() > 0
    month = Period.containing("month", local_date(run.started_at))
    stored = KpiSnapshot.objects.filter(grain="month", period_start=month.start)
    assert set(stored.filter(scope_kind="company").values_list("key", flat=True)) == {
        kpi.key for kpi in kpis_all()
    }
    # The worker stored what this process computes for the same period and moment.
    expected = {
        (v.kpi.key, v.scope.kind, v.scope.key): as_stored(v.result.value)
        for v in kpis_compute_all_scopes(period=month, as_of=run.started_at)
    }
    assert {(s.key, s.scope_kind, s.scope_key): s.value for s in stored} == expected
    assert stored.get(key="mrr", scope_kind="company").value == 10100
    assert run.finished_at <= timezone.now()
