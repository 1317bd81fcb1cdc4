"""The records behind the support KPIs (dashboard drill-down)."""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_

from django.db.models import Q

from projects.models import Project
from support.models import Priority, Ticket
from support.selectors import (
    POST_INTEGRATION_DAYS,
    TICKET_SCOPE_FIELDS,
    tickets_decided_in_period,
    tickets_resolved_in_period,
)
from synapse.kpis.drilldown import Column, Records, drilldown_register
from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import local_midnight

TICKET_COLUMNS = (
    Column("Ticket", "ref"),
    Column("Subject", "subject"),
    Column("Client", "client.name"),
    Column("Priority", "priority"),
    Column("Assignee", "assignee.full_name"),
    Column("Opened", "opened_at", "datetime"),
    Column("Resolved", "resolved_at", "datetime"),
)


def _resolved_records(ctx: KpiContext, priority: str | None = None) -> Records:
    tickets = ctx.narrow(tickets_resolved_in_period(ctx), **TICKET_SCOPE_FIELDS)
    if priority is not None:
        tickets = tickets.filter(priority=priority)
    return Records(
        title=f"{priority + ' t' if priority else 'T'}ickets resolved in the period",
        queryset=tickets.select_related("client", "assignee").order_by("-resolved_at", "ref"),
        columns=(
            *TICKET_COLUMNS,
            Column("First contact", "first_contact_resolved", "bool"),
            Column("Escalated", "escalated", "bool"),
        ),
        admin_view="admin:support_ticket_change",
    )


@drilldown_register("mttr_hours", "first_contact_resolution", "escalation_rate")
def tickets_resolved(ctx: KpiContext) -> Records:
    """Return the tickets resolved (last resolution) in the period."""
    return _resolved_records(ctx)


def _resolved_of(priority: str):
    def records(ctx: KpiContext) -> Records:
        """Return the tickets of one priority resolved in the period."""
        return _resolved_records(ctx, priority)

    return records


for _priority in Priority.values:
    drilldown_register(f"mttr_hours_{_priority.lower()}")(_resolved_of(_priority))


@drilldown_register("sla_compliance")
def tickets_decided(ctx: KpiContext) -> Records:
    """Return the tickets whose SLA outcome was decided in the period (met or breached)."""
    tickets = ctx.narrow(tickets_decided_in_period(ctx), client="client__code")
    return Records(
        title="Tickets whose SLA was decided in the period",
        queryset=tickets.select_related("client", "assignee").order_by("-sla_decided_at", "ref"),
        columns=(
            *TICKET_COLUMNS,
            Column("Decided", "sla_decided_at", "datetime"),
            Column("SLA met", "sla_met", "bool"),
        ),
        admin_view="admin:support_ticket_change",
    )


@drilldown_register("post_integration_ticket_ratio")
def post_integration_tickets(ctx: KpiContext) -> Records:
    """Return the tickets counted as post-integration in the period.

    As ``support.selectors.post_integration_totals``: tickets of completed projects
    whose 30-day window ends in the period, opened on a firm-local date in
    ``(actual_end, actual_end + 30 days]``. Two queries: the projects, then their
    tickets (one window condition per project).
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
    windows = [
        Q(
            project_id=pk,
            opened_at__gte=local_midnight(end + dt.timedelta(days=1)),
            opened_at__lt=local_midnight(end + window + dt.timedelta(days=1)),
        )
        for pk, end in projects.values_list("pk", "actual_end")
    ]
    tickets = Ticket.objects.filter(reduce(or_, windows)) if windows else Ticket.objects.none()
    return Records(
        title="Tickets opened in the 30 days after a project ended",
        queryset=tickets.select_related("client", "assignee", "project").order_by(
            "-opened_at", "ref"
        ),
        columns=(*TICKET_COLUMNS[:2], Column("Project", "project.code"), *TICKET_COLUMNS[2:]),
        admin_view="admin:support_ticket_change",
        note="The denominator is the user count of those projects.",
    )
