"""Writes of support data: evaluating and storing each ticket's SLA outcome."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from support.models import SlaPolicy, Ticket, TicketPause
from support.sla import Interval, SlaCalendar, add_working_minutes, close_pauses, to_utc
from synapse.kpis.periods import firm_tz
from timesheets.models import Holiday

SLA_FIELDS = (
    "response_due_at",
    "resolution_due_at",
    "response_met",
    "resolution_met",
    "sla_decided_at",
    "sla_met",
)
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
