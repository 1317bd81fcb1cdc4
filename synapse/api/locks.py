"""The approved-week lock on time entries, as the API applies it."""

from __future__ import annotations

import datetime as dt

from timesheets.models import Employee
from timesheets.services import timesheet_week_is_locked

LOCKED_MESSAGE = (
    "The timesheet of the week of {day} is approved: its time entries are locked. "
    "Ask an administrator to change them."
)


def time_entry_week_is_locked(*, employee: Employee, day: dt.date) -> bool:
    """Return whether the employee's week holding ``day`` is approved (the timesheet rule).

    The rule is ``timesheets.services.timesheet_week_is_locked``, shared with the grid
    and the admin. A submitted week is not locked by it; superusers bypass it (the
    caller checks the role).
    """
    return timesheet_week_is_locked(employee=employee, day=day)
