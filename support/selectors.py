"""Reads of support data for the SLA clock, KPIs and pages."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncDate

from projects.models import Project
from support.models import Priority, SlaPolicy, Ticket
from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import firm_tz, local_midnight

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


def _by_scope(
    ctx: KpiContext, queryset: QuerySet, aggregates: dict, fields: dict[str, str]
) -> dict[tuple[str, str], dict]:
    """Return ``aggregates`` per (scope kind, key): one query per kind ``ctx`` wants.

    The company row has key ``""``.
    """
    out: dict[tuple[str, str], dict] = {}
    if ctx.wants("company"):
        out[("company", "")] = queryset.aggregate(**aggregates)
    for kind, field in fields.items():
        if ctx.wants(kind):
            for row in queryset.values(field).annotate(**aggregates).order_by():
                if row[field] is not None:
                    out[(kind, str(row[field]))] = row
    return out


def _duration() -> ExpressionWrapper:
    """Return resolved_at − opened_at as a duration (exact on SQLite and PostgreSQL)."""
    return ExpressionWrapper(F("resolved_at") - F("opened_at"), output_field=DurationField())


def resolved_ticket_totals(ctx: KpiContext) -> dict[tuple[str, str], dict]:
    """Return, per scope, totals of the tickets resolved in the period.

    ``resolved``, ``fcr`` (first-contact resolved), ``escalated``, ``duration`` (Σ
    wall-clock opened→resolved, a ``timedelta``), and per priority ``resolved_P1`` and
    ``duration_P1`` … — one grouped query per scope kind (company, client, employee).
    """
    aggregates = {
        "resolved": Count("pk"),
        "fcr": Count("pk", filter=Q(first_contact_resolved=True)),
        "escalated": Count("pk", filter=Q(escalated=True)),
        "duration": Sum(_duration()),
    }
    for priority in Priority.values:
        aggregates[f"resolved_{priority}"] = Count("pk", filter=Q(priority=priority))
        aggregates[f"duration_{priority}"] = Sum(_duration(), filter=Q(priority=priority))
    queryset = ctx.narrow(tickets_resolved_in_period(ctx), **TICKET_SCOPE_FIELDS)
    return _by_scope(ctx, queryset, aggregates, TICKET_SCOPE_FIELDS)


def sla_decided_totals(ctx: KpiContext) -> dict[tuple[str, str], dict]:
    """Return, per scope (company, client), tickets decided in the period and those met.

    ``met`` counts ``sla_met`` true; a decided ticket with ``sla_met`` not (yet) set is
    an open ticket past its breach moment, so it counts as breached.
    """
    aggregates = {"decided": Count("pk"), "met": Count("pk", filter=Q(sla_met=True))}
    fields = {"client": "client__code"}
    queryset = ctx.narrow(tickets_decided_in_period(ctx), **fields)
    return _by_scope(ctx, queryset, aggregates, fields)


def post_integration_totals(ctx: KpiContext) -> dict[tuple[str, str], dict]:
    """Return, per scope (company, client, project), post-integration tickets and users.

    Projects: completed, whose window (``actual_end`` + 30 days) ends in
    ``[ctx.start, ctx.end]``. Tickets: linked to such a project, opened on a local
    date in ``(actual_end, actual_end + 30 days]``. Two queries: the projects, and
    their tickets counted per (project, local opened date) — then summed per project
    in Python over those aggregated rows. Rows: ``tickets``, ``users``, ``projects``.
    """
    window = dt.timedelta(days=POST_INTEGRATION_DAYS)
    projects = ctx.narrow(
        Project.objects.filter(
            status=Project.Status.COMPLETED,
            actual_end__gte=ctx.start - window,
            actual_end__lte=ctx.end - window,
        ),
        client="client__code",
        project="code",
    )
    rows = list(projects.values("pk", "code", "client__code", "actual_end", "user_count"))
    if not rows:
        return {}
    first = min(row["actual_end"] for row in rows) + dt.timedelta(days=1)
    last = max(row["actual_end"] for row in rows) + window
    daily = (
        Ticket.objects.filter(
            project__in=projects,
            opened_at__gte=local_midnight(first),
            opened_at__lt=local_midnight(last + dt.timedelta(days=1)),
        )
        .values("project_id", day=TruncDate("opened_at", tzinfo=firm_tz()))
        .annotate(tickets=Count("pk"))
        .order_by()
    )
    per_project: dict[int, int] = defaultdict(int)
    ends = {row["pk"]: row["actual_end"] for row in rows}
    for row in daily:
        end = ends[row["project_id"]]
        if end < row["day"] <= end + window:
            per_project[row["project_id"]] += row["tickets"]

    out: dict[tuple[str, str], dict] = {}
    for row in rows:
        keys = [("company", ""), ("client", row["client__code"]), ("project", row["code"])]
        for kind, key in keys:
            if not ctx.wants(kind):
                continue
            totals = out.setdefault((kind, key), {"tickets": 0, "users": 0, "projects": 0})
            totals["tickets"] += per_project[row["pk"]]
            totals["users"] += row["user_count"]
            totals["projects"] += 1
    return out


def duration_hours(value: dt.timedelta | None) -> Decimal:
    """Return a duration as exact Decimal hours (``None`` is 0)."""
    if value is None:
        return Decimal(0)
    micro = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    return Decimal(micro) / Decimal(3_600_000_000)
