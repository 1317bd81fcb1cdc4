"""Reads of support data for the SLA clock, KPIs and pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.db.models.lookups import GreaterThan, LessThanOrEqual

from projects.models import Client, Project
from support import policies
from support.models import Priority, SlaPolicy, Ticket, TicketComment, TicketEvent
from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import firm_tz, local_midnight
from timesheets.models import Employee

#: Days after a project's ``actual_end`` in which its tickets count as post-integration.
POST_INTEGRATION_DAYS = 30

TICKET_SCOPE_FIELDS = {
    "client": "client__code",
    "employee": "assignee__user__username",
}


def tickets_open_pending() -> QuerySet[Ticket]:
    """Return open tickets with an SLA flag still undecided (``None``)."""
    return Ticket.objects.filter(resolved_at__isnull=True).filter(
        Q(sla_met__isnull=True) | Q(response_met__isnull=True)
    )


def tickets_clock_running_on(day: dt.date) -> QuerySet[Ticket]:
    """Return business-hours tickets whose clocks may run across local ``day``.

    Those opened before the day ends and not settled before it starts: still open,
    resolved on or after it, or with a due moment on or after it (or none yet).
    """
    business = SlaPolicy.objects.filter(calendar=SlaPolicy.Calendar.BUSINESS).values("priority")
    day_start = local_midnight(day)
    return Ticket.objects.filter(
        priority__in=business, opened_at__lt=local_midnight(day + dt.timedelta(days=1))
    ).filter(
        Q(resolved_at__isnull=True)
        | Q(resolved_at__gte=day_start)
        | Q(resolution_due_at__isnull=True)
        | Q(resolution_due_at__gte=day_start)
        | Q(response_due_at__gte=day_start)
    )


def tickets_resolved_in_period(ctx: KpiContext) -> QuerySet[Ticket]:
    """Return tickets whose (last) ``resolved_at`` falls in the period, up to the report time."""
    return Ticket.objects.filter(resolved_at__gte=ctx.start_dt, resolved_at__lt=ctx.end_dt)


def tickets_decided_in_period(ctx: KpiContext) -> QuerySet[Ticket]:
    """Return tickets whose SLA outcome was decided in the period, up to the report time.

    ``sla_decided_at`` of an open ticket is its breach moment, stored in advance; the
    upper bound ``ctx.end_dt`` (never after the report time) leaves out the tickets
    whose breach moment has not come yet (pending).
    """
    return Ticket.objects.filter(sla_decided_at__gte=ctx.start_dt, sla_decided_at__lt=ctx.end_dt)


def _scope_keys(ctx: KpiContext, kind: str) -> dict[int, str]:
    """Return the scope key of every client (its code) or employee (their username) by
    id: one query per kind, once per context."""

    def fetch() -> dict[int, str]:
        if kind == "client":
            return dict(Client.objects.order_by().values_list("pk", "code"))
        return dict(Employee.objects.order_by().values_list("pk", "user__username"))

    return ctx.memo(f"support:{kind}_keys", fetch)


#: One grouped row to sum: the scope id (``None``: no scope, e.g. unassigned), the
#: names of the totals it adds to, and the amounts, in the same order.
Grouped = tuple[int | None, tuple[str, ...], tuple]


def _summed(
    ctx: KpiContext, rows: Iterable[Grouped], *, kind: str, zero: dict, company: bool
) -> dict[tuple[str, str], dict]:
    """Return the totals per scope of grouped ``rows``: each row's amounts added into
    its scope ``(kind, key)`` when ``ctx`` wants that kind, and into the company's
    (key ``""``) when ``company``.

    ``zero`` is the totals of a scope with no row; the company row is there whenever
    ``company``. A row without a scope id counts only for the company.
    """
    out: dict[tuple[str, str], dict] = {}
    company_totals = out.setdefault(("company", ""), dict(zero)) if company else None
    keys = _scope_keys(ctx, kind) if ctx.wants(kind) else {}
    for scope_id, names, amounts in rows:
        key = keys.get(scope_id)
        scope_totals = None if key is None else out.setdefault((kind, key), dict(zero))
        for totals in (scope_totals, company_totals):
            if totals is not None:
                for name, amount in zip(names, amounts, strict=True):
                    totals[name] += amount
    return out


def _duration() -> ExpressionWrapper:
    """Return resolved_at − opened_at as a duration (exact on SQLite and PostgreSQL)."""
    return ExpressionWrapper(F("resolved_at") - F("opened_at"), output_field=DurationField())


#: The totals of the tickets resolved in a period, for a scope with none.
_NO_RESOLVED = {
    "resolved": 0,
    "fcr": 0,
    "escalated": 0,
    "duration": dt.timedelta(0),
    **{f"resolved_{p}": 0 for p in Priority.values},
    **{f"duration_{p}": dt.timedelta(0) for p in Priority.values},
}
#: What a (scope, priority) row of resolved tickets adds to: the totals, then its priority's.
_RESOLVED_NAMES = {
    p: ("resolved", "fcr", "escalated", "duration", f"resolved_{p}", f"duration_{p}")
    for p in Priority.values
}


def resolved_ticket_totals(ctx: KpiContext) -> dict[tuple[str, str], dict]:
    """Return, per scope, totals of the tickets resolved in the period.

    ``resolved``, ``fcr`` (first-contact resolved), ``escalated``, ``duration`` (Σ
    wall-clock opened→resolved, a ``timedelta``), and per priority ``resolved_P1`` and
    ``duration_P1`` … The company row (key ``""``) is always there when wanted.

    One grouped query per scope kind: the tickets per (client id, priority) and per
    (assignee id, priority), summed here per scope; the company totals are the sum of
    the client rows (every ticket has a client). A plain count and sum per group rather
    than a filtered one per priority, and no join to the clients or users (their keys
    come from one small query per kind), let PostgreSQL answer from
    ``ticket_resolved_cover_idx`` alone (an index-only scan; migration 0006).
    """
    tickets = ctx.narrow(tickets_resolved_in_period(ctx), **TICKET_SCOPE_FIELDS)
    # Counts of ``resolved_at`` (never null here), not of the primary key: a column of
    # the index, so the rows need not be read from the table.
    totals = {
        "resolved": Count("resolved_at"),
        "fcr": Count("resolved_at", filter=Q(first_contact_resolved=True)),
        "escalated": Count("resolved_at", filter=Q(escalated=True)),
        "duration": Sum(_duration()),
    }
    out: dict[tuple[str, str], dict] = {}
    for kind, field, company in (
        ("client", "client_id", ctx.wants("company")),
        ("employee", "assignee_id", False),
    ):
        if not (ctx.wants(kind) or company):
            continue
        rows = tickets.values_list(field, "priority").annotate(**totals).order_by()
        grouped = (
            (
                scope_id,
                _RESOLVED_NAMES[priority],
                (resolved, fcr, escalated, hours, resolved, hours),
            )
            for scope_id, priority, resolved, fcr, escalated, hours in rows
        )
        out |= _summed(ctx, grouped, kind=kind, zero=_NO_RESOLVED, company=company)
    return out


def sla_decided_totals(ctx: KpiContext) -> dict[tuple[str, str], dict]:
    """Return, per scope (company, client), tickets decided in the period and those met.

    ``met`` counts ``sla_met`` true; a decided ticket with ``sla_met`` not (yet) set is
    an open ticket past its breach moment, so it counts as breached. One query grouped
    on the client id (an index-only scan of ``ticket_decided_cover_idx``), the company
    totals their sum, the client codes from one small query (shared with
    ``resolved_ticket_totals`` when both run in one context).
    """
    if not (ctx.wants("company") or ctx.wants("client")):
        return {}
    tickets = ctx.narrow(tickets_decided_in_period(ctx), client="client__code")
    rows = (
        tickets.values_list("client_id")
        .annotate(
            decided=Count("sla_decided_at"), met=Count("sla_decided_at", filter=Q(sla_met=True))
        )
        .order_by()
    )
    names = ("decided", "met")
    grouped = ((client_id, names, (decided, met)) for client_id, decided, met in rows)
    zero = dict.fromkeys(names, 0)
    return _summed(ctx, grouped, kind="client", zero=zero, company=ctx.wants("company"))


def post_integration_totals(ctx: KpiContext) -> dict[tuple[str, str], dict]:
    """Return, per scope (company, client, project), post-integration tickets and users.

    Projects: completed, whose window (``actual_end`` + 30 days) ends in
    ``[ctx.start, ctx.end]``. Tickets: linked to such a project, opened on a firm-local
    date in ``(actual_end, actual_end + 30 days]``. One query: the projects, each with
    its count of such tickets as a correlated subquery (a lookup of the ticket's project
    index per project: a few projects a period, a few tickets each), summed here per
    scope. Rows: ``tickets``, ``users``, ``projects``.
    """
    window = dt.timedelta(days=POST_INTEGRATION_DAYS)
    opened_on = TruncDate("opened_at", tzinfo=firm_tz())
    window_end = Cast(OuterRef("actual_end") + window, output_field=DateField())
    in_window = (
        Ticket.objects.filter(project=OuterRef("pk"))
        .filter(GreaterThan(opened_on, OuterRef("actual_end")))
        .filter(LessThanOrEqual(opened_on, window_end))
    )
    tickets = in_window.order_by().values("project").annotate(n=Count("pk")).values("n")
    projects = ctx.narrow(
        Project.objects.filter(
            status=Project.Status.COMPLETED,
            actual_end__gte=ctx.start - window,
            actual_end__lte=ctx.end - window,
        ),
        client="client__code",
        project="code",
    )
    rows = (
        projects.values("code", "client__code", "user_count")
        .annotate(tickets=Coalesce(Subquery(tickets), 0))
        .order_by()
    )
    out: dict[tuple[str, str], dict] = {}
    for row in rows:
        keys = [("company", ""), ("client", row["client__code"]), ("project", row["code"])]
        for kind, key in keys:
            if not ctx.wants(kind):
                continue
            totals = out.setdefault((kind, key), {"tickets": 0, "users": 0, "projects": 0})
            totals["tickets"] += row["tickets"]
            totals["users"] += row["user_count"]
            totals["projects"] += 1
    return out


def duration_hours(value: dt.timedelta | None) -> Decimal:
    """Return a duration as exact Decimal hours (``None`` is 0)."""
    if value is None:
        return Decimal(0)
    micro = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    return Decimal(micro) / Decimal(3_600_000_000)


# --- The ticket desk ------------------------------------------------------------------

#: Statuses in which a ticket is still being worked (its clocks may run).
OPEN_STATUSES = (Ticket.Status.NEW, Ticket.Status.IN_PROGRESS, Ticket.Status.WAITING)
#: "Breaching soon": an SLA moment due within this many hours (or already passed).
BREACHING_SOON_HOURS = 4

LIST_VIEWS = {
    "open": "Open",
    "mine": "Mine",
    "unassigned": "Unassigned",
    "waiting": "Waiting on customer",
    "breaching": "Breaching soon",
    "done": "Resolved and closed",
    "all": "All",
}


def _employee(user: Any) -> Employee | None:
    return getattr(user, "employee", None) if getattr(user, "is_authenticated", False) else None


def tickets_breaching_soon(
    tickets: QuerySet[Ticket], *, now: dt.datetime, hours: int = BREACHING_SOON_HOURS
) -> QuerySet[Ticket]:
    """Return the running tickets of ``tickets`` due within ``hours`` or already overdue.

    Running: new or in progress (a ticket waiting on the customer has its resolution
    clock stopped). Due: the resolution, or the first response while none was made.
    """
    horizon = now + dt.timedelta(hours=hours)
    return tickets.filter(
        status__in=(Ticket.Status.NEW, Ticket.Status.IN_PROGRESS),
        resolved_at__isnull=True,
    ).filter(
        Q(resolution_due_at__lte=horizon)
        | Q(first_response_at__isnull=True, response_due_at__lte=horizon)
    )


def tickets_for_list(
    *,
    user: Any,
    view: str = "open",
    client_code: str = "",
    priority: str = "",
    now: dt.datetime,
) -> QuerySet[Ticket]:
    """Return the tickets of one list view for ``user``, with what a list row shows.

    ``view`` is a key of ``LIST_VIEWS``: open (not resolved or closed), mine (open and
    assigned to the user), unassigned (open), waiting (on the customer), breaching
    (``tickets_breaching_soon``), done (resolved or closed) or all. Open views list the
    most urgent first (priority, then the earliest due); the others the newest first.
    """
    tickets = policies.tickets_for(user, policies.VIEW)
    if client_code:
        tickets = tickets.filter(client__code=client_code)
    if priority:
        tickets = tickets.filter(priority=priority)
    if view == "mine":
        employee = _employee(user)
        tickets = (
            tickets.filter(assignee=employee, status__in=OPEN_STATUSES)
            if employee is not None
            else tickets.none()
        )
    elif view == "unassigned":
        tickets = tickets.filter(assignee__isnull=True, status__in=OPEN_STATUSES)
    elif view == "waiting":
        tickets = tickets.filter(status=Ticket.Status.WAITING)
    elif view == "breaching":
        tickets = tickets_breaching_soon(tickets, now=now)
    elif view == "done":
        tickets = tickets.filter(status__in=(Ticket.Status.RESOLVED, Ticket.Status.CLOSED))
    elif view != "all":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    if view in ("all", "done"):
        tickets = tickets.order_by("-opened_at", "-pk")
    else:
        tickets = tickets.order_by(
            "priority", F("resolution_due_at").asc(nulls_last=True), "opened_at", "pk"
        )
    return tickets.select_related("client", "project", "contract", "assignee")


def ticket_for_detail(*, user: Any, pk: int) -> Ticket | None:
    """Return ticket ``pk`` with its links and assignee, if ``user`` may see it."""
    return (
        policies.tickets_for(user, policies.VIEW)
        .select_related("client", "project", "contract", "assignee__user", "assignee__manager")
        .filter(pk=pk)
        .first()
    )


def ticket_timeline(*, ticket: Ticket) -> list[TicketEvent]:
    """Return the ticket's status history (and assignment/escalation notes), oldest first."""
    return list(TicketEvent.objects.filter(ticket=ticket).select_related("by").order_by("at", "pk"))


def ticket_comments(*, ticket: Ticket) -> list[TicketComment]:
    """Return the ticket's comments with their authors, oldest first."""
    return list(
        TicketComment.objects.filter(ticket=ticket).select_related("author").order_by("at", "pk")
    )


@dataclass(frozen=True)
class SlaClock:
    """What one SLA clock of a ticket shows: due time, time left, and state.

    ``state`` is one of ``met``, ``missed``, ``running``, ``overdue``, ``paused`` or
    ``none`` (no policy for the priority).
    """

    due_at: dt.datetime | None
    left: dt.timedelta | None
    state: str


def ticket_sla_clocks(*, ticket: Ticket, now: dt.datetime) -> dict[str, SlaClock]:
    """Return the ticket's ``response`` and ``resolution`` clocks from its stored SLA fields.

    Time left is wall-clock time from ``now`` to the stored due moment (negative when
    overdue); a business-hours clock only runs for part of it. A ticket waiting on the
    customer has no resolution due moment (it depends on when it resumes): ``paused``.
    """
    if ticket.response_due_at is None:
        response = SlaClock(None, None, "none")
    elif ticket.first_response_at is not None or ticket.resolved_at is not None:
        response = SlaClock(
            ticket.response_due_at, None, "met" if ticket.response_met else "missed"
        )
    else:
        left = ticket.response_due_at - now
        response = SlaClock(ticket.response_due_at, left, "running" if left > ZERO else "overdue")

    if ticket.resolved_at is not None:
        resolution = SlaClock(
            ticket.resolution_due_at, None, "met" if ticket.resolution_met else "missed"
        )
    elif ticket.resolution_due_at is None:
        state = "none" if ticket.response_due_at is None else "paused"
        resolution = SlaClock(None, None, state)
    else:
        left = ticket.resolution_due_at - now
        resolution = SlaClock(
            ticket.resolution_due_at, left, "running" if left > ZERO else "overdue"
        )
    return {"response": response, "resolution": resolution}


ZERO = dt.timedelta(0)


def duration_text(value: dt.timedelta) -> str:
    """Return a short reading of a duration's size: ``45 min``, ``3 h 20 min``, ``2 d 4 h``."""
    minutes = int(abs(value).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"
