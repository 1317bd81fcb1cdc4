"""Fixtures shared by the hardening tests: an executive and a staff member, signed in."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import EmployeeFactory


@pytest.fixture
def people():
    """Return ``boss`` (executive) and ``sam`` (staff) by name."""
    boss = EmployeeFactory(role="executive", user__username="boss")
    sam = EmployeeFactory(role="staff", user__username="sam")
    return {"boss": boss.user, "sam": sam.user}


def signed_in(user) -> Client:
    """Return a test client signed in as ``user``."""
    client = Client()
    client.force_login(user)
    return client
