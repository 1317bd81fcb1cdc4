"""Shared fixtures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import caches

from synapse.kpis.periods import local_midnight


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
