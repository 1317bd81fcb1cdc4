"""Reads of time data for the people KPIs: working days, leave, billable and logged hours.

Every selector takes a ``KpiContext`` and answers for all employees at once with one
grouped query (or narrows to the one employee ``ctx.only`` names). The last day counted
is ``ctx.end``: a running period counts up to today.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Least

from synapse.fields import HoursField
from synapse.kpis.engine import KpiContext
from timesheets.models import Employee, Holiday, Leave, TimeEntry

#: Roles whose hours count at company scope (kpis.md "People KPIs at company scope").
COMPANY_ROLES = frozenset({Employee.Role.STAFF, Employee.Role.MANAGER})

ZERO_HOURS = Decimal("0.00")


def weekdays_count(start: dt.date, end: dt.date) -> int:
    """Return the number of Mondays–Fridays in ``[start, end]`` (0 when ``end < start``)."""
    if end < start:
        return 0
    full_weeks, rest = divmod((end - start).days + 1, 7)
    first = start.weekday()
    # The ``rest`` (< 7) days after the full weeks start on the same weekday as ``start``.
    return full_weeks * 5 + sum(1 for i in range(rest) if (first + i) % 7 < 5)


@dataclass(frozen=True)
class EmployeeDays:
    """One employee's working days and leave in a period (kpis.md "Available hours").

    ``working_days`` are the weekdays inside both the period and the employment, less
    company holidays; ``leave_hours`` is the leave taken on those days, at most
    ``hours_per_day`` a day; ``full_leave_days`` the days of them with leave of at least
    ``hours_per_day``.
    """

    employee_id: int
    username: str
    role: str
    hours_per_day: Decimal
    working_days: int
    leave_hours: Decimal
    full_leave_days: int

    @property
    def counts_for_company(self) -> bool:
        return self.role in COMPANY_ROLES

    @property
    def available_hours(self) -> Decimal:
        """Return hours_per_day × working days − leave hours on them."""
        return self.hours_per_day * self.working_days - self.leave_hours

    @property
    def expected_days(self) -> int:
        """Return the working days less the days of full-day leave (timesheet compliance)."""
        return self.working_days - self.full_leave_days


def _employed_on_entry_date() -> Q:
    """Return the condition that a row's ``date`` lies inside its employee's employment."""
    return Q(date__gte=F("employee__employed_from")) & (
        Q(employee__employed_until__isnull=True) | Q(date__lte=F("employee__employed_until"))
    )


def _on_working_days(ctx: KpiContext, queryset: QuerySet) -> QuerySet:
    """Return the rows of ``queryset`` (leave or entries) dated on a working day.

    A working day is a Monday–Friday in ``[ctx.start, ctx.end]`` inside the employee's
    employment that is not a company holiday.
    """
    return (
        queryset.filter(date__gte=ctx.start, date__lte=ctx.end)
        .filter(date__iso_week_day__lte=5)
        .filter(_employed_on_entry_date())
        .exclude(Exists(Holiday.objects.filter(date=OuterRef("date"))))
    )


def holidays_on_weekdays(ctx: KpiContext) -> list[dt.date]:
    """Return the sorted company holidays falling on a Monday–Friday of the period."""
    days = Holiday.objects.filter(date__gte=ctx.start, date__lte=ctx.end).values_list(
        "date", flat=True
    )
    return sorted(day for day in days if day.weekday() < 5)


def employees_in_period(ctx: KpiContext) -> QuerySet[Employee]:
    """Return the employees whose employment overlaps ``[ctx.start, ctx.end]``."""
    employees = Employee.objects.filter(employed_from__lte=ctx.end).filter(
        Q(employed_until__isnull=True) | Q(employed_until__gte=ctx.start)
    )
    return ctx.narrow(employees, employee="user__username")


def leave_on_working_days(ctx: KpiContext) -> dict[int, dict]:
    """Return, per employee id, leave taken on working days of the period: ``capped_hours``
    (each day capped at ``hours_per_day``) and ``full_days`` (leave ≥ ``hours_per_day``).

    Leave on a weekend, a holiday or outside the employment changes nothing.
    """
    leave = ctx.narrow(
        _on_working_days(ctx, Leave.objects.all()), employee="employee__user__username"
    )
    rows = (
        leave.values("employee_id")
        .annotate(
            capped_hours=Sum(Least("hours", "employee__hours_per_day"), output_field=HoursField()),
            full_days=Count("pk", filter=Q(hours__gte=F("employee__hours_per_day"))),
        )
        .order_by()
    )
    return {row["employee_id"]: row for row in rows}


def employees_days(ctx: KpiContext) -> dict[int, EmployeeDays]:
    """Return the working days and leave of every employee employed in the period.

    Three queries whatever the number of employees: employees, holidays, grouped leave.
    Weekdays are counted per employee in closed form over the intersection of the
    period with the employment, less the weekday holidays inside it.
    """
    holidays = holidays_on_weekdays(ctx)
    leave = leave_on_working_days(ctx)
    employees = employees_in_period(ctx).values(
        "pk", "user__username", "role", "hours_per_day", "employed_from", "employed_until"
    )
    out: dict[int, EmployeeDays] = {}
    for row in employees.order_by():
        first = max(ctx.start, row["employed_from"])
        last = min(ctx.end, row["employed_until"] or ctx.end)
        working_days = 0
        if first <= last:
            on_holiday = bisect_right(holidays, last) - bisect_left(holidays, first)
            working_days = weekdays_count(first, last) - on_holiday
        taken = leave.get(row["pk"], {})
        out[row["pk"]] = EmployeeDays(
            employee_id=row["pk"],
            username=row["user__username"],
            role=row["role"],
            hours_per_day=row["hours_per_day"],
            working_days=working_days,
            leave_hours=taken.get("capped_hours") or ZERO_HOURS,
            full_leave_days=taken.get("full_days", 0),
        )
    return out


def employees_days_memo(ctx: KpiContext) -> dict[int, EmployeeDays]:
    """Return ``employees_days(ctx)``, gathered once per context for both people KPIs."""
    return ctx.memo("timesheets.employees_days", lambda: employees_days(ctx))


def billable_hours_by_employee(ctx: KpiContext) -> dict[int, dict]:
    """Return, per employee id, ``billable`` hours logged in the period with the
    employee's ``username`` and ``role`` — one grouped query.

    Every billable entry dated in ``[ctx.start, ctx.end]`` counts, weekends included.
    """
    entries = TimeEntry.objects.filter(date__gte=ctx.start, date__lte=ctx.end, billable=True)
    entries = ctx.narrow(entries, employee="employee__user__username")
    rows = (
        entries.values("employee_id", "employee__user__username", "employee__role")
        .annotate(billable=Sum("hours"))
        .order_by()
    )
    return {
        row["employee_id"]: {
            "billable": row["billable"] or ZERO_HOURS,
            "username": row["employee__user__username"],
            "role": row["employee__role"],
        }
        for row in rows
    }


def compliant_days_by_employee(ctx: KpiContext) -> dict[int, int]:
    """Return, per employee id, the expected days of the period that are compliant.

    A day is expected when it is a working day without full-day leave, and compliant
    when the hours logged that day + the leave hours that day ≥ ``hours_per_day``.
    One query: the entries on expected days, each joined to its day's leave (at most
    one row: leave is unique per employee and day), are grouped per (employee, day) in
    a subquery that keeps one entry of each compliant day (``HAVING``); the outer query
    counts those per employee. A day with no entry is never compliant: its leave is
    below ``hours_per_day``, or the day would not be expected.
    """
    entries = (
        _on_working_days(ctx, TimeEntry.objects.all())
        .annotate(
            day_leave=FilteredRelation(
                "employee__leave", condition=Q(employee__leave__date=F("date"))
            )
        )
        .annotate(leave=Coalesce("day_leave__hours", Value(0), output_field=HoursField()))
        .filter(leave__lt=F("employee__hours_per_day"))
    )
    entries = ctx.narrow(entries, employee="employee__user__username")
    # Grouping on hours_per_day and the day's leave (one value per employee and day) lets
    # the HAVING clause read them on PostgreSQL.
    one_entry_per_compliant_day = (
        entries.values("employee_id", "date", "employee__hours_per_day", "leave")
        .annotate(logged=Sum("hours"), first_entry=Min("pk"))
        .filter(logged__gte=F("employee__hours_per_day") - F("leave"))
        .values("first_entry")
    )
    rows = (
        TimeEntry.objects.filter(pk__in=one_entry_per_compliant_day)
        .values("employee_id")
        .annotate(days=Count("pk"))
        .order_by()
    )
    return {row["employee_id"]: row["days"] for row in rows}
