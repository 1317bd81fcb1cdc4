"""django-axes: 10 failures lock an account from one address, or an address, for 30 minutes.

An account alone is never locked: a stranger guessing from elsewhere must not lock its
owner out.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def users():
    made = {}
    for name in ("ada", "bob", "manager"):
        user = EmployeeFactory(role="staff", user__username=name).user
        user.set_password(PASSWORD)
        user.save()
        made[name] = user
    return made


def login(client, username: str, password: str, ip: str, **headers: str):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
        **headers,
    )


def test_settings_are_ten_failures_thirty_minutes_account_at_address_or_address(settings):
    assert settings.AXES_FAILURE_LIMIT == 10
    assert dt.timedelta(minutes=30) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"], "ip_address"]
    assert settings.AXES_CLIENT_IP_CALLABLE == "synapse.security.backends.client_ip_address"
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_failures_from_other_addresses_do_not_lock_the_owner_out(client, users):
    """A stranger's ten guesses at ``manager`` from ten addresses leave the manager in."""
    with time_machine.travel(START, tick=False):
        for n in range(10):
            assert login(client, "manager", "wrong", ip=f"10.0.0.{n}").status_code == 200
        assert login(client, "manager", "wrong", ip="10.0.0.99").status_code == 200
        assert login(client, "manager", PASSWORD, ip="192.0.2.10").status_code == 302


def test_ten_failures_for_an_account_from_one_address_lock_that_address(client, users):
    with time_machine.travel(START, tick=False):
        for _ in range(9):
            assert login(client, "ada", "wrong", ip="10.0.0.1").status_code == 200
        # Nine failures: the right password still works.
        assert login(client, "ada", PASSWORD, ip="10.0.0.1").status_code == 302
        client.logout()
        assert login(client, "ada", "wrong", ip="10.0.0.1").status_code == 429  # the 10th
        locked = login(client, "ada", PASSWORD, ip="10.0.0.1")
        assert locked.status_code == 429
        assert "Sign-in temporarily locked" in locked.content.decode()
        assert "30 minutes" in locked.content.decode()
        assert locked["Retry-After"] == "1800"
        # The owner at their own address, and another account elsewhere, sign in.
        assert login(client, "ada", PASSWORD, ip="10.0.2.2").status_code == 302
        client.logout()
        assert login(client, "bob", PASSWORD, ip="10.0.0.2").status_code == 302
    with time_machine.travel(START + dt.timedelta(minutes=31), tick=False):
        client.logout()
        assert login(client, "ada", PASSWORD, ip="10.0.0.1").status_code == 302


def test_ten_failures_from_an_address_lock_it_for_every_account(client, users):
    with time_machine.travel(START, tick=False):
        for n in range(10):
            login(client, f"guess{n}", "wrong", ip="192.0.2.50")
        assert login(client, "bob", PASSWORD, ip="192.0.2.50").status_code == 429
        # The same account from another address signs in.
        assert login(client, "bob", PASSWORD, ip="192.0.2.51").status_code == 302


def test_lockout_page_is_the_same_for_unknown_accounts(client, users):
    with time_machine.travel(START, tick=False):
        for _ in range(10):
            login(client, "ada", "wrong", ip="10.1.0.1")
            login(client, "ghost", "wrong", ip="10.2.0.1")
        known = login(client, "ada", "wrong", ip="10.1.0.1")
        unknown = login(client, "ghost", "wrong", ip="10.2.0.1")
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
        assert login(client, "ada", "wrong", ip="198.51.100.7").status_code == 429


@override_settings(SYNAPSE_PROXY_COUNT=1)
def test_behind_a_proxy_the_forwarded_client_address_is_counted(client, users):
    """Every request comes from the proxy (10.9.0.1); the clients are told apart by the
    address the proxy forwards, so one guesser does not lock everyone out."""
    with time_machine.travel(START, tick=False):
        for n in range(10):
            login(client, f"guess{n}", "wrong", ip="10.9.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
        guesser = login(client, "bob", PASSWORD, ip="10.9.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
        assert guesser.status_code == 429
        owner = login(client, "bob", PASSWORD, ip="10.9.0.1", HTTP_X_FORWARDED_FOR="198.51.100.4")
        assert owner.status_code == 302
