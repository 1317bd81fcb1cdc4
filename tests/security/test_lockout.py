"""django-axes: 10 consecutive failures lock the account, or the address, for 30 minutes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # noqa: S105
START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def users():
    made = {}
    for name in ("ada", "bob"):
        user = EmployeeFactory(role="staff", user__username=name).user
        user.set_password(PASSWORD)
        user.save()
        made[name] = user
    return made


def login(client, username: str, password: str, ip: str):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_settings_are_ten_failures_thirty_minutes_account_or_address(settings):
    assert settings.AXES_FAILURE_LIMIT == 10
    assert dt.timedelta(minutes=30) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_ten_failures_for_an_account_lock_it_from_every_address(client, users):
    with time_machine.travel(START, tick=False):
        for n in range(9):
            assert login(client, "ada", "wrong", ip=f"10.0.0.{n}").status_code == 200
        # Nine failures: the right password still works.
        assert login(client, "ada", PASSWORD, ip="10.0.1.1").status_code == 302
        client.logout()
        assert login(client, "ada", "wrong", ip="10.0.0.99").status_code == 429  # the 10th
        locked = login(client, "ada", PASSWORD, ip="10.0.2.2")
        assert locked.status_code == 429
        assert "Sign-in temporarily locked" in locked.content.decode()
        assert "30 minutes" in locked.content.decode()
        assert locked["Retry-After"] == "1800"
        # Another account from the same addresses is not affected.
        assert login(client, "bob", PASSWORD, ip="10.0.0.1").status_code == 302
    with time_machine.travel(START + dt.timedelta(minutes=31), tick=False):
        client.logout()
        assert login(client, "ada", PASSWORD, ip="10.0.2.2").status_code == 302


def test_ten_failures_from_an_address_lock_it_for_every_account(client, users):
    with time_machine.travel(START, tick=False):
        for n in range(10):
            login(client, f"guess{n}", "wrong", ip="192.0.2.50")
        assert login(client, "bob", PASSWORD, ip="192.0.2.50").status_code == 429
        # The same account from another address signs in.
        assert login(client, "bob", PASSWORD, ip="192.0.2.51").status_code == 302


def test_lockout_page_is_the_same_for_unknown_accounts(client, users):
    with time_machine.travel(START, tick=False):
        for n in range(10):
            login(client, "ada", "wrong", ip=f"10.1.0.{n}")
            login(client, "ghost", "wrong", ip=f"10.2.0.{n}")
        known = login(client, "ada", "wrong", ip="10.3.0.1")
        unknown = login(client, "ghost", "wrong", ip="10.3.0.2")
    assert known.status_code == unknown.status_code == 429
    token = re.compile(rb'"X-CSRFToken": "[^"]+"')
    assert token.sub(b"TOKEN", known.content) == token.sub(b"TOKEN", unknown.content)


def test_a_success_does_not_reset_the_count_of_guesses(client, users):
    """A good login of one's own must not clear the guesses against someone else."""
    with time_machine.travel(START, tick=False):
        for _ in range(9):
            login(client, "ada", "wrong", ip="198.51.100.7")
        assert login(client, "bob", PASSWORD, ip="198.51.100.7").status_code == 302
        client.logout()
        assert login(client, "ada", "wrong", ip="198.51.100.9").status_code == 429
