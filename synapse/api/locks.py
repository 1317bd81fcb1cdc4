"""The approved-week lock on time entries, as the API applies it."""

from __future__ import annotations

import datetime as dt

from timesheets.models import Employee, Timesheet

LOCKED_MESSAGE = (
    "The timesheet of the week of {day} is approved: its time entries are locked. "
    "Ask an administrator to change them."
)


def week_start_of(day: dt.date) -> dt.date:
    """Return the Monday of ``day``'s week (timesheets start on Mondays)."""
    return day - dt.timedelta(days=day.weekday())


def time_entry_week_is_locked(*, employee: Employee, day: dt.date) -> bool:
    """Return whether the employee's timesheet of the week holding ``day`` is approved.

    Uses ``timesheets.services.timesheet_week_is_locked`` when that service exists (the
    timesheet workflow owns the rule); until then, the week's timesheet status.
    """
    from timesheets import services

    rule = getattr(services, "timesheet_week_is_locked", None)
    if rule is not None:
        return bool(rule(employee=employee, day=day))
    return Timesheet.objects.filter(
        employee=employee,
        week_start=week_start_of(day),
        status=Timesheet.Status.APPROVED,
    ).exists()
