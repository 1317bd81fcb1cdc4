"""The survey page: no login, one question, GET never uses the link, every bad link is friendly."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from surveys import services
from surveys.models import SurveyInvitation, SurveyResponse
from tests.factories import ProjectFactory, SurveyInvitationFactory, TicketFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock_and_cache():
    cache.clear()  # the rate limit counts POSTs per address in the cache
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


def _url(invitation: SurveyInvitation) -> str:
    return reverse("surveys:answer", kwargs={"token": services.survey_token_for(invitation)})


def _nothing_recorded(invitation: SurveyInvitation, used_at: dt.datetime | None = None) -> None:
    invitation.refresh_from_db()
    assert invitation.used_at == used_at
    assert SurveyResponse.objects.filter(invitation=invitation).count() == (
        0 if used_at is None else 1
    )


def test_a_valid_link_shows_one_csat_question_without_login(client):
    ticket = TicketFactory(ref="TCK-42", subject="VPN down")
    invitation = SurveyInvitationFactory(
        kind="csat", client=ticket.client, ticket=ticket, sent_at=NOW
    )
    response = client.get(_url(invitation))
    assert response.status_code == 200
    html = response.content.decode()
    assert "How satisfied are you with how we handled your request “VPN down” (TCK-42)?" in html
    assert html.count('type="radio"') == 5
    assert "Very dissatisfied" in html and "Very satisfied" in html
    assert "csrfmiddlewaretoken" in html
    assert 'name="viewport"' in html
    assert "no-cache" in response["Cache-Control"]


def test_an_nps_link_shows_eleven_scores_from_0_to_10(client):
    project = ProjectFactory(name="ERP rollout")
    invitation = SurveyInvitationFactory(
        kind="nps", client=project.client, project=project, sent_at=NOW
    )
    html = client.get(_url(invitation)).content.decode()
    assert "How likely are you to recommend Synapse IT Solutions to a friend or colleague?" in html
    assert html.count('type="radio"') == 11
    assert 'value="0"' in html and 'value="10"' in html


def test_opening_a_link_many_times_never_uses_it(client):
    """Mail scanners open every link before the person does."""
    invitation = SurveyInvitationFactory(sent_at=NOW)
    url = _url(invitation)
    for _ in range(3):
        assert client.get(url).status_code == 200
        assert client.head(url).status_code == 200
    _nothing_recorded(invitation)
    response = client.post(url, {"score": "5"})
    assert response.status_code == 302


def test_submitting_records_the_answer_once_and_thanks_the_client(client):
    project = ProjectFactory()
    invitation = SurveyInvitationFactory(
        kind="nps", client=project.client, project=project, sent_at=NOW
    )
    response = client.post(_url(invitation), {"score": "0", "comment": "Too slow."})
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:thanks")
    saved = SurveyResponse.objects.get()
    assert (saved.kind, saved.score, saved.comment, saved.project) == (
        "nps",
        0,
        "Too slow.",
        project,
    )
    assert saved.invitation == invitation
    _nothing_recorded(invitation, used_at=NOW)
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "Thank you!" in thanks.content.decode()


def test_a_double_submit_records_one_response_and_shows_the_used_page(client):
    invitation = SurveyInvitationFactory(sent_at=NOW)
    url = _url(invitation)
    assert client.post(url, {"score": "4"}).status_code == 302
    second = client.post(url, {"score": "1"})
    assert second.status_code == 410
    assert "This survey has already been answered" in second.content.decode()
    assert list(SurveyResponse.objects.values_list("score", flat=True)) == [4]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Please choose a score."),
        ({"score": "6"}, "Please choose one of the scores shown."),
        ({"score": "0"}, "Please choose one of the scores shown."),
        ({"score": "five"}, "Please choose one of the scores shown."),
        ({"score": "3", "comment": "x" * 2001}, "Please keep the comment under 2000 characters."),
    ],
    ids=["missing", "above-scale", "below-scale", "not-a-number", "comment-too-long"],
)
def test_a_bad_answer_shows_its_error_and_records_nothing(client, data, message):
    invitation = SurveyInvitationFactory(kind="csat", sent_at=NOW)
    response = client.post(_url(invitation), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    _nothing_recorded(invitation)


def _tampered(invitation: SurveyInvitation) -> str:
    token = services.survey_token_for(invitation)
    return token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")


BAD_LINKS = [
    ("tampered", _tampered, 400, "This survey link is not valid"),
    (
        "other-salt",
        lambda inv: signing.dumps(inv.invitation_id, salt="password-reset"),
        400,
        "This survey link is not valid",
    ),
    (
        "unknown-id",
        lambda inv: signing.dumps("GONE", salt=services.LINK_SALT),
        410,
        "This survey link is not valid",
    ),
]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("name", "make_token", "status", "title"), BAD_LINKS, ids=[b[0] for b in BAD_LINKS]
)
def test_a_bad_link_gets_a_friendly_page_and_records_nothing(
    client, method, name, make_token, status, title
):
    invitation = SurveyInvitationFactory(sent_at=NOW)
    url = reverse("surveys:answer", kwargs={"token": make_token(invitation)})
    response = getattr(client, method)(url, {"score": "5"} if method == "post" else None)
    assert response.status_code == status
    html = response.content.decode()
    assert title in html
    assert "Nothing has been recorded." in html
    _nothing_recorded(invitation)


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_link_gets_a_friendly_page_and_records_nothing(client, method):
    invitation = SurveyInvitationFactory(sent_at=NOW)
    url = _url(invitation)
    with time_machine.travel(NOW + dt.timedelta(days=31), tick=False):
        response = getattr(client, method)(url, {"score": "5"} if method == "post" else None)
    assert response.status_code == 410
    assert "This survey link has expired" in response.content.decode()
    _nothing_recorded(invitation)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_used_link_gets_a_friendly_page_and_records_nothing_more(client, method):
    invitation = SurveyInvitationFactory(sent_at=NOW)
    services.survey_answer(invitation=invitation, score=5, now=NOW)
    response = getattr(client, method)(
        _url(invitation), {"score": "1"} if method == "post" else None
    )
    assert response.status_code == 410
    assert "This survey has already been answered" in response.content.decode()
    _nothing_recorded(invitation, used_at=NOW)
    assert SurveyResponse.objects.get().score == 5


def test_a_post_without_the_csrf_token_is_refused():
    invitation = SurveyInvitationFactory(sent_at=NOW)
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(_url(invitation), {"score": "5"})
    assert response.status_code == 403
    _nothing_recorded(invitation)


def test_a_post_with_the_csrf_token_from_the_page_is_accepted():
    invitation = SurveyInvitationFactory(sent_at=NOW)
    csrf_client = Client(enforce_csrf_checks=True)
    url = _url(invitation)
    page = csrf_client.get(url)
    token = page.context["csrf_token"]
    response = csrf_client.post(url, {"score": "5", "csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    assert SurveyResponse.objects.count() == 1


@override_settings(SYNAPSE_SURVEY_POSTS_PER_WINDOW=2)
def test_too_many_posts_from_one_address_are_refused_and_record_nothing(client):
    invitations = [SurveyInvitationFactory(sent_at=NOW) for _ in range(3)]
    assert client.post(_url(invitations[0]), {}).status_code == 200  # an error still counts
    assert client.post(_url(invitations[1]), {"score": "5"}).status_code == 302
    limited = client.post(_url(invitations[2]), {"score": "5"})
    assert limited.status_code == 429
    assert "Please try again in a few minutes" in limited.content.decode()
    _nothing_recorded(invitations[2])
    assert client.get(_url(invitations[2])).status_code == 200  # reading is never limited
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert other.post(_url(invitations[2]), {"score": "5"}).status_code == 302


@override_settings(SYNAPSE_SURVEY_POSTS_PER_WINDOW=2, SYNAPSE_PROXY_COUNT=1)
def test_behind_a_proxy_the_limit_counts_the_forwarded_client_address():
    """Every post arrives from the proxy (10.9.0.1): one client over its limit leaves the
    other clients behind the same proxy unaffected."""
    proxy = Client(REMOTE_ADDR="10.9.0.1")
    invitations = [SurveyInvitationFactory(sent_at=NOW) for _ in range(4)]
    sprayer = {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    assert proxy.post(_url(invitations[0]), {"score": "5"}, **sprayer).status_code == 302
    assert proxy.post(_url(invitations[1]), {"score": "5"}, **sprayer).status_code == 302
    assert proxy.post(_url(invitations[2]), {"score": "5"}, **sprayer).status_code == 429
    other = {"HTTP_X_FORWARDED_FOR": "198.51.100.4"}
    assert proxy.post(_url(invitations[2]), {"score": "5"}, **other).status_code == 302
    # A forged first entry does not give the sprayer a fresh count.
    forged = {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.5"}
    assert proxy.post(_url(invitations[3]), {"score": "5"}, **forged).status_code == 429


def test_other_methods_are_not_allowed(client):
    invitation = SurveyInvitationFactory(sent_at=NOW)
    assert client.put(_url(invitation)).status_code == 405
    assert client.post(reverse("surveys:thanks")).status_code == 405
