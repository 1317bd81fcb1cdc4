"""Writes of survey data: inviting client contacts, signing their links, recording answers.

The flow: a project is completed or a ticket resolved (``surveys.signals``) → on commit,
a Celery task (``surveys.tasks``) calls ``survey_invite_for_project`` or
``survey_invite_for_ticket`` → invitations are written and, once they are committed,
one email carries their signed links → the client opens a link (a GET, which changes
nothing: mail scanners open every link) and submits an answer → ``survey_answer`` uses
the invitation up, once.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from projects.models import ClientContact, Project
from support.models import Ticket
from surveys import selectors
from surveys.models import SurveyInvitation, SurveyKind, SurveyResponse
from synapse.links import absolute_url
from synapse.security.limits import rate_limit_allowed

logger = logging.getLogger(__name__)

# A token signed for survey links cannot be replayed as any other signed value of the site.
LINK_SALT = "synapse.surveys.invitation-link"

#: How long a sender holds the invitations it is emailing before a sweep may take over.
MAIL_CLAIM_SECONDS = 600

CSAT_SCALE = range(1, 6)
NPS_SCALE = range(0, 11)


def survey_scale(kind: str) -> range:
    """Return the scores a survey of ``kind`` accepts: 1–5 for CSAT, 0–10 for NPS."""
    return NPS_SCALE if kind == SurveyKind.NPS else CSAT_SCALE


class SurveyLinkError(Exception):
    """A survey link that cannot be answered; ``reason`` picks the page, ``status`` its code."""

    TAMPERED = "tampered"
    EXPIRED = "expired"
    USED = "used"
    UNKNOWN = "unknown"
    STATUS = {TAMPERED: 400, EXPIRED: 410, USED: 410, UNKNOWN: 410}

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = self.STATUS[reason]


def _max_age() -> dt.timedelta:
    return dt.timedelta(days=settings.SYNAPSE_SURVEY_LINK_MAX_AGE_DAYS)


def _dedup_window() -> dt.timedelta:
    return dt.timedelta(days=settings.SYNAPSE_SURVEY_DEDUP_DAYS)


def survey_token_for(invitation: SurveyInvitation) -> str:
    """Return the signed, timestamped token that names ``invitation`` in its link."""
    return signing.dumps(invitation.invitation_id, salt=LINK_SALT, compress=False)


def survey_link_for(invitation: SurveyInvitation, *, base_url: str | None = None) -> str:
    """Return the absolute URL of the survey page of ``invitation``.

    The host comes from ``base_url``, else ``settings.SYNAPSE_BASE_URL``.
    """
    path = reverse("surveys:answer", kwargs={"token": survey_token_for(invitation)})
    return absolute_url(path, base_url=base_url)


def survey_invitation_from_token(*, token: str, now: dt.datetime | None = None) -> SurveyInvitation:
    """Return the open invitation a link's ``token`` names, or raise ``SurveyLinkError``.

    Reading changes nothing. Reasons: ``tampered`` (bad signature or salt), ``expired``
    (signed, or sent, longer ago than ``SYNAPSE_SURVEY_LINK_MAX_AGE_DAYS``), ``unknown``
    (a genuine link whose invitation was deleted) and ``used`` (already answered).
    """
    now = now or timezone.now()
    try:
        invitation_id = signing.loads(token, salt=LINK_SALT, max_age=_max_age())
    except signing.SignatureExpired as error:
        raise SurveyLinkError(SurveyLinkError.EXPIRED) from error
    except signing.BadSignature as error:
        raise SurveyLinkError(SurveyLinkError.TAMPERED) from error
    if not isinstance(invitation_id, str):
        raise SurveyLinkError(SurveyLinkError.TAMPERED)
    invitation = (
        SurveyInvitation.objects.select_related("client", "project", "ticket")
        .filter(invitation_id=invitation_id)
        .first()
    )
    if invitation is None:
        raise SurveyLinkError(SurveyLinkError.UNKNOWN)
    if invitation.used_at is not None:
        raise SurveyLinkError(SurveyLinkError.USED)
    if invitation.sent_at + _max_age() <= now:
        raise SurveyLinkError(SurveyLinkError.EXPIRED)
    return invitation


def survey_answer(
    *, invitation: SurveyInvitation, score: int, comment: str = "", now: dt.datetime | None = None
) -> SurveyResponse:
    """Use ``invitation`` up and record the client's answer; raise ``SurveyLinkError`` if used.

    Exactly one of two racing submissions wins: the compare-and-set
    ``UPDATE … SET used_at = now WHERE pk = … AND used_at IS NULL`` lets one transaction
    claim the invitation (the other's UPDATE waits for it on PostgreSQL, then matches no
    row), and the unique one-to-one ``SurveyResponse.invitation`` refuses a second
    response whatever path wrote it. Either failure rolls everything back.
    """
    if score not in survey_scale(invitation.kind):
        raise ValueError(f"score {score} is outside the {invitation.kind} scale")
    now = now or timezone.now()
    try:
        with transaction.atomic():
            claimed = SurveyInvitation.objects.filter(
                pk=invitation.pk, used_at__isnull=True
            ).update(used_at=now)
            if claimed != 1:
                raise SurveyLinkError(SurveyLinkError.USED)
            response = SurveyResponse.objects.create(
                response_id=f"R-{uuid.uuid4().hex}",
                kind=invitation.kind,
                client_id=invitation.client_id,
                score=score,
                responded_at=now,
                invitation=invitation,
                project_id=invitation.project_id,
                ticket_id=invitation.ticket_id,
                comment=comment.strip(),
            )
    except IntegrityError as error:
        raise SurveyLinkError(SurveyLinkError.USED) from error
    invitation.used_at = now
    return response


@dataclass(frozen=True)
class _Subject:
    """What a survey asks about: a completed project or a resolved ticket."""

    client_id: int
    role: str
    kinds: tuple[str, ...]
    project: Project | None = None
    ticket: Ticket | None = None

    @property
    def label(self) -> str:
        if self.project is not None:
            return f"project {self.project.code} {self.project.name}"
        assert self.ticket is not None
        return f"ticket {self.ticket.ref} {self.ticket.subject}"


def survey_invite_for_project(
    *, project_id: int, now: dt.datetime | None = None
) -> list[SurveyInvitation]:
    """Invite the client's project contact to the CSAT and NPS surveys of a completed project.

    Return the invitations written (none when the project is not completed, the client
    has no active contact, or each kind was already sent for this project or to this
    contact in the de-duplication window). Their email leaves after the commit.
    """
    project = Project.objects.filter(pk=project_id).first()
    if project is None or project.status != Project.Status.COMPLETED:
        return []
    subject = _Subject(
        client_id=project.client_id,
        role=ClientContact.Role.PROJECT,
        kinds=(SurveyKind.CSAT, SurveyKind.NPS),
        project=project,
    )
    return _invite(subject=subject, now=now or timezone.now())


def survey_invite_for_ticket(
    *, ticket_id: int, now: dt.datetime | None = None
) -> list[SurveyInvitation]:
    """Invite the client's support contact to the CSAT survey of a resolved (or closed) ticket.

    Return the invitations written: at most one, under the same rules as for projects.
    """
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or ticket.status not in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        return []
    subject = _Subject(
        client_id=ticket.client_id,
        role=ClientContact.Role.SUPPORT,
        kinds=(SurveyKind.CSAT,),
        ticket=ticket,
    )
    return _invite(subject=subject, now=now or timezone.now())


@transaction.atomic
def _invite(*, subject: _Subject, now: dt.datetime) -> list[SurveyInvitation]:
    """Write the subject's invitations for each kind still due, then mail them on commit.

    "Per contact" means per email address (case-insensitive): the same person listed
    as both the project and the support contact is still asked at most once per kind
    in the window. The contact row is locked (``SELECT … FOR UPDATE``) so that two
    invitations racing for one contact cannot both pass the window check.
    """
    contact = selectors.survey_contact_for(client_id=subject.client_id, role=subject.role)
    if contact is None:
        logger.info("No active contact to survey for %s", subject.label)
        return []
    ClientContact.objects.select_for_update().filter(pk=contact.pk).first()
    recent = selectors.survey_kinds_sent_recently(email=contact.email, since=now - _dedup_window())
    invitations: list[SurveyInvitation] = []
    for kind in subject.kinds:
        if kind in recent:
            continue
        invitation = SurveyInvitation(
            invitation_id=uuid.uuid4().hex,
            kind=kind,
            client_id=subject.client_id,
            contact=contact,
            contact_email=contact.email,
            sent_at=now,
            mail_pending=True,
            project=subject.project,
            ticket=subject.ticket,
        )
        try:
            # A savepoint: a second invitation for the same project or ticket and kind
            # hits the unique constraint and is skipped without spoiling the transaction.
            with transaction.atomic():
                invitation.save()
        except IntegrityError:
            continue
        invitations.append(invitation)
    if invitations:
        pks = [invitation.pk for invitation in invitations]
        transaction.on_commit(lambda: _mail_soon(pks), robust=True)
    return invitations


def _mail_soon(invitation_pks: list[int]) -> None:
    """Hand the invitations' email to a worker (kept in the outbox if the broker is down)."""
    from surveys.tasks import survey_mail_invitations
    from synapse.outbox.services import enqueue_or_keep

    enqueue_or_keep(survey_mail_invitations, invitation_pks)


def survey_invitations_mail(*, invitation_pks: list[int], now: dt.datetime | None = None) -> int:
    """Email the contact of these invitations (one subject, one contact) their survey links.

    At least once, never twice at the same time: each pending invitation is claimed with
    a compare-and-set on its lease (``mail_claimed_until``), the email is sent, and only
    then are the invitations marked emailed (``emailed_at``, and ``sent_at`` moved to
    the same moment). A send that fails frees the claim, counts the attempt and raises,
    so the task retries and ``survey_mail_pending`` sweeps up what is left. Return the
    number of messages sent (0 when nothing was pending or another sender holds them).
    """
    now = now or timezone.now()
    lease = now + dt.timedelta(seconds=MAIL_CLAIM_SECONDS)
    free = Q(mail_claimed_until__isnull=True) | Q(mail_claimed_until__lt=now)
    claimed = [
        pk
        for pk in invitation_pks
        if SurveyInvitation.objects.filter(free, pk=pk, mail_pending=True).update(
            mail_claimed_until=lease
        )
    ]
    invitations = list(
        SurveyInvitation.objects.select_related("client", "contact", "project", "ticket")
        .filter(pk__in=claimed)
        .order_by("kind")
    )
    if not invitations:
        return 0
    try:
        sent = _send_invitation_mail(invitations)
    except Exception as error:
        SurveyInvitation.objects.filter(pk__in=claimed).update(
            mail_claimed_until=None,
            mail_attempts=F("mail_attempts") + 1,
            mail_error=f"{type(error).__name__}: {error}"[:500],
        )
        logger.warning("Survey email to %s failed; it stays pending", invitations[0].contact_email)
        raise
    emailed = timezone.now()
    SurveyInvitation.objects.filter(pk__in=claimed).update(
        mail_pending=False,
        emailed_at=emailed,
        sent_at=emailed,
        mail_claimed_until=None,
        mail_attempts=F("mail_attempts") + 1,
        mail_error="",
    )
    return sent


def _send_invitation_mail(invitations: list[SurveyInvitation]) -> int:
    """Send one email with the links of ``invitations`` (one subject, one contact)."""
    first = invitations[0]
    context = {
        "contact_name": first.contact.name if first.contact else "",
        "client": first.client,
        "project": first.project,
        "ticket": first.ticket,
        "links": [(invitation.kind, survey_link_for(invitation)) for invitation in invitations],
        "max_age_days": settings.SYNAPSE_SURVEY_LINK_MAX_AGE_DAYS,
        "firm_name": getattr(settings, "SYNAPSE_FIRM_NAME", "Synapse IT Solutions"),
    }
    subject = render_to_string("surveys/email_invitation_subject.txt", context).strip()
    body = render_to_string("surveys/email_invitation.txt", context)
    return send_mail(subject, body, None, [first.contact_email])


def survey_mail_pending(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Send every invitation email still pending and not held by a sender; return mails sent.

    The sweep behind the at-least-once promise (beat, every five minutes): it picks up
    what a failed send, a dead worker or a lost task left pending. Invitations of one
    subject and contact go in one email, as when they were written. It stops at the
    first failure (the mail server is still down: the next sweep tries again).
    """
    now = now or timezone.now()
    free = Q(mail_claimed_until__isnull=True) | Q(mail_claimed_until__lt=now)
    groups: dict[tuple, list[int]] = {}
    pending = (
        SurveyInvitation.objects.filter(free, mail_pending=True)
        .order_by("pk")
        .values_list("pk", "contact_email", "project_id", "ticket_id")[:limit]
    )
    for pk, email, project_id, ticket_id in pending:
        groups.setdefault((email.lower(), project_id, ticket_id), []).append(pk)
    sent = 0
    for pks in groups.values():
        try:
            sent += survey_invitations_mail(invitation_pks=pks, now=now)
        except Exception:  # logged and kept pending by the send itself
            break
    return sent


def survey_post_allowed(*, ip: str, now: float | None = None) -> bool:
    """Count one survey POST from ``ip``; return whether it is within the rate limit.

    A fixed window in the cache: at most ``SYNAPSE_SURVEY_POSTS_PER_WINDOW`` (default
    20) POSTs per client address every ``SYNAPSE_SURVEY_RATE_WINDOW_SECONDS`` (default
    600). A cache that is down lets the POST through (``rate_limit_allowed``): the rate
    limit guards against abuse, the signed single-use link guards the data.
    """
    return rate_limit_allowed(
        purpose="survey-post",
        ident=ip,
        limit=int(getattr(settings, "SYNAPSE_SURVEY_POSTS_PER_WINDOW", 20)),
        window=int(getattr(settings, "SYNAPSE_SURVEY_RATE_WINDOW_SECONDS", 600)),
        now=now,
    )
