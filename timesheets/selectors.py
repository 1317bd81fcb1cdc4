"""Reads of time data: the people KPIs' inputs, the weekly grid and the approval queue.

People KPIs (working days, leave, billable and logged hours): every selector takes a
``KpiContext`` and answers for all employees at once with one grouped query (or
narrows to the one employee ``ctx.only`` names). The last day counted is ``ctx.end``:
a running period counts up to today.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Least

from synapse.fields import HoursField
from synapse.kpis.engine import KpiContext, by_period, period_bucket
from synapse.kpis.periods import Period
from timesheets import policies
from timesheets.models import Employee, Holiday, Leave, TimeEntry, Timesheet

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


def _on_working_days(queryset: QuerySet, start: dt.date, end: dt.date) -> QuerySet:
    """Return the rows of ``queryset`` (leave or entries) dated on a working day.

    A working day is a Monday–Friday in ``[start, end]`` inside the employee's
    employment that is not a company holiday.
    """
    return (
        queryset.filter(date__gte=start, date__lte=end)
        .filter(date__iso_week_day__lte=5)
        .filter(_employed_on_entry_date())
        .exclude(Exists(Holiday.objects.filter(date=OuterRef("date"))))
    )


def _weekday_holidays(start: dt.date, end: dt.date) -> list[dt.date]:
    days = Holiday.objects.filter(date__gte=start, date__lte=end).values_list("date", flat=True)
    return sorted(day for day in days if day.weekday() < 5)


def holidays_on_weekdays(ctx: KpiContext) -> list[dt.date]:
    """Return the sorted company holidays falling on a Monday–Friday of the period."""
    return _weekday_holidays(ctx.start, ctx.end)


def _employees_between(ctx: KpiContext, start: dt.date, end: dt.date) -> QuerySet[Employee]:
    employees = Employee.objects.filter(employed_from__lte=end).filter(
        Q(employed_until__isnull=True) | Q(employed_until__gte=start)
    )
    return ctx.narrow(employees, employee="user__username")


def employees_in_period(ctx: KpiContext) -> QuerySet[Employee]:
    """Return the employees whose employment overlaps ``[ctx.start, ctx.end]``."""
    return _employees_between(ctx, ctx.start, ctx.end)


def _leave_on_working_days(
    ctx: KpiContext, periods: tuple[Period, ...]
) -> dict[Period, list[tuple]]:
    """Return, per period, the rows (bucket, employee id, capped hours, full days) of the
    leave taken on its working days — one query grouped by (period, employee).

    ``capped hours``: each day's leave capped at ``hours_per_day``; ``full days``: days
    with leave ≥ ``hours_per_day``. Leave on a weekend, a holiday or outside the
    employment changes nothing.
    """
    leave = ctx.narrow(
        _on_working_days(Leave.objects.all(), *ctx.span(periods)),
        employee="employee__user__username",
    )
    rows = (
        leave.annotate(bucket=period_bucket("date", periods))
        .values("bucket", "employee_id")
        .annotate(
            capped_hours=Sum(Least("hours", "employee__hours_per_day"), output_field=HoursField()),
            full_days=Count("pk", filter=Q(hours__gte=F("employee__hours_per_day"))),
        )
        .values_list("bucket", "employee_id", "capped_hours", "full_days")
        .order_by()
    )
    return by_period(rows, periods, bucket=0)


def _leave_by_employee(found: list[list[tuple]]) -> dict[int, dict]:
    """Sum the leave rows of one or more periods per employee id."""
    out: dict[int, dict] = {}
    for rows in found:
        for _, employee_id, capped_hours, full_days in rows:
            if employee_id in out:
                taken = out[employee_id]
                taken["capped_hours"] += capped_hours
                taken["full_days"] += full_days
            else:
                out[employee_id] = {"capped_hours": capped_hours, "full_days": full_days}
    return out


def leave_on_working_days(ctx: KpiContext) -> dict[int, dict]:
    """Return, per employee id, leave taken on working days of the period:
    ``capped_hours`` (each day capped at ``hours_per_day``) and ``full_days`` (leave ≥
    ``hours_per_day``) — see ``_leave_on_working_days``."""
    return ctx.summed("timesheets.leave", _leave_on_working_days, _leave_by_employee)


def employment_working_days(
    start: dt.date,
    end: dt.date,
    hired: dt.date,
    left: dt.date | None,
    holidays: list[dt.date],
) -> int:
    """Return the working days of ``[start, end]`` inside an employment from ``hired`` to
    ``left`` (None: still employed): Monday–Friday, less the sorted weekday ``holidays``.
    """
    first, last = max(start, hired), min(end, left or end)
    if first > last:
        return 0
    on_holiday = bisect_right(holidays, last) - bisect_left(holidays, first)
    return weekdays_count(first, last) - on_holiday


def _staffing(
    ctx: KpiContext, periods: tuple[Period, ...]
) -> tuple[list[dict], list[dt.date], dict[int, tuple[str, str]]]:
    """Return the employees employed at some time of ``periods``, the weekday holidays in
    them, and the employees' (username, role) by id: two queries whatever the number of
    employees and periods."""
    first, last = ctx.span(periods)
    employees = list(
        _employees_between(ctx, first, last)
        .values("pk", "user__username", "role", "hours_per_day", "employed_from", "employed_until")
        .order_by()
    )
    names = {row["pk"]: (row["user__username"], row["role"]) for row in employees}
    return employees, _weekday_holidays(first, last), names


def _staffing_of(ctx: KpiContext) -> tuple[list[dict], list[dt.date], dict[int, tuple[str, str]]]:
    return ctx.batched("timesheets.staffing", _staffing, lambda found, _: found)


def employees_days(ctx: KpiContext) -> dict[int, EmployeeDays]:
    """Return the working days and leave of every employee employed in the period.

    Three queries whatever the number of employees (in a snapshot run, whatever the
    number of periods too): employees, holidays, grouped leave. Weekdays are counted
    per employee in closed form over the intersection of the period (up to today) with
    the employment, less the weekday holidays inside it. Kept once per context for both
    people KPIs.
    """
    if "timesheets.employees_days" in ctx.memo_store:
        return ctx.memo_store["timesheets.employees_days"]
    employees, holidays, _ = _staffing_of(ctx)
    leave = leave_on_working_days(ctx)
    start, end = ctx.start, ctx.end
    days = ctx.memo_store["timesheets.employees_days"] = {}
    for row in employees:
        hired, left = row["employed_from"], row["employed_until"]
        if hired > end or (left is not None and left < start):
            continue
        taken = leave.get(row["pk"], {})
        days[row["pk"]] = EmployeeDays(
            employee_id=row["pk"],
            username=row["user__username"],
            role=row["role"],
            hours_per_day=row["hours_per_day"],
            working_days=employment_working_days(start, end, hired, left, holidays),
            leave_hours=taken.get("capped_hours") or ZERO_HOURS,
            full_leave_days=taken.get("full_days", 0),
        )
    return days


def _billable_hours(ctx: KpiContext, periods: tuple[Period, ...]) -> dict[Period, list[tuple]]:
    """Return, per period, the rows (bucket, employee id, billable hours) of the billable
    hours logged in it — one query grouped by (period, employee), read from the partial
    index ``entry_billable_date_idx`` alone.

    Every billable entry dated in the period (up to today) counts, weekends included.
    """
    start, end = ctx.span(periods)
    entries = TimeEntry.objects.filter(date__gte=start, date__lte=end, billable=True)
    entries = ctx.narrow(entries, employee="employee__user__username")
    rows = (
        entries.annotate(bucket=period_bucket("date", periods))
        .values("bucket", "employee_id")
        .annotate(billable=Sum("hours"))
        .values_list("bucket", "employee_id", "billable")
        .order_by()
    )
    return by_period(rows, periods, bucket=0)


def _billable_sums(found: list[list[tuple]]) -> dict[int, Decimal]:
    """Sum the billable rows of one or more periods per employee id."""
    out: dict[int, Decimal] = {}
    for rows in found:
        for _, employee_id, billable in rows:
            out[employee_id] = out.get(employee_id, ZERO_HOURS) + (billable or ZERO_HOURS)
    return out


def billable_hours_by_employee(ctx: KpiContext) -> dict[int, dict]:
    """Return, per employee id, ``billable`` hours logged in the period with the
    employee's ``username`` and ``role`` (``_billable_hours``).

    The names come from the employees employed in the periods gathered (``_staffing``);
    one more query only for hours logged by someone employed at no time of them.
    """
    hours = ctx.summed("timesheets.billable_hours", _billable_hours, _billable_sums)
    names = _staffing_of(ctx)[2]
    missing = hours.keys() - names.keys()
    if missing:
        names = names | {
            pk: (username, role)
            for pk, username, role in Employee.objects.filter(pk__in=missing).values_list(
                "pk", "user__username", "role"
            )
        }
    return {
        employee_id: {
            "billable": billable,
            "username": names[employee_id][0],
            "role": names[employee_id][1],
        }
        for employee_id, billable in hours.items()
    }


def _compliant_days(ctx: KpiContext, periods: tuple[Period, ...]) -> dict[Period, list[tuple]]:
    """Return, per period, the rows (bucket, employee id, days) of the expected days of
    the period that are compliant.

    A day is expected when it is a working day without full-day leave, and compliant
    when the hours logged that day + the leave hours that day ≥ ``hours_per_day``.
    One query: the entries on expected days, each joined to its day's leave (at most
    one row: leave is unique per employee and day), are grouped per (employee, day) and
    only compliant days kept (``HAVING``); a window function counts those days per
    (period, employee) and ``DISTINCT`` keeps one row per pair, so no entry is read
    twice (docs/performance.md). A day with no entry is never compliant: its leave is below
    ``hours_per_day``, or the day would not be expected.
    """
    entries = (
        _on_working_days(TimeEntry.objects.all(), *ctx.span(periods))
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
    bucket = period_bucket("date", periods)
    rows = (
        entries.values("employee_id", "date", "employee__hours_per_day", "leave")
        .annotate(logged=Sum("hours"))
        .filter(logged__gte=F("employee__hours_per_day") - F("leave"))
        .annotate(
            bucket=bucket,
            days=Window(Count("*"), partition_by=[F("employee_id"), bucket]),
        )
        .values_list("bucket", "employee_id", "days")
        .distinct()
        .order_by()
    )
    return by_period(rows, periods, bucket=0)


def _days_by_employee(found: list[list[tuple]]) -> dict[int, int]:
    """Sum the compliant-day rows of one or more periods per employee id."""
    out: dict[int, int] = {}
    for rows in found:
        for _, employee_id, days in rows:
            out[employee_id] = out.get(employee_id, 0) + days
    return out


def compliant_days_by_employee(ctx: KpiContext) -> dict[int, int]:
    """Return, per employee id, the expected days of the period that are compliant
    (``_compliant_days``)."""
    return ctx.summed("timesheets.compliant_days", _compliant_days, _days_by_employee)


# --- The weekly timesheet grid and the approval queue (issue 5) -------------------------

ROW_TOKEN_PARTS = 5


def week_start_of(day: dt.date) -> dt.date:
    """Return the Monday of ``day``'s week (timesheets start on Mondays)."""
    return day - dt.timedelta(days=day.weekday())


def week_days(week_start: dt.date) -> list[dt.date]:
    """Return the seven days Monday–Sunday of the week starting ``week_start``."""
    return [week_start + dt.timedelta(days=offset) for offset in range(7)]


@dataclass(frozen=True, order=True)
class RowKey:
    """What a grid row logs time on: project, contract and ticket ids, activity, billable.

    Entries carrying the same five values on the same day fall into the same cell. A
    row with none of the three ids is internal time.
    """

    project_id: int | None
    contract_id: int | None
    ticket_id: int | None
    activity: str
    billable: bool

    @property
    def token(self) -> str:
        """Return the row as text for forms and DOM ids (``p12-c0-t0-delivery-1``)."""
        return (
            f"p{self.project_id or 0}-c{self.contract_id or 0}-t{self.ticket_id or 0}"
            f"-{self.activity}-{int(self.billable)}"
        )

    @classmethod
    def from_token(cls, token: str) -> RowKey:
        """Return the row a token names; raise ``ValueError`` for a malformed one."""
        parts = token.split("-")
        if len(parts) != ROW_TOKEN_PARTS or parts[4] not in ("0", "1"):
            raise ValueError(f"“{token}” is not a timesheet row")
        ids: list[int | None] = []
        for prefix, text in zip("pct", parts[:3], strict=True):
            if not text.startswith(prefix) or not text[1:].isdigit():
                raise ValueError(f"“{token}” is not a timesheet row")
            ids.append(int(text[1:]) or None)
        if parts[3] not in TimeEntry.Activity.values:
            raise ValueError(f"“{parts[3]}” is not an activity")
        return cls(ids[0], ids[1], ids[2], parts[3], parts[4] == "1")

    def entry_filter(self) -> dict[str, object]:
        """Return the lookups selecting this row's entries."""
        return {
            "project_id": self.project_id,
            "contract_id": self.contract_id,
            "ticket_id": self.ticket_id,
            "activity": self.activity,
            "billable": self.billable,
        }


@dataclass
class GridCell:
    """One row × day of the grid: the hours logged and how many entries hold them."""

    day: dt.date
    hours: Decimal | None = None
    entries: int = 0

    @property
    def editable_alone(self) -> bool:
        """Return whether one input can edit the cell (it holds at most one entry)."""
        return self.entries <= 1


@dataclass
class GridRow:
    """One row of the grid: its key, what it reads as, and its seven cells."""

    key: RowKey
    label: str
    detail: str
    cells: list[GridCell]

    @property
    def total(self) -> Decimal:
        """Return the row's hours over the week."""
        return sum((cell.hours or ZERO_HOURS for cell in self.cells), ZERO_HOURS)


@dataclass
class WeekGrid:
    """An employee's week: rows × days with totals, and the week's timesheet (if any)."""

    employee: Employee
    week_start: dt.date
    timesheet: Timesheet | None
    rows: list[GridRow]

    @property
    def days(self) -> list[dt.date]:
        return week_days(self.week_start)

    @property
    def status(self) -> str:
        return self.timesheet.status if self.timesheet else Timesheet.Status.DRAFT

    @property
    def version(self) -> int:
        return self.timesheet.version if self.timesheet else 0

    @property
    def editable(self) -> bool:
        """Return whether the owner may change hours: a draft or rejected week."""
        return policies.week_is_open(self.timesheet)

    @property
    def day_totals(self) -> list[Decimal]:
        return [
            sum((row.cells[i].hours or ZERO_HOURS for row in self.rows), ZERO_HOURS)
            for i in range(7)
        ]

    @property
    def total(self) -> Decimal:
        return sum(self.day_totals, ZERO_HOURS)

    @property
    def billable_total(self) -> Decimal:
        return sum((row.total for row in self.rows if row.key.billable), ZERO_HOURS)


def _row_label(key: RowKey, codes: dict[str, dict[int, tuple[str, str]]]) -> tuple[str, str]:
    """Return (label, detail) of a row from the codes and names of what it refers to."""
    activity = TimeEntry.Activity(key.activity).label
    billing = "billable" if key.billable else "non-billable"
    if key.ticket_id:
        code, name = codes["ticket"].get(key.ticket_id, (f"ticket {key.ticket_id}", ""))
    elif key.project_id:
        code, name = codes["project"].get(key.project_id, (f"project {key.project_id}", ""))
    elif key.contract_id:
        code, name = codes["contract"].get(key.contract_id, (f"contract {key.contract_id}", ""))
    else:
        code, name = "Internal", ""
    detail = " · ".join(part for part in (name, activity, billing) if part)
    return code, detail


def row_codes(keys: list[RowKey], *, viewer: Any) -> dict[str, dict[int, tuple[str, str]]]:
    """Return ``{"project"|"contract"|"ticket": {id: (code, name)}}`` for the rows' targets.

    A ticket ``viewer`` may not see is left out (its row reads "ticket <id>", never its
    subject). At most three queries, whatever the number of rows.
    """
    from projects.models import Contract, Project
    from support import policies as ticket_policies

    wanted = {
        "project": {key.project_id for key in keys if key.project_id},
        "contract": {key.contract_id for key in keys if key.contract_id},
        "ticket": {key.ticket_id for key in keys if key.ticket_id},
    }
    out: dict[str, dict[int, tuple[str, str]]] = {"project": {}, "contract": {}, "ticket": {}}
    if wanted["project"]:
        for pk, code, name in Project.objects.filter(pk__in=wanted["project"]).values_list(
            "pk", "code", "name"
        ):
            out["project"][pk] = (code, name)
    if wanted["contract"]:
        for pk, code, name in Contract.objects.filter(pk__in=wanted["contract"]).values_list(
            "pk", "code", "name"
        ):
            out["contract"][pk] = (code, name)
    if wanted["ticket"]:
        tickets = ticket_policies.tickets_for(viewer, ticket_policies.VIEW)
        for pk, ref, subject in tickets.filter(pk__in=wanted["ticket"]).values_list(
            "pk", "ref", "subject"
        ):
            out["ticket"][pk] = (ref, subject)
    return out


def week_rows(*, employee: Employee, week_start: dt.date) -> list[RowKey]:
    """Return the distinct rows the employee logged time on in the week, sorted."""
    entries = TimeEntry.objects.filter(
        employee=employee, date__gte=week_start, date__lte=week_start + dt.timedelta(days=6)
    )
    rows = entries.values_list(
        "project_id", "contract_id", "ticket_id", "activity", "billable"
    ).distinct()
    return sorted({RowKey(*row) for row in rows.order_by()}, key=_row_sort_key)


def _row_sort_key(key: RowKey) -> tuple:
    """Order rows as people scan them: projects, contracts, tickets, then internal time."""
    if key.ticket_id:
        rank, pk = 2, key.ticket_id
    elif key.project_id:
        rank, pk = 0, key.project_id
    elif key.contract_id:
        rank, pk = 1, key.contract_id
    else:
        rank, pk = 3, 0
    return (rank, pk, key.project_id or 0, key.contract_id or 0, key.activity, not key.billable)


def week_grid(
    *,
    employee: Employee,
    week_start: dt.date,
    viewer: Any,
    extra_rows: list[RowKey] | tuple = (),
) -> WeekGrid:
    """Return the employee's week as a grid: one row per logged row key, plus ``extra_rows``.

    ``viewer`` is who reads it: tickets they may not see show no subject.
    Queries: the timesheet, the entries grouped per row and day (one grouped query), and
    at most three for the codes of projects, contracts and tickets. ``extra_rows`` are
    rows added in the page (or copied from last week) that hold no hours yet.
    """
    days = week_days(week_start)
    timesheet = Timesheet.objects.filter(employee=employee, week_start=week_start).first()
    grouped = (
        TimeEntry.objects.filter(employee=employee, date__gte=days[0], date__lte=days[-1])
        .values("project_id", "contract_id", "ticket_id", "activity", "billable", "date")
        .annotate(logged=Sum("hours"), entries=Count("pk"))
        .order_by()
    )
    cells: dict[RowKey, dict[dt.date, GridCell]] = {}
    for row in grouped:
        key = RowKey(
            row["project_id"],
            row["contract_id"],
            row["ticket_id"],
            row["activity"],
            row["billable"],
        )
        cells.setdefault(key, {})[row["date"]] = GridCell(
            day=row["date"], hours=row["logged"], entries=row["entries"]
        )
    for key in extra_rows:
        cells.setdefault(key, {})
    keys = sorted(cells, key=_row_sort_key)
    codes = row_codes(keys, viewer=viewer)
    rows = []
    for key in keys:
        label, detail = _row_label(key, codes)
        by_day = cells[key]
        rows.append(
            GridRow(
                key=key,
                label=label,
                detail=detail,
                cells=[by_day.get(day) or GridCell(day=day) for day in days],
            )
        )
    return WeekGrid(employee=employee, week_start=week_start, timesheet=timesheet, rows=rows)


def cell_hours(*, employee: Employee, key: RowKey, day: dt.date) -> GridCell:
    """Return one cell of an employee's grid (its hours and number of entries)."""
    totals = TimeEntry.objects.filter(employee=employee, date=day, **key.entry_filter()).aggregate(
        logged=Sum("hours"), entries=Count("pk")
    )
    return GridCell(day=day, hours=totals["logged"], entries=totals["entries"])


def week_totals(*, employee: Employee, key: RowKey, week_start: dt.date) -> dict[str, object]:
    """Return the totals a cell save changes: per day, the row's week, the whole week.

    One grouped query over the week's entries.
    """
    days = week_days(week_start)
    rows = (
        TimeEntry.objects.filter(employee=employee, date__gte=days[0], date__lte=days[-1])
        .values("date")
        .annotate(
            logged=Sum("hours", default=ZERO_HOURS),
            row=Sum("hours", filter=Q(**key.entry_filter()), default=ZERO_HOURS),
            billable=Sum("hours", filter=Q(billable=True), default=ZERO_HOURS),
        )
        .order_by()
    )
    per_day = {row["date"]: row for row in rows}
    day_totals = [(day, per_day[day]["logged"] if day in per_day else ZERO_HOURS) for day in days]
    return {
        "day_totals": day_totals,
        "row_total": sum((row["row"] for row in per_day.values()), ZERO_HOURS),
        "total": sum((hours for _, hours in day_totals), ZERO_HOURS),
        "billable_total": sum((row["billable"] for row in per_day.values()), ZERO_HOURS),
    }


def timesheets_visible_to(*, user: object) -> QuerySet[Timesheet]:
    """Return the timesheets ``user`` may read (``timesheets.policies``), with their people."""
    sheets = policies.timesheets_for(user, policies.VIEW)
    return sheets.select_related("employee__user", "employee__manager", "decided_by")


def timesheet_for_user(*, user: object, pk: int) -> Timesheet | None:
    """Return the timesheet ``pk`` if ``user`` may read it, else None."""
    return timesheets_visible_to(user=user).filter(pk=pk).first()


def timesheets_awaiting_approval(*, user: object) -> list[Timesheet]:
    """Return the submitted weeks ``user`` may read, oldest first, with their hours.

    Each timesheet gets ``hours`` and ``billable_hours`` (Decimal) and ``can_decide``.
    Two queries: the timesheets, and the entries of their weeks grouped per employee
    and day (summed per week in Python over those aggregated rows).
    """
    sheets = list(
        timesheets_visible_to(user=user)
        .filter(status=Timesheet.Status.SUBMITTED)
        .order_by("week_start", "employee__full_name")
    )
    _attach_week_hours(sheets)
    for sheet in sheets:
        sheet.can_decide = policies.may_decide_week(user, sheet)
    return sheets


def timesheets_recently_decided(*, user: object, limit: int = 10) -> list[Timesheet]:
    """Return the last weeks approved or rejected among those ``user`` may read."""
    sheets = list(
        timesheets_visible_to(user=user)
        .filter(status__in=[Timesheet.Status.APPROVED, Timesheet.Status.REJECTED])
        .order_by("-decided_at", "-pk")[:limit]
    )
    _attach_week_hours(sheets)
    return sheets


def _attach_week_hours(sheets: list[Timesheet]) -> None:
    """Set ``hours`` and ``billable_hours`` on each timesheet with one grouped query."""
    if not sheets:
        return
    first = min(sheet.week_start for sheet in sheets)
    last = max(sheet.week_start for sheet in sheets) + dt.timedelta(days=6)
    rows = (
        TimeEntry.objects.filter(
            employee_id__in={sheet.employee_id for sheet in sheets},
            date__gte=first,
            date__lte=last,
        )
        .values("employee_id", "date")
        .annotate(
            logged=Sum("hours", default=ZERO_HOURS),
            billable_hours=Sum("hours", filter=Q(billable=True), default=ZERO_HOURS),
        )
        .order_by()
    )
    weeks: dict[tuple[int, dt.date], list[Decimal]] = {}
    for row in rows:
        slot = weeks.setdefault((row["employee_id"], week_start_of(row["date"])), [ZERO_HOURS] * 2)
        slot[0] += row["logged"]
        slot[1] += row["billable_hours"]
    for sheet in sheets:
        hours, billable = weeks.get((sheet.employee_id, sheet.week_start), (ZERO_HOURS, ZERO_HOURS))
        sheet.hours, sheet.billable_hours = hours, billable


@dataclass(frozen=True)
class Choice:
    """One thing time can be logged on, for the add-row form."""

    value: str
    label: str
    group: str


def row_targets(*, employee: Employee, week_start: dt.date) -> list[Choice]:
    """Return what the employee can add a row for in the week: internal time, and of
    what they may book to (``timesheets.policies.bookable_targets``) the open projects,
    the contracts in force and the tickets assigned to them that are not closed.

    Three queries (projects, contracts, tickets).
    """
    from projects.models import Project
    from support.models import Ticket

    targets = policies.bookable_targets(employee.user)
    week_end = week_start + dt.timedelta(days=6)
    choices = [Choice("internal", "Internal (no client)", "Internal")]
    projects = targets.projects.filter(
        status__in=[Project.Status.PLANNED, Project.Status.ACTIVE]
    ).select_related("client")
    choices += [
        Choice(f"project:{p.pk}", f"{p.code} — {p.name} ({p.client.name})", "Projects")
        for p in projects.order_by("code")
    ]
    contracts = (
        targets.contracts.filter(start_date__lte=week_end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=week_start))
        .select_related("client")
    )
    choices += [
        Choice(f"contract:{c.pk}", f"{c.code} — {c.name} ({c.client.name})", "Contracts")
        for c in contracts.order_by("code")
    ]
    tickets = targets.tickets.filter(assignee=employee).exclude(status=Ticket.Status.CLOSED)
    choices += [
        Choice(f"ticket:{t.pk}", f"{t.ref} — {t.subject}", "My tickets")
        for t in tickets.order_by("ref")
    ]
    return choices
