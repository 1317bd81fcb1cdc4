"""Fixtures of the KPI snapshot tests: a small firm, and a real Celery worker.

The worker (``celery_worker_process``) only starts when ``CELERY_BROKER_URL`` is set
and the tests run on PostgreSQL (``make test-services``); tests that use it are marked
``services`` and skipped otherwise.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from projects.models import Overhead, Project
from tests.factories import (
    ClientFactory,
    ContractFactory,
    EmployeeFactory,
    OverheadFactory,
    ProjectFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
    TicketFactory,
    TimeEntryFactory,
)

ROOT = Path(__file__).resolve().parents[2]


def _utc(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def build_firm(n_clients: int, *, prefix: str = "C") -> None:
    """Create ``n_clients`` clients with a contract, a project completed in Feb 2025,
    an employee logging time on it, a resolved ticket, survey responses and invitations."""
    if not Overhead.objects.filter(month=dt.date(2025, 2, 1)).exists():
        OverheadFactory(month=dt.date(2025, 2, 1), amount=Decimal("5000.00"))
    for i in range(n_clients):
        client = ClientFactory(code=f"{prefix}{i:03d}", became_client_on=dt.date(2024, 1, 1))
        contract = ContractFactory(
            client=client, monthly_fee=Decimal(5000 + 100 * i), start_date=dt.date(2024, 6, 1)
        )
        project = ProjectFactory(
            client=client,
            code=f"P-{prefix}{i:03d}",
            revenue=Decimal("30000.00"),
            budget=Decimal("20000.00"),
            planned_start=dt.date(2025, 1, 6),
            planned_end=dt.date(2025, 2, 14),
            actual_start=dt.date(2025, 1, 6),
            actual_end=dt.date(2025, 2, 10 + i % 10),
            status=Project.Status.COMPLETED,
            requirements_met=i % 3 != 0,
            user_count=100,
        )
        employee = EmployeeFactory(user__username=f"emp-{prefix.lower()}{i:03d}")
        for day in (3, 4, 5, 6, 7, 10, 11):
            TimeEntryFactory(
                employee=employee,
                project=project,
                date=dt.date(2025, 2, day),
                hours=Decimal(6 + i % 3),
                billable=day != 11,
            )
        TimeEntryFactory(
            employee=employee,
            contract=contract,
            date=dt.date(2025, 2, 12),
            hours=Decimal(4),
            billable=False,
            activity="support",
        )
        TicketFactory(
            client=client,
            contract=contract,
            assignee=employee,
            priority=f"P{1 + i % 4}",
            opened_at=_utc(dt.date(2025, 2, 4), 10),
            first_response_at=_utc(dt.date(2025, 2, 4), 10 + i % 2),
            resolved_at=_utc(dt.date(2025, 2, 4 + i % 3), 15),
            status="resolved",
            escalated=i % 4 == 0,
            first_contact_resolved=i % 2 == 0,
        )
        for j, score in enumerate((5, 4, 2 + i % 3)):
            SurveyResponseFactory(
                client=client,
                project=project,
                kind="csat",
                score=score,
                responded_at=_utc(dt.date(2025, 2, 15 + j), 12),
            )
        SurveyResponseFactory(
            client=client, kind="nps", score=6 + i % 5, responded_at=_utc(dt.date(2025, 2, 20), 9)
        )
        for _ in range(4):
            SurveyInvitationFactory(client=client, sent_at=_utc(dt.date(2025, 2, 12), 9))


@pytest.fixture
def firm() -> Callable[..., None]:
    """Return ``build_firm``: ``firm(3)`` creates three clients with their records."""
    return build_firm


def _services_available() -> str | None:
    """Return why the real-worker tests cannot run here, or None when they can."""
    if not os.environ.get("CELERY_BROKER_URL"):
        return "CELERY_BROKER_URL is not set (run make test-services)"
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "a real worker needs a shared database: set DATABASE_URL to PostgreSQL"
    return None


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker) -> Iterator[str]:
    """Start a real ``celery -A synapse worker`` on the test database; yield its queue.

    The queue name is unique to this test run, so workers of other runs on the same
    Redis never take our tasks (nor we theirs). The worker is stopped before the test
    database is dropped.
    """
    reason = _services_available()
    if reason:
        pytest.skip(reason)
    from django.db import connection

    from synapse.celery import app

    queue = f"synapse-test-{uuid.uuid4().hex[:12]}"
    hostname = f"{queue}@%h"
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}"
        + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        + f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "DJANGO_SECRET_KEY": "test-worker-secret-key-not-for-production",
        "DJANGO_DEBUG": "",
        "SYNAPSE_TESTING": "",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "SYNAPSE_TIME_ZONE": settings.TIME_ZONE,
    }
    celery = Path(sys.executable).with_name("celery")
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in the finally below
        mode="w+", prefix="celery-worker-", suffix=".log", delete=False
    )
    worker = subprocess.Popen(
        [
            str(celery),
            "-A",
            "synapse",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
            "-Q",
            queue,
            "-n",
            hostname,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    previous = app.conf.task_always_eager
    try:
        deadline = time.monotonic() + 60
        while True:
            if worker.poll() is not None:
                raise RuntimeError(f"celery worker exited early:\n{Path(log.name).read_text()}")
            replies = app.control.ping(timeout=1.0)
            if any(name.startswith(queue) for reply in replies for name in reply):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("celery worker did not answer a ping within 60 s")
        # Tasks of the services tests go through the broker (sent to ``queue``).
        app.conf.task_always_eager = False
        yield queue
    finally:
        app.conf.task_always_eager = previous
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
        if os.environ.get("SYNAPSE_SHOW_WORKER_LOG"):
            sys.stderr.write(Path(log.name).read_text())
        Path(log.name).unlink(missing_ok=True)
