"""Writes of time data: costing time entries, the weekly grid's cells and its approval."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Case,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from support.models import Ticket
from synapse import rules
from timesheets import policies
from timesheets.models import Employee, Rate, TimeEntry, Timesheet
from timesheets.selectors import RowKey, week_rows, week_start_of


def _rate_in_force(column: str) -> Coalesce:
    """Return the employee's ``column`` rate in force on the entry's date, as a subquery.

    Before the employee's first rate there is none in force: the rate is then 0, so that
    such an entry costs 0 instead of failing the ``NOT NULL`` cost column.
    """
    rate = Subquery(
        Rate.objects.filter(employee=OuterRef("employee"), effective_from__lte=OuterRef("date"))
        .order_by("-effective_from")
        .values(column)[:1]
    )
    return Coalesce(rate, Value(0), output_field=BigIntegerField())


def _hours_times(rate: Coalesce) -> ExpressionWrapper:
    """Return hours × rate rounded half-up to the cent, in integer cents.

    Hours are stored in hundredths and rates in cents, so their product is in
    1/10,000ths of the currency; + 50 then integer division by 100 rounds to cents
    identically on SQLite and PostgreSQL (both operands are non-negative integers).
    """
    return ExpressionWrapper(
        (F("hours") * rate + Value(50)) / Value(100), output_field=BigIntegerField()
    )


def time_entries_recost(entries: QuerySet[TimeEntry]) -> int:
    """Store ``cost``, ``bill_value`` and ``cost_contract`` on ``entries`` in one UPDATE.

    Labour cost = hours × cost rate in force on the entry's date; billable value =
    hours × bill rate in force when billable, else 0 (kpis.md "Derived quantities").
    Cost is attributed to the project if set, else to the contract if set, else to the
    ticket's contract, else it is internal overhead (data-exchange.md). An entry with
    no rate in force (before the first rate) costs 0. Return the number of entries.
    ``EntryCoster`` is the same rule in Python for the import: change both together.
    """
    ticket_contract = Subquery(Ticket.objects.filter(pk=OuterRef("ticket")).values("contract")[:1])
    return entries.update(
        cost=Case(When(hours__gt=0, then=_hours_times(_rate_in_force("cost_rate"))), default=0),
        bill_value=Case(
            When(billable=True, hours__gt=0, then=_hours_times(_rate_in_force("bill_rate"))),
            default=0,
        ),
        cost_contract=Case(
            When(project__isnull=False, then=Value(None)),
            When(contract__isnull=False, then=F("contract")),
            default=ticket_contract,
            output_field=BigIntegerField(),
        ),
    )


def entry_amount_units(*, hours: int, rate: int) -> int:
    """Return hours × rate rounded half-up to the cent, all in integer hundredths.

    The Python twin of ``_hours_times`` (same integers, same rounding): ``hours`` in
    hundredths of an hour, ``rate`` in cents, the result in cents. Both are
    non-negative, so ``//`` equals SQL's integer division.
    """
    return (hours * rate + 50) // 100


class EntryCoster:
    """The cost, billable value and cost contract of new time entries, computed in Python.

    What ``time_entries_recost`` stores, for rows not written yet (the CSV import costs
    each entry as it inserts it instead of updating every row a second time). Built
    from the rate table once (a few rows per employee): ``costs`` finds the rate in
    force on the entry's date by bisection; before the first rate it is 0.

    The costing rule lives here twice, in SQL (``time_entries_recost``) and in Python:
    a change to one is a change to both. ``tests/timesheets/test_recost.py`` checks that
    they store the same values.
    """

    def __init__(self) -> None:
        self._dates: dict[int, list[dt.date]] = {}
        self._rates: dict[int, list[tuple[int, int]]] = {}
        stored = Rate.objects.order_by("employee_id", "effective_from").values_list(
            "employee_id", "effective_from", "cost_rate", "bill_rate"
        )
        for employee_id, effective_from, cost_rate, bill_rate in stored:
            self._dates.setdefault(employee_id, []).append(effective_from)
            self._rates.setdefault(employee_id, []).append(
                (int(cost_rate * 100), int(bill_rate * 100))
            )

    def costs(
        self, *, employee_id: int, day: dt.date, hours: int, billable: bool
    ) -> tuple[int, int]:
        """Return ``(cost, bill_value)`` in cents of ``hours`` (hundredths) on ``day``."""
        if hours <= 0:
            return 0, 0
        dates = self._dates.get(employee_id)
        index = bisect_right(dates, day) - 1 if dates else -1
        if index < 0:
            return 0, 0
        cost_rate, bill_rate = self._rates[employee_id][index]
        cost = entry_amount_units(hours=hours, rate=cost_rate)
        return cost, entry_amount_units(hours=hours, rate=bill_rate) if billable else 0

    @staticmethod
    def cost_contract(
        *, project_id: int | None, contract_id: int | None, ticket_contract_id: int | None
    ) -> int | None:
        """Return the contract the labour cost is attributed to (None: a project's or internal)."""
        if project_id is not None:
            return None
        return contract_id if contract_id is not None else ticket_contract_id


def employee_entries_recost(*, employee_id: int) -> int:
    """Recost every time entry of one employee (after a rate of theirs changed)."""
    return time_entries_recost(TimeEntry.objects.filter(employee_id=employee_id))


# --- The weekly timesheet: cells, submit, approve, reject, the approved-week lock ---------

LOCKED_MESSAGE = (
    "The timesheet of this week is approved: its time entries are locked. "
    "Ask a superuser to change them."
)
SUBMITTED_MESSAGE = (
    "This week is submitted for approval: it cannot be changed unless your manager rejects it."
)
STALE_MESSAGE = (
    "This timesheet was changed by someone else since you opened it "
    "(it is now {status}). Reload the page and try again."
)


class TimesheetError(Exception):
    """A timesheet change refused, with the message shown to the person."""

    def __init__(self, message: str, *, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class WeekNotEditable(TimesheetError):
    """The week is submitted or approved: its hours cannot change."""


class StaleTimesheet(TimesheetError):
    """The timesheet's version moved on since the person read it."""


class CellConflict(TimesheetError):
    """The cell's hours changed since the person read them."""


class NotAllowed(TimesheetError):
    """The person may not take this decision."""


def _locked_week(*, employee: Employee, week_start: dt.date) -> Timesheet:
    """Return the employee's timesheet of the week, created as a draft, row-locked.

    Locking the timesheet row serializes a cell save with a submit or a decision on
    the same week (PostgreSQL; SQLite serializes every write anyway).
    """
    sheet, _ = Timesheet.objects.select_for_update().get_or_create(
        employee=employee, week_start=week_start
    )
    return sheet


def _refuse_unless_open(sheet: Timesheet) -> None:
    """Refuse a change to a submitted or approved week (``timesheets.policies``)."""
    if policies.week_is_open(sheet):
        return
    if sheet.status == Timesheet.Status.APPROVED:
        raise WeekNotEditable(LOCKED_MESSAGE)
    raise WeekNotEditable(SUBMITTED_MESSAGE)


def _field_message(column: str, message: str) -> str:
    """Return an import rule's ``{column: message}`` as a sentence for one cell."""
    if message.startswith(("must", "is ")):
        return f"{column.capitalize()} {message}."
    return f"{message}."


@dataclass(frozen=True)
class CellSaved:
    """What a cell save left in the cell: its hours (None when emptied)."""

    hours: Decimal | None
    changed: bool


@transaction.atomic
def time_entry_save_cell(
    *,
    employee: Employee,
    key: RowKey,
    day: dt.date,
    hours: Decimal | None,
    seen: Decimal | None,
) -> CellSaved:
    """Set the hours of one grid cell (row ``key`` × ``day``) of the employee's week.

    ``hours`` None or 0 empties the cell (its entry is deleted). ``seen`` is what the
    person saw in the cell: when the cell holds something else by now (another tab or
    person saved it), the save is refused with ``CellConflict`` instead of silently
    overwriting; the entry is written with a compare-and-set on its hours.

    Refused: a submitted or approved week (``WeekNotEditable``); a cell holding several
    entries (imported with different notes: edit them one by one); and the import's
    rules (``synapse.rules.validate_time_entry``): hours 0–24, the day's total
    at most 24, the day inside the employment, no billable internal or training time
    (``TimesheetError`` with ``errors``).
    """
    sheet = _locked_week(employee=employee, week_start=week_start_of(day))
    _refuse_unless_open(sheet)
    entries = list(
        TimeEntry.objects.filter(employee=employee, date=day, **key.entry_filter()).order_by("pk")
    )
    if len(entries) > 1:
        raise TimesheetError(
            f"This cell holds {len(entries)} separate entries; change them one by one "
            "(API or admin) so that none of their notes is lost."
        )
    entry = entries[0] if entries else None
    current = entry.hours if entry else None
    if (seen or None) != (current or None):
        raise CellConflict(
            f"Someone else changed this cell to {current or 'empty'} since you opened the "
            "week. Save again to replace it with your value."
        )
    if (hours or None) == (current or None):
        return CellSaved(hours=current, changed=False)
    if hours:
        others = (
            TimeEntry.objects.filter(employee=employee, date=day)
            .exclude(pk=entry.pk if entry else None)
            .aggregate(total=Sum("hours", default=Decimal(0)))["total"]
        )
        errors = rules.validate_time_entry(
            {
                "hours": hours,
                "date": day,
                "username": employee.user.username,
                "activity": key.activity,
                "billable": key.billable,
            },
            employment=(employee.employed_from, employee.employed_until),
            other_hours_that_day=others,
        )
        if errors:
            messages = {column: _field_message(column, text) for column, text in errors.items()}
            raise TimesheetError(" ".join(messages.values()), errors=messages)
    if entry is None:
        entry = TimeEntry.objects.create(
            employee=employee, date=day, hours=hours, **key.entry_filter()
        )
        return CellSaved(hours=entry.hours, changed=True)
    same = TimeEntry.objects.filter(pk=entry.pk, hours=current)
    written = same.update(hours=hours) if hours else same.delete()[0]
    if not written:
        raise CellConflict("Someone else changed this cell just now. Reload the week.")
    if hours:
        time_entries_recost(TimeEntry.objects.filter(pk=entry.pk))
        # The compare-and-set UPDATE writes no audit row by itself: record this edit (who,
        # when, what) as a save would. A delete above is recorded by its signal.
        TimeEntry.history.bulk_history_create([TimeEntry.objects.get(pk=entry.pk)], update=True)
    return CellSaved(hours=hours or None, changed=True)


@transaction.atomic
def timesheet_submit(
    *, employee: Employee, week_start: dt.date, version: int, now: dt.datetime
) -> Timesheet:
    """Submit the employee's week for approval (a draft or a rejected week).

    ``version`` is the timesheet version the person saw (0 for a week without a
    timesheet yet); the status change is a compare-and-set on it, so a week decided
    or resubmitted meanwhile is refused with ``StaleTimesheet``. The manager's
    comment of a rejection is kept until the next decision replaces it.
    """
    week_start = week_start_of(week_start)
    sheet = _locked_week(employee=employee, week_start=week_start)
    _refuse_unless_open(sheet)
    updated = Timesheet.objects.filter(
        pk=sheet.pk, version=version, status__in=policies.EDITABLE_STATUSES
    ).update(
        status=Timesheet.Status.SUBMITTED,
        submitted_at=now,
        decided_at=None,
        decided_by=None,
        version=F("version") + 1,
    )
    if not updated:
        raise StaleTimesheet(STALE_MESSAGE.format(status=sheet.get_status_display().lower()))
    sheet.refresh_from_db()
    return sheet


def _decided(*, status: str, by: Any, now: dt.datetime) -> dict[str, Any]:
    """Return the fields a decision writes (the version moves on with it)."""
    return {"status": status, "decided_at": now, "decided_by": by, "version": F("version") + 1}


def _decide(
    *, timesheet: Timesheet, version: int, by: Any, now: dt.datetime, status: str, comment: str
) -> Timesheet:
    if not policies.may_decide_week(by, timesheet):
        raise NotAllowed("Only the employee's manager (or an admin) can decide this week.")
    if timesheet.status != Timesheet.Status.SUBMITTED and timesheet.version == version:
        raise StaleTimesheet(
            f"This week is {timesheet.get_status_display().lower()}, not submitted: "
            "there is nothing to decide."
        )
    updated = Timesheet.objects.filter(
        pk=timesheet.pk, version=version, status=Timesheet.Status.SUBMITTED
    ).update(comment=comment, **_decided(status=status, by=by, now=now))
    if not updated:
        timesheet.refresh_from_db()
        raise StaleTimesheet(STALE_MESSAGE.format(status=timesheet.get_status_display().lower()))
    timesheet.refresh_from_db()
    return timesheet


@transaction.atomic
def timesheet_approve(
    *, timesheet: Timesheet, version: int, by: Any, now: dt.datetime, comment: str = ""
) -> Timesheet:
    """Approve a submitted week as ``by`` (its employee's manager, or an admin).

    A compare-and-set on ``version``: a week resubmitted, rejected or approved since
    the manager read it is refused with ``StaleTimesheet``. Once approved the week is
    locked (``timesheets.policies.week_editable``).
    """
    return _decide(
        timesheet=timesheet,
        version=version,
        by=by,
        now=now,
        status=Timesheet.Status.APPROVED,
        comment=comment.strip(),
    )


@transaction.atomic
def timesheet_reject(
    *, timesheet: Timesheet, version: int, by: Any, now: dt.datetime, comment: str
) -> Timesheet:
    """Reject a submitted week with a comment saying what to fix (required).

    The week goes back to its owner, editable again, with the comment shown on it.
    Same permission and compare-and-set as ``timesheet_approve``.
    """
    comment = comment.strip()
    if not comment:
        raise TimesheetError(
            "Say what to fix: a rejection needs a comment.",
            errors={"comment": "Say what to fix: a rejection needs a comment."},
        )
    return _decide(
        timesheet=timesheet,
        version=version,
        by=by,
        now=now,
        status=Timesheet.Status.REJECTED,
        comment=comment,
    )


@transaction.atomic
def timesheets_approve(
    *, timesheets: QuerySet[Timesheet], by: Any, now: dt.datetime
) -> tuple[int, int]:
    """Approve the submitted timesheets among ``timesheets``; return (approved, skipped).

    The admin's bulk action (superusers). Only submitted weeks are approved, in one
    UPDATE conditional on the status: a draft is still being filled in and a rejected
    week waits for its owner to resubmit, so both are skipped.
    """
    total = timesheets.count()
    approved = timesheets.filter(status=Timesheet.Status.SUBMITTED).update(
        **_decided(status=Timesheet.Status.APPROVED, by=by, now=now)
    )
    return approved, total - approved


def timesheet_copy_last_week(*, employee: Employee, week_start: dt.date) -> list[RowKey]:
    """Return last week's rows that the employee's week does not have yet.

    Copies the rows (what was worked on, activity, billable), not the hours: hours
    are what was worked this week, and copying them would log time nobody entered.
    The rows are shown empty in the grid until a cell is filled. Refused on a
    submitted or approved week (``WeekNotEditable``).
    """
    week_start = week_start_of(week_start)
    sheet = Timesheet.objects.filter(employee=employee, week_start=week_start).first()
    if sheet is not None:
        _refuse_unless_open(sheet)
    have = set(week_rows(employee=employee, week_start=week_start))
    previous = week_rows(employee=employee, week_start=week_start - dt.timedelta(days=7))
    return [key for key in previous if key not in have]
