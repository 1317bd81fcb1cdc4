"""Password reset: capped emails per address and requests per client, the same answer."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def ada():
    return EmployeeFactory(role="staff", user__username="ada", user__email="ada@firm.example").user


def reset(client, email: str, ip: str, **headers: str):
    return client.post(
        reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=ip, **headers
    )


def test_thirty_requests_for_one_address_send_three_emails(client, ada):
    with time_machine.travel(START, tick=False):
        answers = [
            reset(client, "ada@firm.example" if n % 2 else "ADA@Firm.Example", f"10.0.0.{n}")
            for n in range(30)
        ]
        assert {(a.status_code, a["Location"]) for a in answers} == {
            (302, reverse("accounts:password_reset_done"))
        }
        assert [m.to for m in mail.outbox] == [["ada@firm.example"]] * 3
    with time_machine.travel(START + dt.timedelta(hours=1, minutes=1), tick=False):
        reset(client, "ada@firm.example", "10.0.0.1")
        assert len(mail.outbox) == 4


def test_eleven_requests_from_one_client_address_are_capped_at_ten(client, ada):
    with time_machine.travel(START, tick=False):
        for n in range(10):
            assert reset(client, f"someone{n}@elsewhere.example", "192.0.2.7").status_code == 302
        refused = reset(client, "ada@firm.example", "192.0.2.7")
        assert refused.status_code == 302
        assert refused["Location"] == reverse("accounts:password_reset_done")
        assert mail.outbox == []
        # The refusal did not use up ada's own allowance: she asks from her address.
        reset(client, "ada@firm.example", "192.0.2.8")
        assert [m.to for m in mail.outbox] == [["ada@firm.example"]]


@override_settings(SYNAPSE_PROXY_COUNT=1)
def test_behind_a_proxy_the_forwarded_client_address_is_counted(client, ada):
    with time_machine.travel(START, tick=False):
        for n in range(10):
            reset(client, f"x{n}@elsewhere.example", "10.9.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
        reset(client, "ada@firm.example", "10.9.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
        assert mail.outbox == []
        reset(client, "ada@firm.example", "10.9.0.1", HTTP_X_FORWARDED_FOR="198.51.100.4")
        assert [m.to for m in mail.outbox] == [["ada@firm.example"]]
