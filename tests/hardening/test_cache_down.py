"""The shared cache down: pages and the API answer (unthrottled), never 500.

The default and the dashboards' caches are pointed at a Redis on a closed port
(127.0.0.1:1), as in production when ``SYNAPSE_CACHE_URL``'s Redis is away. Every cache
call then raises ``redis.ConnectionError``; the throttles, rate limits and fragment
cache go on without it (``synapse.security.limits.FailOpenCache``), and each failure is
logged and counted.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import redis
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import reverse

from surveys import services as survey_services
from surveys.models import SurveyResponse
from synapse.security.limits import CACHE_FAILURES, FailOpenCache, rate_limit_allowed
from tests.factories import (
    ClientFactory,
    SurveyInvitationFactory,
    TicketFactory,
)
from tests.hardening.conftest import signed_in

pytestmark = pytest.mark.django_db

CLOSED = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",
    "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
}
CACHE_DOWN = override_settings(CACHES={"default": CLOSED, "dashboards": {**CLOSED}})


def test_the_closed_port_really_is_down():
    """The premise: without the wrapper, the cache raises (so the tests below mean it)."""
    with CACHE_DOWN, pytest.raises(redis.ConnectionError):
        caches["default"].get("anything")


@CACHE_DOWN
def test_every_kind_of_api_call_answers_with_the_cache_down(people, caplog):
    ClientFactory(code="C1")
    TicketFactory(ref="T-1", assignee=people["sam"].employee)
    staff = signed_in(people["sam"])
    boss = signed_in(people["boss"])
    before = CACHE_FAILURES["api-throttle"]
    with caplog.at_level(logging.WARNING, logger="synapse.security.limits"):
        listed = staff.get("/api/v1/tickets/")
        detail = staff.get("/api/v1/tickets/T-1/")
        written = staff.post(
            "/api/v1/tickets/",
            {
                "ref": "T-2",
                "client": "C1",
                "priority": "P2",
                "subject": "VPN down",
            },
            content_type="application/json",
        )
        kpis = boss.get("/api/v1/kpis/?start=2025-02-01&end=2025-02-28")
        anonymous = Client().get("/api/v1/tickets/")
    assert listed.status_code == 200
    assert [row["ref"] for row in listed.json()["results"]] == ["T-1"]
    assert detail.status_code == 200
    assert detail.json()["ref"] == "T-1"
    assert written.status_code == 201, written.content
    assert written.json()["subject"] == "VPN down"
    assert kpis.status_code == 200
    assert "csat" in kpis.json()["kpis"]
    assert anonymous.status_code == 401  # the anon throttle ran too, and failed open
    # Each throttle read and write failed and was counted; the log says so.
    assert CACHE_FAILURES["api-throttle"] - before >= 5
    assert any("going on without it" in record.getMessage() for record in caplog.records)


@CACHE_DOWN
def test_every_kind_of_page_answers_with_the_cache_down(people):
    ticket = TicketFactory(ref="T-1", assignee=people["sam"].employee)
    staff = signed_in(people["sam"])
    boss = signed_in(people["boss"])
    assert boss.get(reverse("dashboards:dashboard")).status_code == 200
    assert staff.get(reverse("support:ticket_list")).status_code == 200
    assert staff.get(reverse("support:ticket_detail", args=[ticket.pk])).status_code == 200
    assert staff.get(reverse("timesheets:week")).status_code == 200
    # A form post without a login: the survey answer, behind its rate limit.
    invitation = SurveyInvitationFactory(sent_at=dt.datetime.now(tz=dt.UTC))
    token = survey_services.survey_token_for(invitation)
    before = CACHE_FAILURES["survey-post"]
    answered = Client().post(reverse("surveys:answer", args=[token]), {"score": "5"})
    assert answered.status_code == 302
    assert SurveyResponse.objects.filter(invitation=invitation, score=5).exists()
    assert CACHE_FAILURES["survey-post"] == before + 1


def test_a_rate_limit_fails_open_and_counts_the_failure(caplog):
    with CACHE_DOWN, caplog.at_level(logging.WARNING, logger="synapse.security.limits"):
        before = CACHE_FAILURES["probe"]
        assert all(
            rate_limit_allowed(purpose="probe", ident="198.51.100.1", limit=1, window=60)
            for _ in range(3)
        )
        assert CACHE_FAILURES["probe"] == before + 3
        assert FailOpenCache(purpose="probe").get("k", "fallback") == "fallback"
    assert [r.levelname for r in caplog.records].count("WARNING") == 4
    # With the cache up the same limit bites on the second hit.
    assert rate_limit_allowed(purpose="probe", ident="198.51.100.1", limit=1, window=60)
    assert not rate_limit_allowed(purpose="probe", ident="198.51.100.1", limit=1, window=60)
