"""The records behind the people KPIs (dashboard drill-down)."""

from __future__ import annotations

import datetime as dt

from synapse.kpis.drilldown import Column, Records, drilldown_register
from synapse.kpis.engine import KpiContext
from timesheets.models import TimeEntry, Timesheet
from timesheets.selectors import COMPANY_ROLES


@drilldown_register("billable_utilization")
def billable_entries(ctx: KpiContext) -> Records:
    """Return the billable time entries dated in the period (utilization's numerator).

    As ``timesheets.selectors.billable_hours_by_employee``: billable, dated in
    ``[start, end]``, weekends included; at company scope only staff and managers count.
    """
    entries = TimeEntry.objects.filter(date__gte=ctx.start, date__lte=ctx.end, billable=True)
    entries = ctx.narrow(entries, employee="employee__user__username")
    if ctx.only is None or ctx.only.kind == "company":
        entries = entries.filter(employee__role__in=COMPANY_ROLES)
    return Records(
        title="Billable time entries in the period",
        queryset=entries.select_related("employee", "project", "contract").order_by(
            "-date", "entry_id"
        ),
        columns=(
            Column("Entry", "entry_id"),
            Column("Date", "date", "date"),
            Column("Employee", "employee.full_name"),
            Column("Project", "project.code"),
            Column("Contract", "contract.code"),
            Column("Activity", "get_activity_display"),
            Column("Hours", "hours", "hours"),
        ),
        admin_view="admin:timesheets_timeentry_change",
        note="Available hours (the denominator) come from working days, holidays and leave.",
    )


@drilldown_register("timesheet_compliance")
def timesheets_in_period(ctx: KpiContext) -> Records:
    """Return the weekly timesheets of the weeks touching the period, with their status.

    Compliance counts days, which are not records; the timesheets of those weeks are
    what a manager opens to see who logged what (company scope: staff and managers).
    """
    sheets = Timesheet.objects.filter(
        week_start__gte=ctx.start - dt.timedelta(days=6), week_start__lte=ctx.end
    )
    sheets = ctx.narrow(sheets, employee="employee__user__username")
    if ctx.only is None or ctx.only.kind == "company":
        sheets = sheets.filter(employee__role__in=COMPANY_ROLES)
    return Records(
        title="Weekly timesheets of the period",
        queryset=sheets.select_related("employee").order_by("-week_start", "employee__full_name"),
        columns=(
            Column("Week of", "week_start", "date"),
            Column("Employee", "employee.full_name"),
            Column("Status", "get_status_display"),
            Column("Submitted", "submitted_at", "datetime"),
            Column("Decided", "decided_at", "datetime"),
        ),
        admin_view="admin:timesheets_timesheet_change",
    )
