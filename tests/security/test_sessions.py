"""Session lifetimes: idle timeout and absolute lifetime after sign-in."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from synapse.security.middleware import session_expired
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)
PAGE = "/tickets/"


def at(minutes: float):
    return time_machine.travel(START + dt.timedelta(minutes=minutes), tick=False)


@pytest.fixture
def staff_client(client):
    user = EmployeeFactory(role="staff").user
    with at(0):
        client.force_login(user)
    return client


def signed_in(client) -> bool:
    response = client.get(PAGE)
    return response.status_code == 200


def test_defaults_are_thirty_idle_minutes_and_twelve_hours(settings):
    assert settings.SYNAPSE_SESSION_IDLE_MINUTES == 30
    assert settings.SYNAPSE_SESSION_MAX_HOURS == 12
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_session_expired_formula():
    assert session_expired(login_at=0, seen_at=0, now=29 * 60) is None
    assert session_expired(login_at=0, seen_at=0, now=30 * 60) == "idle"
    assert session_expired(login_at=0, seen_at=12 * 3600 - 1, now=12 * 3600) == "lifetime"


def test_idle_session_is_signed_out(staff_client):
    with at(1):
        assert signed_in(staff_client)
    with at(25):
        assert signed_in(staff_client)
    with at(56):  # 31 minutes after the last request
        response = staff_client.get(PAGE)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        assert "_auth_user_id" not in staff_client.session
        page = staff_client.get(response["Location"])
        assert "signed out after a period of inactivity" in page.content.decode()


def test_active_session_ends_after_twelve_hours(staff_client):
    for minutes in range(0, 12 * 60, 20):  # a request every 20 minutes, all day
        with at(minutes):
            assert signed_in(staff_client), minutes
    with at(12 * 60 + 1):
        assert not signed_in(staff_client)
        page = staff_client.get(reverse("accounts:login"))
        assert "maximum length" in page.content.decode()


def test_api_session_is_signed_out_too(staff_client):
    with at(1):
        assert staff_client.get("/api/v1/tickets/").status_code == 200
    with at(40):
        assert staff_client.get("/api/v1/tickets/").status_code in (401, 403)


def test_idle_minutes_come_from_settings(staff_client, settings):
    settings.SYNAPSE_SESSION_IDLE_MINUTES = 5
    with at(4):
        assert signed_in(staff_client)
    with at(10):
        assert not signed_in(staff_client)
