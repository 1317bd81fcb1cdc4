"""Survey emails are delivered at least once: a refusing mail server or a dead worker
leaves the invitation pending, and the sweep sends it once the way is clear."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from surveys import services
from surveys.models import SurveyInvitation
from tests.factories import ClientContactFactory, ClientFactory, TicketFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)


class RefusingBackend(EmailBackend):
    """A mail server that refuses connections."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server refused the connection")


class _Killed(BaseException):
    """The worker dying mid-send (kill -9): nothing after it runs."""


class DyingBackend(EmailBackend):
    def send_messages(self, messages):
        raise _Killed


@pytest.fixture
def resolved_ticket():
    client = ClientFactory(name="Acme Corp")
    ClientContactFactory(client=client, email="sam@acme.example", role="support")
    return TicketFactory(client=client, status="resolved")


def _invite(ticket, settings, backend, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = f"{__name__}.{backend}"
    with django_capture_on_commit_callbacks(execute=True):
        return services.survey_invite_for_ticket(ticket_id=ticket.pk, now=NOW)


@time_machine.travel(NOW, tick=False)
def test_a_refusing_mail_server_leaves_the_invitation_pending_until_it_recovers(
    resolved_ticket, settings, django_capture_on_commit_callbacks
):
    [invitation] = _invite(
        resolved_ticket, settings, "RefusingBackend", django_capture_on_commit_callbacks
    )
    invitation.refresh_from_db()
    assert (invitation.mail_pending, invitation.emailed_at) == (True, None)
    assert invitation.mail_attempts == 1
    assert invitation.mail_error.startswith("ConnectionRefusedError")
    assert invitation.mail_claimed_until is None  # the failed send let go of it
    assert services.survey_mail_pending() == 0  # still refused

    # Running the invitation again neither writes a second invitation nor gives up.
    assert services.survey_invite_for_ticket(ticket_id=resolved_ticket.pk, now=NOW) == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.survey_mail_pending() == 1
    assert [message.to for message in mail.outbox] == [["sam@acme.example"]]
    assert services.survey_link_for(invitation).split("/survey/")[1] in mail.outbox[0].body
    invitation.refresh_from_db()
    assert (invitation.mail_pending, invitation.emailed_at) == (False, NOW)
    assert invitation.mail_attempts == 3
    assert services.survey_mail_pending() == 0  # sent once
    assert len(mail.outbox) == 1


def test_a_worker_killed_between_the_commit_and_the_send_loses_no_email(
    resolved_ticket, settings, django_capture_on_commit_callbacks
):
    with pytest.raises(_Killed):
        _invite(resolved_ticket, settings, "DyingBackend", django_capture_on_commit_callbacks)
    invitation = SurveyInvitation.objects.get(ticket=resolved_ticket)
    assert invitation.mail_pending is True
    assert invitation.mail_claimed_until is not None  # the dead worker's claim

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = invitation.mail_claimed_until - dt.timedelta(seconds=1)
    assert services.survey_mail_pending(now=now) == 0  # its lease still holds
    later = invitation.mail_claimed_until + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert services.survey_mail_pending() == 1
    invitation.refresh_from_db()
    assert (invitation.mail_pending, invitation.emailed_at) == (False, later)
    assert invitation.sent_at == later  # the link's lifetime runs from the email
    assert len(mail.outbox) == 1


def test_two_senders_at_once_send_one_email(resolved_ticket, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    invitation = SurveyInvitation.objects.create(
        invitation_id="INV-1",
        kind="csat",
        client=resolved_ticket.client,
        contact_email="sam@acme.example",
        sent_at=NOW,
        ticket=resolved_ticket,
        mail_pending=True,
    )
    claimed = SurveyInvitation.objects.filter(pk=invitation.pk)
    claimed.update(mail_claimed_until=NOW + dt.timedelta(minutes=10))  # the first sender
    assert services.survey_invitations_mail(invitation_pks=[invitation.pk], now=NOW) == 0
    assert mail.outbox == []


def test_imported_invitations_are_never_emailed(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client = ClientFactory()
    SurveyInvitation.objects.create(
        invitation_id="INV-OLD", kind="nps", client=client, contact_email="a@b.example", sent_at=NOW
    )
    assert services.survey_mail_pending() == 0
    assert mail.outbox == []


def test_pending_emails_are_swept_every_five_minutes_by_beat():
    from synapse.celery import app

    entry = settings_schedule()["survey-mail-pending"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    assert entry["schedule"].minute == set(range(0, 60, 5))


def settings_schedule():
    from django.conf import settings

    return settings.CELERY_BEAT_SCHEDULE
