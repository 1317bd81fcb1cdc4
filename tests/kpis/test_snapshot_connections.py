"""A snapshot run computing its periods on several PostgreSQL connections at once.

Transactional tests: each thread of the run has its own connection, which sees only
committed rows (inside a test's transaction the run takes one connection).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from synapse.kpis import snapshots
from synapse.kpis.models import KpiRun, KpiSnapshot
from synapse.kpis.periods import Period
from synapse.kpis.snapshots import SNAPSHOT_COLUMNS, run_connections, snapshots_backfill

APRIL_1 = dt.datetime(2025, 4, 1, 2, 0, tzinfo=dt.UTC)
FEB = Period.month(2025, 2)
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="several connections: PostgreSQL only"
)


def stored_rows() -> list[tuple]:
    return sorted(KpiSnapshot.objects.values_list(*SNAPSHOT_COLUMNS))


def backfill_on(monkeypatch, connections: int) -> tuple[snapshots.RunOutcome, set[str]]:
    """Backfill Jan–Feb 2025 on ``connections`` connections; return the outcome and the
    names of the threads that computed periods."""
    monkeypatch.setattr(snapshots.settings, "SYNAPSE_SNAPSHOT_CONNECTIONS", connections)
    real = snapshots.snapshots_compute_period
    threads: set[str] = set()

    def compute(**kwargs):
        threads.add(threading.current_thread().name)
        return real(**kwargs)

    monkeypatch.setattr(snapshots, "snapshots_compute_period", compute)
    outcome = snapshots_backfill(start=dt.date(2025, 1, 1), end=FEB.end, as_of=APRIL_1)
    monkeypatch.setattr(snapshots, "snapshots_compute_period", real)
    return outcome, threads


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_connections_store_exactly_what_one_stores(firm, monkeypatch):
    firm(3)
    alone, alone_threads = backfill_on(monkeypatch, 1)
    one = stored_rows()
    KpiSnapshot.objects.all().delete()
    both, both_threads = backfill_on(monkeypatch, 2)

    assert stored_rows() == one
    assert len(one) == alone.snapshots == both.snapshots > 100
    # 9 ISO weeks touching Jan-Feb (W01 starts on 30 Dec), 2 months, the quarter, the year.
    assert alone.periods == both.periods == 13
    runs = KpiRun.objects.order_by("pk")
    assert [(r.status, r.periods_done, r.snapshots_written) for r in runs] == [
        ("succeeded", 13, len(one)),
        ("succeeded", 13, len(one)),
    ]
    assert alone_threads == {threading.current_thread().name}
    assert len(both_threads) == 2
    assert all(name.startswith("kpi-snapshots") for name in both_threads)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_error_on_one_connection_fails_the_run_and_keeps_the_periods_done(firm, monkeypatch):
    firm(1)
    monkeypatch.setattr(snapshots.settings, "SYNAPSE_SNAPSHOT_CONNECTIONS", 2)
    real = snapshots.snapshots_compute_period
    calls = []

    def compute(**kwargs):
        calls.append(kwargs["period"])
        if kwargs["period"] == FEB:
            raise RuntimeError("boom")
        return real(**kwargs)

    monkeypatch.setattr(snapshots, "snapshots_compute_period", compute)
    with pytest.raises(RuntimeError, match="boom"):
        snapshots_backfill(start=dt.date(2025, 1, 1), end=FEB.end, as_of=APRIL_1)

    run = KpiRun.objects.get()
    assert run.status == "failed"
    assert run.error == "RuntimeError: boom"
    done = set(KpiSnapshot.objects.values_list("grain", "period_start"))
    assert ("month", FEB.start) not in done
    assert run.periods_done == len(done) == len(calls) - 1
    # The other thread stopped after its period: not every period was started.
    assert len(calls) < 13


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_the_run_keeps_to_its_connection(settings):
    settings.SYNAPSE_SNAPSHOT_CONNECTIONS = 3
    assert run_connections() == 3
    with transaction.atomic():
        assert run_connections() == 1


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite case")
def test_sqlite_computes_on_one_connection(settings):
    settings.SYNAPSE_SNAPSHOT_CONNECTIONS = 2
    assert run_connections() == 1
