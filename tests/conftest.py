"""Shared fixtures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import caches

from surveys import services as survey_services
from synapse.kpis.periods import local_midnight
from tests.factories import (
    ClientContactFactory,
    ClientFactory,
    EmployeeFactory,
    ProjectFactory,
    SurveyInvitationFactory,
    TicketFactory,
    UserFactory,
)
from timesheets.models import Timesheet


@pytest.fixture(autouse=True)
def _empty_cache():
    """Start and end every test with empty caches (dashboard fragments, rate limits),
    so no test sees another's entries."""
    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.fixture
def at():
    """Return a factory of aware firm-local datetimes: ``at("2025-02-03 09:30")``."""

    def make(text: str) -> dt.datetime:
        naive = dt.datetime.fromisoformat(text)
        return local_midnight(naive.date()).replace(hour=naive.hour, minute=naive.minute)

    return make


def _serialized_rollback(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("serialized_rollback"))


def _transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return bool(marker and marker.kwargs.get("transaction")) or any(
        name in fixtures for name in ("transactional_db", "live_server")
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the serialized-rollback tests first among the transactional ones.

    pytest-django runs the transactional tests after the others, in file order. One
    without serialized rollback ends with a flush that re-creates the content types
    (``post_migrate``) under new ids; a serialized-rollback test after it reloads the
    ones saved when the test database was created and fails on their unique key. The
    whole suite happens to run them first (``tests/bench`` comes early); any subset of
    it now does too. The order is otherwise kept.
    """
    serialized = [item for item in items if _serialized_rollback(item)]
    if not serialized:
        return
    rest = [item for item in items if not _serialized_rollback(item)]
    first = next((index for index, item in enumerate(rest) if _transactional(item)), len(rest))
    items[:] = rest[:first] + serialized + rest[first:]


@pytest.fixture
def access_world() -> dict[str, Any]:
    """Return the people and records the permission matrices point at (tests/test_*_matrix.py).

    ``stf`` is staff in the team of the manager ``mgr``; ``stranger`` is staff in nobody's
    team; ``exe`` an executive and ``root`` a superuser.
    """
    manager = EmployeeFactory(role="manager", user=UserFactory(username="mgr"))
    staff = EmployeeFactory(role="staff", manager=manager, user=UserFactory(username="stf"))
    stranger = EmployeeFactory(role="staff", user=UserFactory(username="stranger"))
    executive = EmployeeFactory(role="executive", user=UserFactory(username="exe"))
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = ClientFactory(code="ACME")
    ClientContactFactory(client=client)
    project = ProjectFactory(client=client, code="PRJ-1")
    ticket_mine = TicketFactory(client=client, assignee=staff, status="in_progress")
    ticket_other = TicketFactory(client=client, assignee=stranger, status="in_progress")
    week = dt.date(2025, 3, 3)
    sheet_mine = Timesheet.objects.create(employee=staff, week_start=week, status="submitted")
    sheet_other = Timesheet.objects.create(employee=stranger, week_start=week, status="submitted")
    invitation = SurveyInvitationFactory(
        client=client, sent_at=dt.datetime.now(tz=dt.UTC) - dt.timedelta(days=1)
    )
    return {
        "users": {
            "staff": staff.user,
            "manager": manager.user,
            "executive": executive.user,
            "superuser": superuser,
        },
        "client_code": client.code,
        "project": project,
        "project_code": project.code,
        "invitation_id": invitation.invitation_id,
        "staff_username": staff.user.username,
        "stranger_username": stranger.user.username,
        "ticket_mine": ticket_mine.pk,
        "ticket_other": ticket_other.pk,
        "ticket_mine_ref": ticket_mine.ref,
        "ticket_other_ref": ticket_other.ref,
        "sheet_mine": sheet_mine.pk,
        "sheet_other": sheet_other.pk,
        "survey_token": survey_services.survey_token_for(invitation),
    }
