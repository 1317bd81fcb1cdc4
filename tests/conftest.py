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
