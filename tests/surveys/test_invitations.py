"""Survey invitations: who is asked, when, how often; signed links; recording one answer."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail, signing
from django.db import connection, connections
from django.test import override_settings

from projects.models import ClientContact, Project
from support.models import Ticket
from surveys import services
from surveys.models import SurveyInvitation, SurveyResponse
from surveys.services import SurveyLinkError
from tests.factories import (
    ClientContactFactory,
    ClientFactory,
    ProjectFactory,
    SurveyInvitationFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def firm_client():
    """Return a client with a project contact, a support contact and an inactive contact."""
    client = ClientFactory(name="Acme Corp")
    ClientContactFactory(client=client, name="Pat Project", email="pat@acme.example")
    ClientContactFactory(
        client=client, name="Sam Support", email="sam@acme.example", role="support"
    )
    ClientContactFactory(
        client=client,
        name="Old Support",
        email="old@acme.example",
        role="support",
        is_active=False,
    )
    return client


def _complete(project: Project) -> None:
    project.status = Project.Status.COMPLETED
    project.actual_start = dt.date(2025, 1, 6)
    project.actual_end = dt.date(2025, 3, 7)
    project.save()


def _resolve(ticket: Ticket) -> None:
    ticket.status = Ticket.Status.RESOLVED
    ticket.resolved_at = ticket.opened_at + dt.timedelta(hours=2)
    ticket.save()


# --- who is invited, to what, and when -------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_completing_a_project_emails_csat_and_nps_links_to_the_project_contact(
    firm_client, django_capture_on_commit_callbacks
):
    project = ProjectFactory(client=firm_client, name="ERP rollout", status="active")
    with django_capture_on_commit_callbacks(execute=True):
        _complete(project)

    invitations = SurveyInvitation.objects.filter(project=project).order_by("kind")
    assert [(i.kind, i.contact_email, i.sent_at) for i in invitations] == [
        ("csat", "pat@acme.example", NOW),
        ("nps", "pat@acme.example", NOW),
    ]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pat@acme.example"]
    assert message.subject == "How did we do on ERP rollout?"
    for invitation in invitations:
        assert services.survey_link_for(invitation).split("/survey/")[1] in message.body
    assert message.body.count("/survey/") == 2


@time_machine.travel(NOW, tick=False)
def test_resolving_a_ticket_emails_one_csat_link_to_the_support_contact(
    firm_client, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(client=firm_client, ref="TCK-7", status="in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        _resolve(ticket)

    invitation = SurveyInvitation.objects.get()
    assert (invitation.kind, invitation.ticket, invitation.contact_email) == (
        "csat",
        ticket,
        "sam@acme.example",
    )
    assert invitation.client == firm_client
    assert [m.to for m in mail.outbox] == [["sam@acme.example"]]
    assert mail.outbox[0].subject == "How did we do on your request TCK-7?"


def test_without_a_contact_of_the_role_any_active_contact_is_asked(
    django_capture_on_commit_callbacks,
):
    client = ClientFactory()
    ClientContactFactory(client=client, email="first@x.example", role="project")
    ClientContactFactory(client=client, email="second@x.example", role="project")
    ticket = TicketFactory(client=client, status="in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        _resolve(ticket)
    assert list(SurveyInvitation.objects.values_list("contact_email", flat=True)) == [
        "first@x.example"
    ]


def test_inactive_contacts_are_never_asked(django_capture_on_commit_callbacks):
    client = ClientFactory()
    ClientContactFactory(client=client, role="support", is_active=False)
    ticket = TicketFactory(client=client, status="in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        _resolve(ticket)
    assert SurveyInvitation.objects.count() == 0
    assert mail.outbox == []


def test_nothing_is_sent_before_the_transaction_commits(
    firm_client, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(client=firm_client, status="in_progress")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _resolve(ticket)
    assert SurveyInvitation.objects.count() == 0
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert SurveyInvitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_the_service_mails_only_after_its_invitations_commit(
    firm_client, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(client=firm_client, status="resolved")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitations = services.survey_invite_for_ticket(ticket_id=ticket.pk)
    assert len(invitations) == 1
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert [m.to for m in mail.outbox] == [["sam@acme.example"]]


def test_a_project_or_ticket_created_already_finished_sends_nothing(
    firm_client, django_capture_on_commit_callbacks
):
    """History entered in the admin or imported must not email clients about old work."""
    with django_capture_on_commit_callbacks(execute=True):
        ProjectFactory(
            client=firm_client,
            status="completed",
            actual_start=dt.date(2024, 1, 1),
            actual_end=dt.date(2024, 2, 1),
        )
        TicketFactory(client=firm_client, status="resolved")
    assert SurveyInvitation.objects.count() == 0
    assert mail.outbox == []


def test_other_status_changes_send_nothing(firm_client, django_capture_on_commit_callbacks):
    project = ProjectFactory(client=firm_client, status="planned")
    ticket = TicketFactory(client=firm_client, status="new")
    with django_capture_on_commit_callbacks(execute=True):
        project.status = "active"
        project.save()
        project.status = "cancelled"
        project.save()
        ticket.status = "waiting"
        ticket.save()
    assert SurveyInvitation.objects.count() == 0


# --- never twice per project or ticket; once per contact per kind in 30 days ------------------


@override_settings(SYNAPSE_SURVEY_DEDUP_DAYS=0)
def test_a_project_completed_twice_is_surveyed_once(
    firm_client, django_capture_on_commit_callbacks
):
    project = ProjectFactory(client=firm_client, status="active")
    with django_capture_on_commit_callbacks(execute=True):
        _complete(project)
        project.status = "active"
        project.save()
        _complete(project)
    assert SurveyInvitation.objects.filter(project=project).count() == 2  # csat + nps
    assert services.survey_invite_for_project(project_id=project.pk) == []
    assert len(mail.outbox) == 1


@override_settings(SYNAPSE_SURVEY_DEDUP_DAYS=0)
def test_a_reopened_and_resolved_again_ticket_is_surveyed_once(
    firm_client, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(client=firm_client, status="in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        _resolve(ticket)
        ticket.status = "in_progress"
        ticket.reopened_count = 1
        ticket.save()
        _resolve(ticket)
        ticket.status = "closed"
        ticket.save()
    assert SurveyInvitation.objects.filter(ticket=ticket).count() == 1
    assert len(mail.outbox) == 1


def test_a_contact_gets_one_invitation_per_kind_in_30_days(firm_client):
    first, second, third = (TicketFactory(client=firm_client, status="resolved") for _ in range(3))
    assert len(services.survey_invite_for_ticket(ticket_id=first.pk, now=NOW)) == 1
    # 29 days 23 hours later: still inside the window.
    almost = NOW + dt.timedelta(days=30) - dt.timedelta(hours=1)
    assert services.survey_invite_for_ticket(ticket_id=second.pk, now=almost) == []
    # Exactly 30 days later a new one may go.
    assert (
        len(services.survey_invite_for_ticket(ticket_id=third.pk, now=NOW + dt.timedelta(days=30)))
        == 1
    )
    assert list(SurveyInvitation.objects.order_by("sent_at").values_list("ticket", flat=True)) == [
        first.pk,
        third.pk,
    ]


def test_the_window_is_per_kind_and_per_email_address(firm_client):
    """The support contact who is also the project contact (same email, any case) is one
    person: a ticket's CSAT blocks the project's CSAT but not its NPS."""
    ClientContact.objects.filter(role="project").update(email="SAM@acme.example")
    ticket = TicketFactory(client=firm_client, status="resolved")
    project = ProjectFactory(
        client=firm_client,
        status="completed",
        actual_start=dt.date(2025, 1, 1),
        actual_end=dt.date(2025, 3, 1),
    )
    services.survey_invite_for_ticket(ticket_id=ticket.pk, now=NOW)
    sent = services.survey_invite_for_project(project_id=project.pk, now=NOW + dt.timedelta(days=3))
    assert [(i.kind, i.contact_email) for i in sent] == [("nps", "SAM@acme.example")]


def test_other_contacts_are_not_held_back_by_the_window(firm_client):
    other = ClientFactory()
    ClientContactFactory(client=other, role="support", email="lee@other.example")
    services.survey_invite_for_ticket(
        ticket_id=TicketFactory(client=firm_client, status="resolved").pk, now=NOW
    )
    sent = services.survey_invite_for_ticket(
        ticket_id=TicketFactory(client=other, status="resolved").pk, now=NOW
    )
    assert [i.contact_email for i in sent] == ["lee@other.example"]


@override_settings(SYNAPSE_SURVEY_DEDUP_DAYS=7)
def test_the_window_is_configurable(firm_client):
    first, second = (TicketFactory(client=firm_client, status="resolved") for _ in range(2))
    services.survey_invite_for_ticket(ticket_id=first.pk, now=NOW)
    sent = services.survey_invite_for_ticket(ticket_id=second.pk, now=NOW + dt.timedelta(days=7))
    assert len(sent) == 1


def test_an_unfinished_project_or_ticket_is_not_surveyed(firm_client):
    project = ProjectFactory(client=firm_client, status="active")
    ticket = TicketFactory(client=firm_client, status="waiting")
    assert services.survey_invite_for_project(project_id=project.pk) == []
    assert services.survey_invite_for_ticket(ticket_id=ticket.pk) == []
    assert services.survey_invite_for_ticket(ticket_id=999999) == []


# --- signed links --------------------------------------------------------------------------


def _invitation(**kwargs) -> SurveyInvitation:
    return SurveyInvitationFactory(sent_at=kwargs.pop("sent_at", NOW), **kwargs)


def test_a_link_carries_a_signed_token_naming_the_invitation():
    invitation = _invitation()
    token = services.survey_token_for(invitation)
    assert signing.loads(token, salt=services.LINK_SALT) == invitation.invitation_id
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        assert services.survey_invitation_from_token(token=token) == invitation
    assert services.survey_link_for(invitation, base_url="https://synapse.example/").startswith(
        "https://synapse.example/survey/"
    )


@pytest.mark.parametrize(
    ("make_token", "reason", "status"),
    [
        (lambda inv: services.survey_token_for(inv)[:-2] + "xx", "tampered", 400),
        (lambda inv: signing.dumps(inv.invitation_id, salt="another.salt"), "tampered", 400),
        (lambda inv: signing.dumps(inv.invitation_id), "tampered", 400),
        (lambda inv: "not-a-token", "tampered", 400),
        (lambda inv: signing.dumps({"id": 1}, salt=services.LINK_SALT), "tampered", 400),
        (lambda inv: signing.dumps("NO-SUCH-ID", salt=services.LINK_SALT), "unknown", 410),
    ],
    ids=["bad-signature", "other-salt", "no-salt", "garbage", "not-an-id", "unknown-id"],
)
def test_a_bad_token_is_refused_with_its_reason(make_token, reason, status):
    invitation = _invitation()
    with time_machine.travel(NOW, tick=False), pytest.raises(SurveyLinkError) as error:
        services.survey_invitation_from_token(token=make_token(invitation))
    assert (error.value.reason, error.value.status) == (reason, status)


def test_a_link_expires_30_days_after_it_was_sent():
    invitation = _invitation()
    with time_machine.travel(NOW, tick=False):
        token = services.survey_token_for(invitation)
    with time_machine.travel(NOW + dt.timedelta(days=30) - dt.timedelta(seconds=1), tick=False):
        assert services.survey_invitation_from_token(token=token) == invitation
    with (
        time_machine.travel(NOW + dt.timedelta(days=30, seconds=1), tick=False),
        pytest.raises(SurveyLinkError) as error,
    ):
        services.survey_invitation_from_token(token=token)
    assert (error.value.reason, error.value.status) == ("expired", 410)


def test_a_fresh_token_for_an_old_invitation_is_still_expired():
    invitation = _invitation(sent_at=NOW - dt.timedelta(days=31))
    with time_machine.travel(NOW, tick=False), pytest.raises(SurveyLinkError) as error:
        services.survey_invitation_from_token(token=services.survey_token_for(invitation))
    assert error.value.reason == "expired"


# --- answering once ------------------------------------------------------------------------


def test_answering_records_the_response_and_uses_the_link(firm_client):
    ticket = TicketFactory(client=firm_client, status="resolved")
    (invitation,) = services.survey_invite_for_ticket(ticket_id=ticket.pk, now=NOW)
    response = services.survey_answer(
        invitation=invitation, score=4, comment="  Quick fix.  ", now=NOW + dt.timedelta(hours=1)
    )
    response.refresh_from_db()
    assert (response.kind, response.score, response.comment) == ("csat", 4, "Quick fix.")
    assert (response.client, response.ticket, response.project) == (firm_client, ticket, None)
    assert response.responded_at == NOW + dt.timedelta(hours=1)
    invitation.refresh_from_db()
    assert invitation.used_at == NOW + dt.timedelta(hours=1)
    assert invitation.response == response


def test_a_second_answer_is_refused_and_changes_nothing():
    invitation = _invitation()
    services.survey_answer(invitation=invitation, score=5, now=NOW)
    stale = SurveyInvitation.objects.get(pk=invitation.pk)
    stale.used_at = None  # as a second request that read the row before the first wrote
    with pytest.raises(SurveyLinkError) as error:
        services.survey_answer(invitation=stale, score=1, now=NOW + dt.timedelta(minutes=1))
    assert error.value.reason == "used"
    assert list(SurveyResponse.objects.values_list("score", flat=True)) == [5]
    assert SurveyInvitation.objects.get(pk=invitation.pk).used_at == NOW


def test_the_unique_response_backs_up_the_compare_and_set():
    """A response already there (say, entered in the admin) refuses an answer even when the
    invitation looks unused, and the failed attempt leaves the invitation unused."""
    invitation = _invitation()
    services.survey_answer(invitation=invitation, score=5, now=NOW)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(used_at=None)
    with pytest.raises(SurveyLinkError):
        services.survey_answer(invitation=invitation, score=2, now=NOW)
    assert SurveyResponse.objects.count() == 1
    assert SurveyInvitation.objects.get(pk=invitation.pk).used_at is None


def test_a_score_off_the_scale_is_refused():
    invitation = _invitation(kind="csat")
    with pytest.raises(ValueError, match="outside the csat scale"):
        services.survey_answer(invitation=invitation, score=0)
    assert SurveyResponse.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_racing_answers_record_one_response():
    """Two requests on two database connections submit the same link at the same moment.

    PostgreSQL only (``make test-services``): SQLite's in-memory test database shares one
    cache between connections and answers a concurrent writer "table is locked" at once
    instead of waiting, so a real race cannot be staged there; SQLite serialises writers
    anyway. The single-connection "used link" tests above run on both.
    """
    if connection.vendor != "postgresql":
        pytest.skip("a real two-connection race needs PostgreSQL (make test-services)")
    invitation = _invitation(kind="nps")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(score: int) -> None:
        try:
            seen = SurveyInvitation.objects.get(pk=invitation.pk)  # both read it unused
            barrier.wait(timeout=10)
            services.survey_answer(invitation=seen, score=score, now=NOW)
            outcome = "recorded"
        except SurveyLinkError as error:
            outcome = error.reason
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=submit, args=(score,)) for score in (9, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["recorded", "used"]
    assert SurveyResponse.objects.filter(invitation=invitation).count() == 1
    assert SurveyInvitation.objects.get(pk=invitation.pk).used_at == NOW


# --- rate limit ------------------------------------------------------------------------------


@override_settings(SYNAPSE_SURVEY_POSTS_PER_WINDOW=3, SYNAPSE_SURVEY_RATE_WINDOW_SECONDS=60)
def test_survey_posts_are_limited_per_address_in_a_fixed_window():
    start = 1_700_000_040.0  # the first second of a 60-second window
    allowed = [services.survey_post_allowed(ip="198.51.100.7", now=start + i) for i in range(4)]
    assert allowed == [True, True, True, False]
    assert services.survey_post_allowed(ip="198.51.100.8", now=start + 5)
    assert services.survey_post_allowed(ip="198.51.100.7", now=start + 60)
