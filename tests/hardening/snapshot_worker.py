"""Run a ``manage.py`` command in a separate process, with a fault hook for the kill tests.

``python tests/hardening/snapshot_worker.py compute_snapshots --from … --to …`` runs the
command like ``manage.py`` does; ``… seed`` builds a small firm (``tests.kpis.conftest``).
Environment hooks:

- ``FAULTS_STALL_MARKER=<path>`` and ``FAULTS_STALL_AT=<n>``: on the n-th write of a
  period's snapshots (inside that period's transaction, rows written, not committed),
  write the marker file and sleep, so the test can ``kill -9`` the process right there.
- ``FAULTS_LOCK_TTL_SECONDS=<s>``: the snapshot lock's expiry (``CELERY_TASK_TIME_LIMIT``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def install_stall(marker: Path, at: int) -> None:
    """Make the ``at``-th write of a period's KPI snapshots (``snapshots_upsert``, inside
    the period's transaction) write ``marker`` and stall once its rows are written."""
    from synapse.kpis import snapshots

    real = snapshots.snapshots_upsert
    calls = {"n": 0}

    def stalling(rows: Any, **kwargs: Any) -> None:
        real(rows, **kwargs)
        calls["n"] += 1
        if calls["n"] == at:
            marker.write_text(f"stalled in period write {at}\n")
            time.sleep(600)

    snapshots.snapshots_upsert = stalling


def main(argv: list[str]) -> None:
    """Set Django up, install the hooks the environment asks for, run the command."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synapse.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import execute_from_command_line

    ttl = os.environ.get("FAULTS_LOCK_TTL_SECONDS")
    if ttl:
        settings.CELERY_TASK_TIME_LIMIT = int(ttl)
    marker = os.environ.get("FAULTS_STALL_MARKER")
    if marker:
        install_stall(Path(marker), int(os.environ.get("FAULTS_STALL_AT", "1")))
    if argv[1:2] == ["seed"]:
        from tests.kpis.conftest import build_firm

        build_firm(int(argv[2]) if len(argv) > 2 else 3)
        return
    execute_from_command_line(["manage.py", *argv[1:]])


if __name__ == "__main__":
    main(sys.argv)
