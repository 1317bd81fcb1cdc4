"""Fixtures of the API tests: one user per role and API clients signed in as them.

The firm: ``boss`` (executive), ``mia`` (manager) whose team is ``sam`` (staff),
``olga`` (staff in nobody's team), ``nobody`` (a user without an employee record)
and ``root`` (superuser, no employee record).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import EmployeeFactory, UserFactory
from timesheets.models import Employee


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Start each test with empty throttle counters (they live in the cache)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def firm(db):
    """Return the people of the firm by name (see the module docstring)."""
    boss = EmployeeFactory(
        user=UserFactory(username="boss"), full_name="Bea Boss", role=Employee.Role.EXECUTIVE
    )
    mia = EmployeeFactory(
        user=UserFactory(username="mia"), full_name="Mia Manager", role=Employee.Role.MANAGER
    )
    sam = EmployeeFactory(user=UserFactory(username="sam"), full_name="Sam Staff", manager=mia)
    olga = EmployeeFactory(user=UserFactory(username="olga"), full_name="Olga Other")
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    nobody = UserFactory(username="nobody")
    return {
        "boss": boss.user,
        "mia": mia.user,
        "sam": sam.user,
        "olga": olga.user,
        "root": root,
        "nobody": nobody,
    }


@pytest.fixture
def api(firm):
    """Return ``api(name)``: an API client authenticated as that person of the firm."""

    def make(name: str | None) -> APIClient:
        client = APIClient()
        if name is not None:
            client.force_authenticate(user=firm[name])
        return client

    return make


@pytest.fixture
def feb():
    """Return the days of a working week in February 2025 (Monday 3rd to Friday 7th)."""
    return [dt.date(2025, 2, 3) + dt.timedelta(days=i) for i in range(5)]
