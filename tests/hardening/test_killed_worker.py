"""A snapshot run killed with ``kill -9`` in the middle of a period leaves no half period.

Everything runs in separate processes on a file SQLite database of its own (the test
database of pytest-django lives in memory, where no second process can see it): a
first run stores every period; a second run is killed while one period's rows are
written but not committed; then each period holds either all its old rows or all its
new ones. The lock the killed run held outlives it only until its expiry, after which
a rerun completes once and releases it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

WORKER = Path(__file__).with_name("snapshot_worker.py")
ROOT = WORKER.parents[2]
RANGE = ["--from", "2025-02-01", "--to", "2025-02-28", "--no-progress"]
#: The killed run's lock expiry: long enough that it is surely still held right after.
LOCK_TTL = 600


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Path]:
    """Return a migrated file database with a small firm in it."""
    db = tmp_path / "faults.sqlite3"
    run_worker(db, "migrate", "--noinput", "-v", "0")
    run_worker(db, "seed", "3")
    yield db


def worker_env(db: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "DJANGO_SECRET_KEY": "faults-test-secret-key-not-for-production",
        "DJANGO_DEBUG": "1",
        "SYNAPSE_TESTING": "1",
        "CELERY_BROKER_URL": "",
        "SYNAPSE_TIME_ZONE": settings.TIME_ZONE,
        "FAULTS_LOCK_TTL_SECONDS": str(LOCK_TTL),
        **extra,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def run_worker(db: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(WORKER), *args],
        cwd=ROOT,
        env=worker_env(db, **extra),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def periods(db: Path) -> dict[tuple[str, str], set[str]]:
    """Return the ``computed_at`` stamps found in each (grain, period_start)."""
    found: dict[tuple[str, str], set[str]] = {}
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT grain, period_start, computed_at FROM kpis_kpisnapshot")
        for grain, start, stamp in rows:
            found.setdefault((grain, str(start)), set()).add(stamp)
    return found


def table(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_a_run_killed_mid_period_leaves_whole_periods_and_a_rerun_completes_once(sqlite_file):
    db = sqlite_file
    first = run_worker(db, "compute_snapshots", *RANGE)
    assert first.returncode == 0, first.stderr
    before = periods(db)
    assert len(before) >= 4  # ISO weeks, the month, the quarter, the year
    assert all(len(stamps) == 1 for stamps in before.values())
    (old,) = {stamp for stamps in before.values() for stamp in stamps}
    counts_before = dict(
        table(db, "SELECT grain || period_start, COUNT(*) FROM kpis_kpisnapshot GROUP BY 1")
    )

    marker = db.with_name("stalled")
    victim = subprocess.Popen(
        [sys.executable, str(WORKER), "compute_snapshots", *RANGE],
        cwd=ROOT,
        env=worker_env(db, FAULTS_STALL_MARKER=str(marker), FAULTS_STALL_AT="2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert victim.poll() is None, victim.stderr.read().decode()
            assert time.monotonic() < deadline, "the run never reached its second period"
            time.sleep(0.05)
    finally:
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        victim.stderr.close()
    assert victim.returncode == -signal.SIGKILL

    after_kill = periods(db)
    assert all(len(stamps) == 1 for stamps in after_kill.values()), after_kill  # no half period
    assert after_kill.keys() == before.keys()
    stamps = [next(iter(s)) for s in after_kill.values()]
    assert stamps.count(old) == len(stamps) - 1  # the first period committed, no other
    assert (
        dict(table(db, "SELECT grain || period_start, COUNT(*) FROM kpis_kpisnapshot GROUP BY 1"))
        == counts_before
    )
    # The killed run's lock is still there, so a rerun right away does not overlap it...
    assert len(table(db, "SELECT holder FROM kpis_kpilock")) == 1
    skipped = run_worker(db, "compute_snapshots", *RANGE)
    assert skipped.returncode == 0
    assert "another snapshot run holds the lock" in skipped.stderr

    # ...and once it expired (its time is made to pass here), the rerun completes, once,
    # and releases the lock.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE kpis_kpilock SET expires_at = acquired_at")
    rerun = run_worker(db, "compute_snapshots", *RANGE)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.startswith("Run #")
    assert table(db, "SELECT * FROM kpis_kpilock") == []
    final = periods(db)
    assert all(len(s) == 1 for s in final.values())
    assert len({next(iter(s)) for s in final.values()}) == 1  # every period from the rerun
    assert old not in {next(iter(s)) for s in final.values()}
    assert table(db, "SELECT kind, status FROM kpis_kpirun ORDER BY id") == [
        ("backfill", "succeeded"),
        ("backfill", "failed"),  # the killed run, marked abandoned by the rerun
        ("backfill", "skipped"),
        ("backfill", "succeeded"),
    ]
