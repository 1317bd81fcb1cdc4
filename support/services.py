"""Writes of support data: evaluating and storing each ticket's SLA outcome."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Prefetch, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from projects.models import Client, Contract, Project
from support import policies
from support.models import SlaPolicy, Ticket, TicketComment, TicketEvent, TicketPause
from support.sla import (
    Interval,
    SlaCalendar,
    add_working_minutes,
    add_working_time,
    close_pauses,
    to_utc,
)
from synapse.accounts.roles import MANAGER, STAFF, has_role, user_role
from synapse.kpis.periods import firm_tz
from synapse.links import absolute_url
from timesheets.models import Employee, Holiday

SLA_FIELDS = policies.SLA_FIELDS
BATCH_SIZE = 1000


@dataclass(frozen=True)
class SlaOutcome:
    """What the SLA clock says about one ticket (the ``Ticket.sla_*``/``*_due_at`` fields)."""

    response_due_at: dt.datetime | None = None
    resolution_due_at: dt.datetime | None = None
    response_met: bool | None = None
    resolution_met: bool | None = None
    sla_decided_at: dt.datetime | None = None
    sla_met: bool | None = None


def ticket_sla_evaluate(
    *,
    opened_at: dt.datetime,
    first_response_at: dt.datetime | None,
    resolved_at: dt.datetime | None,
    pauses: Sequence[Interval],
    respond_minutes: int,
    resolve_minutes: int,
    calendar: SlaCalendar,
    now: dt.datetime,
) -> SlaOutcome:
    """Return a ticket's SLA outcome from plain values (kpis.md "Support").

    - Response clock: ``opened_at`` → first response, on ``calendar``; pauses do not
      stop it. A ticket resolved with no response counts its resolution as its
      response (the earlier of the two when both exist). Met when the response comes
      on or before ``response_due_at``.
    - Resolution clock: ``opened_at`` → ``resolved_at``, stopped while paused; an open
      pause runs until the resolution (or, for an open ticket, indefinitely).
      ``resolution_due_at`` is the moment the clock reaches the target given the
      pauses; met when resolved on or before it.
    - Decided at the first of the resolution and ``resolution_due_at`` (a breach while
      open). For an open, running ticket the breach moment is known in advance, so
      ``sla_decided_at`` is stored even while it is still in the future: the stored
      row then needs no re-evaluation as time passes, and KPIs count a ticket only
      once ``sla_decided_at`` is before both the period end and the report time. Until
      then it is *pending*: ``resolution_met``/``sla_met`` stay ``None`` (they become
      ``False`` once ``now`` passes the breach moment).
    - An open ticket that is paused now (an open pause started before its clock
      reached the target) cannot breach while paused: ``resolution_due_at`` and
      ``sla_decided_at`` are ``None`` (the due time depends on when it resumes; it is
      not guessed from "now"), and it is pending.
    """
    response_due = add_working_minutes(calendar, opened_at, respond_minutes)
    if resolved_at is not None:
        pauses = close_pauses(pauses, resolved_at)
    resolution_due = add_working_minutes(calendar, opened_at, resolve_minutes, pauses)

    responses = [m for m in (first_response_at, resolved_at) if m is not None]
    responded = min(responses, key=to_utc) if responses else None
    if responded is not None:
        response_met: bool | None = to_utc(responded) <= response_due
    else:
        response_met = False if to_utc(now) >= response_due else None

    if resolved_at is not None:
        resolved = to_utc(resolved_at)
        # Closed pauses always let the clock reach its target eventually.
        assert resolution_due is not None
        resolution_met = resolved <= resolution_due
        return SlaOutcome(
            response_due_at=response_due,
            resolution_due_at=resolution_due,
            response_met=response_met,
            resolution_met=resolution_met,
            sla_decided_at=resolved if resolution_met else resolution_due,
            sla_met=bool(resolution_met and response_met),
        )
    if resolution_due is None:
        return SlaOutcome(response_due_at=response_due, response_met=response_met)
    breached = to_utc(now) >= resolution_due
    return SlaOutcome(
        response_due_at=response_due,
        resolution_due_at=resolution_due,
        response_met=response_met,
        resolution_met=False if breached else None,
        sla_decided_at=resolution_due,
        sla_met=False if breached else None,
    )


def sla_calendar_for(policy: SlaPolicy, holidays: frozenset[dt.date]) -> SlaCalendar:
    """Return the calendar ``policy`` runs on, in the firm's time zone."""
    if policy.calendar == SlaPolicy.Calendar.ALWAYS:
        return SlaCalendar.always()
    return SlaCalendar.business(
        tz=firm_tz(),
        day_start=policy.business_day_start,
        day_end=policy.business_day_end,
        holidays=holidays,
    )


@transaction.atomic
def tickets_sla_refresh(tickets: QuerySet[Ticket], *, now: dt.datetime | None = None) -> int:
    """Evaluate and store the SLA outcome of ``tickets``; return how many rows changed.

    Bulk: one query for the policies, one for the holidays, the tickets read in
    chunks with their pauses prefetched, and changed rows written with
    ``bulk_update`` in batches (no signals fire, so this never recurses). A ticket
    whose priority has no policy gets empty SLA fields. Call it after creating or
    changing tickets, pauses, policies or holidays, and periodically for open
    tickets (``support.tasks.tickets_sla_refresh_open``) to flip passed breaches.
    """
    now = now or timezone.now()
    holidays = frozenset(Holiday.objects.values_list("date", flat=True))
    policies = {policy.priority: policy for policy in SlaPolicy.objects.all()}
    calendars = {key: sla_calendar_for(policy, holidays) for key, policy in policies.items()}
    pauses = Prefetch(
        "pauses", queryset=TicketPause.objects.only("ticket_id", "paused_at", "resumed_at")
    )
    rows = (
        tickets.order_by()
        .only("pk", "priority", "opened_at", "first_response_at", "resolved_at", *SLA_FIELDS)
        .prefetch_related(pauses)
    )
    changed: list[Ticket] = []
    count = 0
    for ticket in rows.iterator(chunk_size=BATCH_SIZE):
        policy = policies.get(ticket.priority)
        if policy is None:
            outcome = SlaOutcome()
        else:
            outcome = ticket_sla_evaluate(
                opened_at=ticket.opened_at,
                first_response_at=ticket.first_response_at,
                resolved_at=ticket.resolved_at,
                pauses=[(p.paused_at, p.resumed_at) for p in ticket.pauses.all()],
                respond_minutes=policy.respond_minutes,
                resolve_minutes=policy.resolve_minutes,
                calendar=calendars[ticket.priority],
                now=now,
            )
        values = asdict(outcome)
        if any(getattr(ticket, name) != values[name] for name in SLA_FIELDS):
            for name in SLA_FIELDS:
                setattr(ticket, name, values[name])
            changed.append(ticket)
        if len(changed) >= BATCH_SIZE:
            Ticket.objects.bulk_update(changed, SLA_FIELDS)
            count += len(changed)
            changed = []
    if changed:
        Ticket.objects.bulk_update(changed, SLA_FIELDS)
        count += len(changed)
    return count


def open_tickets_sla_refresh(*, now: dt.datetime | None = None) -> int:
    """Re-evaluate open tickets still pending on a flag, so passed breaches read ``False``.

    The stored breach moment of an open ticket is known in advance, so KPIs do not
    need this; it keeps ``response_met``/``resolution_met``/``sla_met`` current for
    pages and alerts. Return the number of tickets changed.
    """
    from support.selectors import tickets_open_pending

    return tickets_sla_refresh(tickets_open_pending(), now=now)


def policy_tickets_sla_refresh(*, priority: str, now: dt.datetime | None = None) -> int:
    """Re-evaluate every ticket of ``priority`` (after its SLA policy changed)."""
    return tickets_sla_refresh(Ticket.objects.filter(priority=priority), now=now)


def holiday_tickets_sla_refresh(*, day: dt.date, now: dt.datetime | None = None) -> int:
    """Re-evaluate the tickets whose business-hours clocks a holiday on ``day`` can move."""
    from support.selectors import tickets_clock_running_on

    return tickets_sla_refresh(tickets_clock_running_on(day), now=now)


# --- The ticket desk: every change to a ticket goes through these services -------------


class TicketError(Exception):
    """A ticket rule refused a change; the message is for the person who asked."""


class TicketConflict(TicketError):
    """Someone saved the ticket after the version the change was based on."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__(
            f"{ticket.ref} was changed by someone else while you were looking at it, "
            "so your change was not saved. The ticket now shows the latest version: "
            "check it and try again."
        )
        self.ticket = ticket


Status = Ticket.Status

#: Allowed status changes. Back from resolved or closed to in progress is a reopen.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED),
    Status.IN_PROGRESS: (Status.WAITING, Status.RESOLVED),
    Status.WAITING: (Status.IN_PROGRESS, Status.RESOLVED),
    Status.RESOLVED: (Status.CLOSED, Status.IN_PROGRESS),
    Status.CLOSED: (Status.IN_PROGRESS,),
}
DONE = (Status.RESOLVED, Status.CLOSED)


def ticket_is_reopen(*, from_status: str, to_status: str) -> bool:
    """Return whether going from ``from_status`` to ``to_status`` reopens a ticket."""
    return from_status in DONE and to_status not in DONE


def _require_worker(by: Any, ticket: Ticket) -> None:
    if not policies.may_work_ticket(by, ticket):
        raise PermissionDenied("You cannot change this ticket.")


def _claim(ticket: Ticket, version: int) -> Ticket:
    """Compare-and-set the ticket's version; return the row as it is now, or refuse.

    The conditional ``UPDATE`` is the lock: of two saves based on the same version
    only one matches ``version``; the other updates nothing and is refused with
    ``TicketConflict`` before it changes anything. The claimed row is then read back
    and saved with ``save()`` so signals (SLA refresh, survey invitations) fire.
    """
    claimed = Ticket.objects.filter(pk=ticket.pk, version=version).update(version=F("version") + 1)
    current = Ticket.objects.select_related("assignee__user").get(pk=ticket.pk)
    if not claimed:
        raise TicketConflict(current)
    return current


def ticket_sla_refresh(ticket: Ticket, *, now: dt.datetime | None = None) -> Ticket:
    """Store the ticket's SLA outcome now (pages show it at once) and return it fresh.

    The one refresh after a change to one ticket or its pauses: the desk's services,
    the API's and the admin's saves call it (no signal repeats it).
    """
    tickets_sla_refresh(Ticket.objects.filter(pk=ticket.pk), now=now)
    ticket.refresh_from_db()
    return ticket


def _event(ticket: Ticket, *, by: Any, at: dt.datetime, to: str, note: str = "") -> None:
    TicketEvent.objects.create(
        ticket=ticket, at=at, from_status=ticket.status, to_status=to, by=by, note=note[:500]
    )


def ticket_links_check(
    *, client: Client, contract: Contract | None, project: Project | None
) -> None:
    """Refuse a contract or project that belongs to another client than ``client``."""
    if contract is not None and contract.client_id != client.pk:
        raise TicketError(f"Contract {contract.code} belongs to another client than {client.code}.")
    if project is not None and project.client_id != client.pk:
        raise TicketError(f"Project {project.code} belongs to another client than {client.code}.")


@transaction.atomic
def ticket_create(
    *,
    by: Any,
    client: Client,
    priority: str,
    subject: str,
    description: str = "",
    contract: Contract | None = None,
    project: Project | None = None,
    assignee: Employee | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Open a new ticket for ``client`` and write its first event (→ new).

    The contract and project, when given, must be the client's. The ref is
    ``TCK-<id>`` (six digits), unique however the other refs were imported.
    """
    if not policies.may_open_ticket(by):
        raise PermissionDenied("You cannot open tickets.")
    ticket_links_check(client=client, contract=contract, project=project)
    now = now or timezone.now()
    ticket = Ticket.objects.create(
        ref=f"new-{uuid.uuid4().hex[:24]}",  # ref holds 32 characters
        client=client,
        contract=contract,
        project=project,
        priority=priority,
        subject=subject,
        description=description,
        opened_at=now,
        assignee=assignee,
    )
    ref = f"TCK-{ticket.pk:06d}"
    if Ticket.objects.filter(ref=ref).exists():
        ref = f"{ref}-{uuid.uuid4().hex[:4]}"
    Ticket.objects.filter(pk=ticket.pk).update(ref=ref)
    TicketEvent.objects.create(ticket=ticket, at=now, to_status=Status.NEW, by=by)
    if assignee is not None:
        TicketEvent.objects.create(
            ticket=ticket,
            at=now,
            from_status=Status.NEW,
            to_status=Status.NEW,
            by=by,
            note=f"Assigned to {assignee.full_name}",
        )
    return ticket_sla_refresh(ticket, now=now)


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    by: Any,
    version: int,
    client: Client,
    priority: str,
    subject: str,
    description: str = "",
    contract: Contract | None = None,
    project: Project | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Change what a ticket is about: client, contract or project, priority, subject, text.

    Based on ``version``: refused with ``TicketConflict`` if someone saved the ticket
    since. A closed ticket is not edited (reopen it first). A new priority moves the
    SLA due times (the clock re-runs from ``opened_at`` on the new policy).
    """
    _require_worker(by, ticket)
    ticket_links_check(client=client, contract=contract, project=project)
    now = now or timezone.now()
    ticket = _claim(ticket, version)
    if ticket.status == Status.CLOSED:
        raise TicketError(f"{ticket.ref} is closed: reopen it before editing it.")
    ticket.client = client
    ticket.contract = contract
    ticket.project = project
    ticket.priority = priority
    ticket.subject = subject
    ticket.description = description
    ticket.save()
    return ticket_sla_refresh(ticket, now=now)


@transaction.atomic
def ticket_transition(
    *,
    ticket: Ticket,
    by: Any,
    version: int,
    to_status: str,
    note: str = "",
    first_contact_resolved: bool = False,
    now: dt.datetime | None = None,
) -> Ticket:
    """Move a ticket to ``to_status`` along ``TRANSITIONS`` and write a ``TicketEvent``.

    - Into "waiting on customer": a ``TicketPause`` opens (the resolution clock stops);
      out of it (resumed or resolved): the open pause closes at ``now``.
    - Resolved: ``resolved_at`` = ``now``; ``first_contact_resolved`` as given, which
      a ticket that was ever reopened cannot claim (refused).
    - Reopen (resolved or closed → in progress): ``resolved_at`` cleared,
      ``reopened_count`` + 1, ``first_contact_resolved`` cleared. Its resolution
      time is then that of its next (last) resolution.
    - Closed: only from resolved; ``resolved_at`` stays.

    Based on ``version``: refused with ``TicketConflict`` if someone saved the ticket
    since; a refused change changes nothing.
    """
    _require_worker(by, ticket)
    now = now or timezone.now()
    ticket = _claim(ticket, version)
    from_status = ticket.status
    if to_status not in TRANSITIONS.get(from_status, ()):
        raise TicketError(
            f"{ticket.ref} cannot go from “{Status(from_status).label}” "
            f"to “{Status(to_status).label if to_status in Status.values else to_status}”."
        )
    reopen = ticket_is_reopen(from_status=from_status, to_status=to_status)
    if to_status == Status.RESOLVED and first_contact_resolved and ticket.reopened_count:
        raise TicketError(f"{ticket.ref} was reopened, so it cannot be resolved on first contact.")
    if from_status == Status.WAITING:
        TicketPause.objects.filter(ticket=ticket, resumed_at__isnull=True).update(resumed_at=now)
    if to_status == Status.WAITING:
        TicketPause.objects.create(ticket=ticket, paused_at=now)
    if to_status == Status.RESOLVED:
        ticket.resolved_at = now
        ticket.first_contact_resolved = first_contact_resolved
    if reopen:
        ticket.resolved_at = None
        ticket.reopened_count += 1
        ticket.first_contact_resolved = False
    default_note = "Reopened" if reopen else ""
    _event(ticket, by=by, at=now, to=to_status, note=note or default_note)
    ticket.status = to_status
    ticket.save()
    return ticket_sla_refresh(ticket, now=now)


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    by: Any,
    version: int,
    assignee: Employee | None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Give the ticket to ``assignee`` (or nobody) and note it on the timeline.

    Managers reassign to themselves or their team, or unassign; staff can only take
    an unassigned ticket themselves; admins assign anyone. A ticket that is closed is
    not reassigned. Based on ``version`` (``TicketConflict`` otherwise).
    """
    _require_worker(by, ticket)
    refused, forbidden = policies.ticket_assign_refusal(by, ticket=ticket, assignee=assignee)
    if forbidden:
        raise PermissionDenied(refused)
    if refused:
        raise TicketError(refused)
    now = now or timezone.now()
    ticket = _claim(ticket, version)
    if ticket.status == Status.CLOSED:
        raise TicketError(f"{ticket.ref} is closed: reopen it before reassigning it.")
    if ticket.assignee_id == (assignee.pk if assignee else None):
        raise TicketError(f"{ticket.ref} is already assigned that way.")
    note = f"Assigned to {assignee.full_name}" if assignee else "Unassigned"
    _event(ticket, by=by, at=now, to=ticket.status, note=note)
    ticket.assignee = assignee
    ticket.save()
    return ticket_sla_refresh(ticket, now=now)


@transaction.atomic
def ticket_escalate(
    *,
    ticket: Ticket,
    by: Any,
    version: int,
    reason: str,
    now: dt.datetime | None = None,
) -> Ticket:
    """Mark an open ticket escalated (it stays so: the escalation rate counts it).

    ``reason`` is required and goes on the timeline. Based on ``version``.
    """
    _require_worker(by, ticket)
    if not reason.strip():
        raise TicketError("Say why the ticket is escalated.")
    now = now or timezone.now()
    ticket = _claim(ticket, version)
    if ticket.escalated:
        raise TicketError(f"{ticket.ref} is already escalated.")
    if ticket.status in DONE:
        raise TicketError(
            f"{ticket.ref} is {Status(ticket.status).label.lower()}: reopen it first."
        )
    _event(ticket, by=by, at=now, to=ticket.status, note=f"Escalated: {reason.strip()}")
    ticket.escalated = True
    ticket.save()
    return ticket_sla_refresh(ticket, now=now)


def comment_is_agent(*, user: Any) -> bool:
    """Return whether a comment by ``user`` is an agent's (staff, manager or admin)."""
    return has_role(user, STAFF, MANAGER)


@transaction.atomic
def ticket_comment_add(
    *,
    ticket: Ticket,
    by: Any,
    body: str,
    now: dt.datetime | None = None,
) -> TicketComment:
    """Add a comment; the first agent comment is the ticket's first response.

    Agent: a staff member, manager or admin (not an executive reading along, not a
    client). On the first agent comment ``first_response_at`` is set to ``now`` (once:
    a conditional update, so two first comments at once record the earlier) and a
    new ticket moves to in progress. Comments are additions, so they need no version;
    the status change they cause bumps it. A closed ticket takes no comments.
    """
    _require_worker(by, ticket)
    if not body.strip():
        raise TicketError("Write something before adding a comment.")
    now = now or timezone.now()
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == Status.CLOSED:
        raise TicketError(f"{ticket.ref} is closed: reopen it before commenting.")
    comment = TicketComment.objects.create(ticket=ticket, author=by, at=now, body=body.strip())
    if comment_is_agent(user=by) and ticket.first_response_at is None:
        first = Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(
            first_response_at=now, version=F("version") + 1
        )
        if first:
            ticket.refresh_from_db()
            if ticket.status == Status.NEW:
                _event(ticket, by=by, at=now, to=Status.IN_PROGRESS, note="First response")
                ticket.status = Status.IN_PROGRESS
            ticket.save()
            ticket_sla_refresh(ticket, now=now)
    return comment


# --- The 80 % warning ------------------------------------------------------------------

#: The share of the resolution clock after which the assignee is warned.
SLA_WARNING_SHARE = (4, 5)


def tickets_sla_warning_due(*, now: dt.datetime) -> list[tuple[Ticket, dt.datetime]]:
    """Return the open tickets whose resolution clock has run 80 %, not yet warned.

    With the moment the clock reached 80 %. Candidates: open, running (a ticket
    waiting on the customer has no ``resolution_due_at``), assigned, not warned, and
    opened at least 80 % of the target ago in wall-clock time (a clock never runs
    faster than the wall clock) — one query with their pauses prefetched; then the
    80 % moment of each candidate on its policy's calendar.
    """
    holidays = frozenset(Holiday.objects.values_list("date", flat=True))
    policies = {policy.priority: policy for policy in SlaPolicy.objects.all()}
    if not policies:
        return []
    num, den = SLA_WARNING_SHARE
    old_enough = Q()
    for priority, policy in policies.items():
        share = dt.timedelta(minutes=policy.resolve_minutes) * num / den
        old_enough |= Q(priority=priority, opened_at__lte=now - share)
    candidates = (
        Ticket.objects.filter(
            resolved_at__isnull=True,
            resolution_due_at__isnull=False,
            sla_warning_sent_at__isnull=True,
            assignee__isnull=False,
        )
        .exclude(status=Status.WAITING)
        .filter(old_enough)
        .select_related("assignee__user", "client")
        .prefetch_related(Prefetch("pauses", queryset=TicketPause.objects.all()))
        .order_by("pk")
    )
    due: list[tuple[Ticket, dt.datetime]] = []
    for ticket in candidates:
        policy = policies[ticket.priority]
        share = dt.timedelta(minutes=policy.resolve_minutes) * num / den
        pauses = [(p.paused_at, p.resumed_at) for p in ticket.pauses.all()]
        at = add_working_time(sla_calendar_for(policy, holidays), ticket.opened_at, share, pauses)
        if at is not None and at <= to_utc(now):
            due.append((ticket, at))
    return due


def ticket_url(ticket: Ticket) -> str:
    """Return the absolute link to the ticket's page (``SYNAPSE_BASE_URL``)."""
    return absolute_url(reverse("support:ticket_detail", args=[ticket.pk]))


def tickets_sla_warn(*, now: dt.datetime | None = None) -> int:
    """Email each assignee whose ticket reached 80 % of its resolution clock; once per ticket.

    Each ticket is claimed with a conditional update of ``sla_warning_sent_at`` (so
    two runs at once warn once) and mailed in the same transaction: a failed send
    rolls the claim back and the next run tries again. An assignee with no email
    address is skipped (and tried again later), and so is one who has left or whose
    account is off: the ticket's details are not theirs to receive any more. Return
    the number of emails sent.
    """
    now = now or timezone.now()
    sent = 0
    for ticket, reached_at in tickets_sla_warning_due(now=now):
        recipient = ticket.assignee.email or ticket.assignee.user.email
        if not recipient or user_role(ticket.assignee.user) is None:
            continue
        with transaction.atomic():
            claimed = Ticket.objects.filter(pk=ticket.pk, sla_warning_sent_at__isnull=True).update(
                sla_warning_sent_at=now
            )
            if not claimed:
                continue
            context = {
                "ticket": ticket,
                "assignee": ticket.assignee,
                "reached_at": reached_at,
                "due_at": ticket.resolution_due_at,
                "left": ticket.resolution_due_at - now,
                "url": ticket_url(ticket),
            }
            subject = render_to_string("support/email_sla_warning_subject.txt", context)
            body = render_to_string("support/email_sla_warning.txt", context)
            send_mail(" ".join(subject.split()), body, None, [recipient])
            sent += 1
    return sent
