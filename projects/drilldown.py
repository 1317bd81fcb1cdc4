"""The records behind the project delivery and revenue KPIs (dashboard drill-down).

Each function returns exactly the records its KPI counts for the period and scope of
``ctx``, built from the same selectors the KPI uses (``projects.selectors``,
``projects.revenue_selectors``) and narrowed to the scope the same way.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from projects import revenue_selectors
from projects.models import Client, Contract, Project
from projects.selectors import projects_closed_in_period, projects_in_progress_on_end
from synapse.kpis.drilldown import Column, Records, drilldown_register
from synapse.kpis.engine import KpiContext
from timesheets.models import TimeEntry

PROJECT_COLUMNS = (
    Column("Project", "code"),
    Column("Name", "name"),
    Column("Client", "client.name"),
    Column("Status", "get_status_display"),
    Column("Billing", "get_billing_display"),
    Column("Revenue (fixed)", "revenue", "money"),
    Column("Budget", "budget", "money"),
    Column("Planned end", "planned_end", "date"),
    Column("Started", "actual_start", "date"),
    Column("Ended", "actual_end", "date"),
)
CONTRACT_COLUMNS = (
    Column("Contract", "code"),
    Column("Client", "client.name"),
    Column("Name", "name"),
    Column("Monthly fee", "monthly_fee", "money"),
    Column("Start", "start_date", "date"),
    Column("End", "end_date", "date"),
)
CLIENT_COLUMNS = (
    Column("Client", "code"),
    Column("Name", "name"),
    Column("Client since", "became_client_on", "date"),
    Column("Churned on", "churned_on", "date"),
)


def _projects(ctx: KpiContext, queryset: QuerySet[Project]) -> QuerySet[Project]:
    narrowed = ctx.narrow(queryset, client="client__code", project="code")
    return narrowed.select_related("client").order_by("-actual_end", "code")


def projects_completed_in_period(ctx: KpiContext) -> QuerySet[Project]:
    """Return the projects completed in the period (status completed, ended in it)."""
    return _projects(ctx, projects_closed_in_period(ctx).filter(status=Project.Status.COMPLETED))


@drilldown_register(
    "project_gross_margin",
    "avg_project_cycle_time",
    "delivery_time_variance",
    "cost_overrun",
    "system_downtime",
    "avg_project_value",
)
def completed_projects(ctx: KpiContext) -> Records:
    """Return the projects completed in the period: the projects these KPIs average."""
    return Records(
        title="Projects completed in the period",
        queryset=projects_completed_in_period(ctx),
        columns=PROJECT_COLUMNS,
        admin_view="admin:projects_project_change",
    )


@drilldown_register("net_profit_margin")
def profit_projects(ctx: KpiContext) -> Records:
    """Return the projects completed in the period: the project part of R and C."""
    return Records(
        title="Projects completed in the period",
        queryset=projects_completed_in_period(ctx),
        columns=PROJECT_COLUMNS,
        admin_view="admin:projects_project_change",
        note=(
            "Net profit also counts managed-services revenue and cost and the period's "
            "overheads; those are on the managed-services margin page and in the admin."
        ),
    )


@drilldown_register("integration_success_rate")
def closed_projects(ctx: KpiContext) -> Records:
    """Return the projects closed (completed or cancelled) in the period."""
    return Records(
        title="Projects closed (completed or cancelled) in the period",
        queryset=_projects(ctx, projects_closed_in_period(ctx)),
        columns=(*PROJECT_COLUMNS, Column("Requirements met", "requirements_met", "bool")),
        admin_view="admin:projects_project_change",
    )


@drilldown_register("cost_performance_index")
def in_progress_projects(ctx: KpiContext) -> Records:
    """Return the projects in progress on the period's last counted day."""
    return Records(
        title=f"Projects in progress on {ctx.end:%d %b %Y}",
        queryset=_projects(ctx, projects_in_progress_on_end(ctx)),
        columns=PROJECT_COLUMNS,
        admin_view="admin:projects_project_change",
    )


@drilldown_register("rework_rate")
def project_time_entries(ctx: KpiContext) -> Records:
    """Return the time entries logged on projects in the period (rework and the rest).

    The same filter as ``projects.selectors.project_hours_in_period``: on a project,
    dated in ``[start, end]``, narrowed by the project's client, project or employee.
    """
    entries = TimeEntry.objects.filter(
        project__isnull=False, date__gte=ctx.start, date__lte=ctx.end
    )
    entries = ctx.narrow(
        entries,
        client="project__client__code",
        project="project__code",
        employee="employee__user__username",
    )
    return Records(
        title="Time entries on projects in the period",
        queryset=entries.select_related("employee", "project").order_by("-date", "entry_id"),
        columns=(
            Column("Entry", "entry_id"),
            Column("Date", "date", "date"),
            Column("Employee", "employee.full_name"),
            Column("Project", "project.code"),
            Column("Activity", "get_activity_display"),
            Column("Hours", "hours", "hours"),
        ),
        admin_view="admin:timesheets_timeentry_change",
    )


def _contracts(ctx: KpiContext, queryset: QuerySet[Contract]) -> QuerySet[Contract]:
    narrowed = ctx.narrow(queryset, client="client__code")
    return narrowed.select_related("client").order_by("client__code", "code")


@drilldown_register("mrr", "customer_lifetime_value")
def contracts_at_close(ctx: KpiContext) -> Records:
    """Return the contracts active on the closing day: the MRR (and ARPA) they sum."""
    return Records(
        title=f"Contracts active on {ctx.end:%d %b %Y}",
        queryset=_contracts(
            ctx, Contract.objects.filter(revenue_selectors.contract_active_on(ctx.end))
        ),
        columns=CONTRACT_COLUMNS,
        admin_view="admin:projects_contract_change",
    )


@drilldown_register("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "net_mrr_churn")
def contracts_moving(ctx: KpiContext) -> Records:
    """Return the contracts active on the opening day or the closing day (MRR movements)."""
    opening = ctx.start - dt.timedelta(days=1)
    active = revenue_selectors.contract_active_on(opening) | revenue_selectors.contract_active_on(
        ctx.end
    )
    return Records(
        title=f"Contracts active on {opening:%d %b %Y} or {ctx.end:%d %b %Y}",
        queryset=_contracts(ctx, Contract.objects.filter(active)),
        columns=CONTRACT_COLUMNS,
        admin_view="admin:projects_contract_change",
    )


@drilldown_register("managed_services_gross_margin", "recurring_revenue_share")
def contracts_in_period(ctx: KpiContext) -> Records:
    """Return the contracts active on at least one day of the period (their fees count)."""
    return Records(
        title="Contracts active in the period",
        queryset=_contracts(
            ctx, Contract.objects.filter(revenue_selectors.contract_overlaps(ctx.start, ctx.end))
        ),
        columns=CONTRACT_COLUMNS,
        admin_view="admin:projects_contract_change",
    )


@drilldown_register("client_retention", "logo_churn_rate")
def clients_at_start(ctx: KpiContext) -> Records:
    """Return the clients active on the first day (S); those churned by the end are lost."""
    return Records(
        title=f"Clients active on {ctx.start:%d %b %Y}",
        queryset=Client.objects.filter(revenue_selectors.client_active_on(ctx.start)).order_by(
            "code"
        ),
        columns=CLIENT_COLUMNS,
        admin_view="admin:projects_client_change",
    )


@drilldown_register("customer_acquisition_cost", "clv_cac_ratio")
def clients_acquired(ctx: KpiContext) -> Records:
    """Return the clients that became clients in the period (CAC's denominator)."""
    return Records(
        title="Clients acquired in the period",
        queryset=Client.objects.filter(
            became_client_on__gte=ctx.start, became_client_on__lte=ctx.end
        ).order_by("became_client_on", "code"),
        columns=CLIENT_COLUMNS,
        admin_view="admin:projects_client_change",
    )
