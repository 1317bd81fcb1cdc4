"""Survey links: what tests/surveys does not cover yet.

tests/surveys already proves tampered, foreign-salt, expired and used links, the single
use under two racing ``survey_answer`` calls, and the per-address rate limit. Here: the
signature is checked in constant time, the link is single use when two *web* requests
post at once, and the rate limit counts per address across different links.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import crypto, timezone

from surveys import services
from surveys.models import SurveyInvitation, SurveyResponse
from tests.factories import SurveyInvitationFactory

NOW = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def _url(invitation: SurveyInvitation) -> str:
    return reverse("surveys:answer", kwargs={"token": services.survey_token_for(invitation)})


@pytest.mark.django_db
def test_the_link_signature_is_compared_in_constant_time(monkeypatch):
    """A forged signature is checked with ``constant_time_compare`` (no timing oracle)."""
    import django.core.signing as signing_module

    compared: list[tuple[str, str]] = []

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return crypto.constant_time_compare(a, b)

    monkeypatch.setattr(signing_module, "constant_time_compare", spy)
    invitation = SurveyInvitationFactory(sent_at=NOW)
    token = services.survey_token_for(invitation)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with time_machine.travel(NOW, tick=False):
        assert services.survey_invitation_from_token(token=token) == invitation
        with pytest.raises(services.SurveyLinkError):
            services.survey_invitation_from_token(token=forged)
    assert len(compared) == 2
    assert compared[1][0] == forged.rsplit(":", 1)[1]  # the forged signature went through it


@pytest.mark.django_db(transaction=True)
def test_two_web_posts_of_one_link_at_once_record_one_response():
    """Two browsers post the same link at the same moment, on two connections.

    PostgreSQL only (``make test-services``): SQLite's shared-cache in-memory test
    database answers a concurrent writer "table is locked" at once, so the race cannot
    be staged there (the same reason as tests/surveys' two-connection race).
    """
    if connection.vendor != "postgresql":
        pytest.skip("a real two-connection race needs PostgreSQL (make test-services)")
    # Sent just now: no clock travel, which would be shared by both threads.
    invitation = SurveyInvitationFactory(sent_at=timezone.now(), kind="csat")
    url = _url(invitation)
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    lock = threading.Lock()

    def post(score: str, address: str) -> None:
        browser = Client(REMOTE_ADDR=address)
        try:
            barrier.wait(timeout=10)
            status = browser.post(url, {"score": score}).status_code
        finally:
            connections.close_all()
        with lock:
            statuses.append(status)

    threads = [
        threading.Thread(target=post, args=(score, address))
        for score, address in (("5", "198.51.100.1"), ("1", "198.51.100.2"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [302, 410]  # thanks, and "already used"
    assert SurveyResponse.objects.filter(invitation=invitation).count() == 1
    assert SurveyInvitation.objects.get(pk=invitation.pk).used_at is not None


@pytest.mark.django_db
@override_settings(SYNAPSE_SURVEY_POSTS_PER_WINDOW=3)
def test_one_address_cannot_spray_posts_across_many_links():
    invitations = [SurveyInvitationFactory(sent_at=NOW) for _ in range(5)]
    sprayer = Client(REMOTE_ADDR="203.0.113.66")
    with time_machine.travel(NOW, tick=False):
        statuses = [sprayer.post(_url(inv), {"score": "5"}).status_code for inv in invitations]
    assert statuses == [302, 302, 302, 429, 429]
    assert SurveyResponse.objects.count() == 3
