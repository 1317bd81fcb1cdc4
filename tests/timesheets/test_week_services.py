"""Services of the weekly timesheet: cell saves, submit, approve, reject, lock, copy rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import (
    ContractFactory,
    EmployeeFactory,
    ProjectFactory,
    TimeEntryFactory,
    UserFactory,
)
from timesheets import policies, services
from timesheets.models import Employee, TimeEntry, Timesheet
from timesheets.selectors import RowKey, week_grid

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 2, 3)
WEDNESDAY = dt.date(2025, 2, 5)
NOW = dt.datetime(2025, 2, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def boss():
    return EmployeeFactory(user=UserFactory(username="boss"), role=Employee.Role.MANAGER)


@pytest.fixture
def ada(boss):
    # Rates 50 cost / 140 bill per hour (EmployeeFactory).
    return EmployeeFactory(user=UserFactory(username="ada"), manager=boss)


@pytest.fixture
def project():
    return ProjectFactory(code="PRJ-ERP")


@pytest.fixture
def row(project):
    return RowKey(project.pk, None, None, "delivery", True)


def _save(employee, row, day, hours, seen=None):
    return services.time_entry_save_cell(
        employee=employee,
        key=row,
        day=day,
        hours=None if hours is None else Decimal(hours),
        seen=None if seen is None else Decimal(seen),
    )


def _submitted(employee, week_start=MONDAY):
    return services.timesheet_submit(employee=employee, week_start=week_start, version=0, now=NOW)


# --- Cells --------------------------------------------------------------------------------


def test_saving_an_empty_cell_creates_a_costed_entry(ada, row):
    saved = _save(ada, row, WEDNESDAY, "7.5")

    entry = TimeEntry.objects.get(employee=ada, date=WEDNESDAY)
    assert saved.hours == Decimal("7.50")
    assert entry.project_id == row.project_id and entry.activity == "delivery" and entry.billable
    # 7.5 h × 50 cost rate, × 140 bill rate.
    assert entry.cost == Decimal("375.00")
    assert entry.bill_value == Decimal("1050.00")
    assert Timesheet.objects.get(employee=ada, week_start=MONDAY).status == "draft"


def test_saving_a_filled_cell_updates_its_entry_and_its_cost(ada, row):
    _save(ada, row, WEDNESDAY, "7.5")
    _save(ada, row, WEDNESDAY, "4", seen="7.5")

    entry = TimeEntry.objects.get(employee=ada, date=WEDNESDAY)
    assert entry.hours == Decimal("4.00")
    assert entry.cost == Decimal("200.00")


@pytest.mark.parametrize("emptied", [None, "0"])
def test_emptying_a_cell_deletes_its_entry(ada, row, emptied):
    _save(ada, row, WEDNESDAY, "6")
    saved = _save(ada, row, WEDNESDAY, emptied, seen="6")

    assert saved.hours is None
    assert not TimeEntry.objects.filter(employee=ada).exists()


def test_a_cell_changed_elsewhere_is_not_silently_overwritten(ada, row):
    _save(ada, row, WEDNESDAY, "6")
    # Another tab still shows the cell empty and types 3.
    with pytest.raises(services.CellConflict, match="changed this cell to 6.00"):
        _save(ada, row, WEDNESDAY, "3", seen=None)

    assert TimeEntry.objects.get(employee=ada).hours == Decimal("6.00")


def test_a_cell_holding_two_imported_entries_is_not_edited_in_the_grid(ada, row, project):
    for note in ("design", "workshop"):
        TimeEntryFactory(employee=ada, date=WEDNESDAY, hours=Decimal(2), project=project, note=note)

    with pytest.raises(services.TimesheetError, match="holds 2 separate entries"):
        _save(ada, row, WEDNESDAY, "5", seen="4")
    assert TimeEntry.objects.filter(employee=ada).count() == 2


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("25", "Hours must be between 0 and 24 (got 25)."),
        ("-1", "Hours must be between 0 and 24 (got -1)."),
    ],
)
def test_hours_outside_0_to_24_are_refused_with_the_import_message(ada, row, hours, message):
    with pytest.raises(services.TimesheetError) as refused:
        _save(ada, row, WEDNESDAY, hours)

    assert refused.value.errors == {"hours": message}
    assert not TimeEntry.objects.exists()


def test_a_day_over_24_hours_is_refused_with_the_import_message(ada, row, project):
    TimeEntryFactory(employee=ada, date=WEDNESDAY, hours=Decimal(20), activity="support")

    with pytest.raises(services.TimesheetError) as refused:
        _save(ada, row, WEDNESDAY, "5")

    assert refused.value.message == "ada would log 25.00 hours on 2025-02-05 (more than 24)."
    assert TimeEntry.objects.filter(employee=ada).count() == 1


def test_the_day_total_excludes_the_entry_being_replaced(ada, row):
    TimeEntryFactory(employee=ada, date=WEDNESDAY, hours=Decimal(14), activity="support")
    _save(ada, row, WEDNESDAY, "10")

    _save(ada, row, WEDNESDAY, "9", seen="10")  # 14 + 9 = 23, not 14 + 10 + 9

    assert TimeEntry.objects.get(employee=ada, project__isnull=False).hours == Decimal("9.00")


def test_a_day_outside_the_employment_is_refused_with_the_import_message(row):
    late = EmployeeFactory(user=UserFactory(username="late"), employed_from=dt.date(2025, 2, 5))

    with pytest.raises(services.TimesheetError) as refused:
        _save(late, row, dt.date(2025, 2, 4), "8")

    assert refused.value.errors == {
        "date": "2025-02-04 is outside the employment of late (2025-02-05 to now)."
    }


@pytest.mark.parametrize(
    ("status", "message"),
    [("approved", services.LOCKED_MESSAGE), ("submitted", services.SUBMITTED_MESSAGE)],
)
def test_no_cell_changes_on_a_submitted_or_approved_week(ada, row, status, message):
    entry = TimeEntryFactory(
        employee=ada, date=WEDNESDAY, hours=Decimal(6), project_id=row.project_id
    )
    Timesheet.objects.create(employee=ada, week_start=MONDAY, status=status)

    with pytest.raises(services.WeekNotEditable) as refused:
        _save(ada, row, WEDNESDAY, "8", seen="6")

    assert refused.value.message == message
    entry.refresh_from_db()
    assert entry.hours == Decimal("6.00")


def test_a_rejected_week_is_editable_again(ada, row):
    Timesheet.objects.create(employee=ada, week_start=MONDAY, status="rejected", comment="Fix Wed")

    assert _save(ada, row, WEDNESDAY, "8").hours == Decimal("8.00")


# --- The lock rule ------------------------------------------------------------------------


def _fixed(employee, day) -> bool:
    """Return whether the owner may no longer change the employee's week of ``day``."""
    return bool(policies.entry_week_refusal(employee.user, employee=employee, day=day))


def test_submitted_and_approved_weeks_are_fixed(ada, boss):
    Timesheet.objects.create(employee=ada, week_start=MONDAY, status="approved")
    Timesheet.objects.create(employee=ada, week_start=MONDAY + dt.timedelta(7), status="submitted")
    Timesheet.objects.create(employee=ada, week_start=MONDAY + dt.timedelta(14), status="rejected")

    assert _fixed(ada, MONDAY) is True
    assert _fixed(ada, dt.date(2025, 2, 9)) is True
    assert _fixed(ada, WEDNESDAY) is True
    assert _fixed(ada, dt.date(2025, 2, 12)) is True  # submitted
    assert _fixed(ada, dt.date(2025, 2, 19)) is False  # rejected: back with its owner
    assert _fixed(ada, dt.date(2025, 2, 2)) is False  # no timesheet: a draft
    assert _fixed(boss, WEDNESDAY) is False


# --- Submit, approve, reject --------------------------------------------------------------


def test_submit_then_approve_moves_the_version_and_locks_the_week(ada, boss, row):
    _save(ada, row, WEDNESDAY, "8")
    sheet = _submitted(ada)
    assert (sheet.status, sheet.version, sheet.submitted_at) == ("submitted", 1, NOW)

    sheet = services.timesheet_approve(timesheet=sheet, version=1, by=boss.user, now=NOW)

    assert (sheet.status, sheet.version, sheet.decided_by) == ("approved", 2, boss.user)
    assert _fixed(ada, WEDNESDAY)


def test_reject_needs_a_comment_and_the_owner_can_resubmit(ada, boss):
    sheet = _submitted(ada)
    with pytest.raises(services.TimesheetError) as refused:
        services.timesheet_reject(timesheet=sheet, version=1, by=boss.user, now=NOW, comment="  ")
    assert refused.value.errors == {"comment": "Say what to fix: a rejection needs a comment."}
    sheet.refresh_from_db()
    assert sheet.status == "submitted"

    sheet = services.timesheet_reject(
        timesheet=sheet, version=1, by=boss.user, now=NOW, comment="Wednesday is missing"
    )
    assert (sheet.status, sheet.version, sheet.comment) == ("rejected", 2, "Wednesday is missing")

    sheet = services.timesheet_submit(employee=ada, week_start=WEDNESDAY, version=2, now=NOW)
    assert (sheet.status, sheet.version, sheet.decided_by) == ("submitted", 3, None)


def test_a_stale_submit_is_refused(ada, boss):
    sheet = _submitted(ada)
    services.timesheet_reject(timesheet=sheet, version=1, by=boss.user, now=NOW, comment="No")

    # A second tab still shows the week as the draft of version 0.
    with pytest.raises(services.StaleTimesheet, match="changed by someone else"):
        services.timesheet_submit(employee=ada, week_start=MONDAY, version=0, now=NOW)
    assert Timesheet.objects.get(pk=sheet.pk).status == "rejected"


def test_a_decision_on_a_stale_version_is_refused(ada, boss):
    sheet = _submitted(ada)
    stale = Timesheet.objects.get(pk=sheet.pk)
    services.timesheet_reject(timesheet=sheet, version=1, by=boss.user, now=NOW, comment="Fix")
    services.timesheet_submit(employee=ada, week_start=MONDAY, version=2, now=NOW)

    # The manager approves the version 1 page they read before the rejection.
    with pytest.raises(services.StaleTimesheet):
        services.timesheet_approve(timesheet=stale, version=1, by=boss.user, now=NOW)
    assert Timesheet.objects.get(pk=sheet.pk).status == "submitted"


def test_only_the_manager_or_an_admin_decides(ada, boss):
    sheet = _submitted(ada)
    stranger = EmployeeFactory(role=Employee.Role.MANAGER)
    executive = EmployeeFactory(role=Employee.Role.EXECUTIVE)

    for user in (stranger.user, executive.user, ada.user):
        with pytest.raises(services.NotAllowed):
            services.timesheet_approve(timesheet=sheet, version=1, by=user, now=NOW)
    assert Timesheet.objects.get(pk=sheet.pk).status == "submitted"

    admin = UserFactory(is_superuser=True, is_staff=True)
    sheet = services.timesheet_approve(timesheet=sheet, version=1, by=admin, now=NOW)
    assert sheet.status == "approved"


def test_a_manager_cannot_approve_their_own_week(boss):
    boss.manager = boss
    boss.save()
    sheet = _submitted(boss)

    with pytest.raises(services.NotAllowed):
        services.timesheet_approve(timesheet=sheet, version=1, by=boss.user, now=NOW)


def test_bulk_approve_skips_weeks_that_are_not_submitted(ada, boss):
    _submitted(ada)
    Timesheet.objects.create(employee=boss, week_start=MONDAY, status="draft")
    admin = UserFactory(is_superuser=True)

    approved, skipped = services.timesheets_approve(
        timesheets=Timesheet.objects.all(), by=admin, now=NOW
    )

    assert (approved, skipped) == (1, 1)
    assert Timesheet.objects.get(employee=ada).version == 2


# --- Copy last week -----------------------------------------------------------------------


def test_copy_last_week_returns_its_rows_without_hours(ada, project):
    contract = ContractFactory(code="MS-ACME")
    last_wednesday = WEDNESDAY - dt.timedelta(days=7)
    TimeEntryFactory(employee=ada, date=last_wednesday, project=project, hours=Decimal(8))
    TimeEntryFactory(employee=ada, date=last_wednesday, contract=contract, activity="support")
    # Already in this week: not copied twice.
    TimeEntryFactory(employee=ada, date=WEDNESDAY, project=project, hours=Decimal(3))

    rows = services.timesheet_copy_last_week(employee=ada, week_start=WEDNESDAY)

    assert rows == [RowKey(None, contract.pk, None, "support", True)]
    grid = week_grid(employee=ada, week_start=MONDAY, viewer=ada.user, extra_rows=rows)
    assert [r.label for r in grid.rows] == ["PRJ-ERP", "MS-ACME"]
    assert grid.total == Decimal("3.00")


def test_copy_last_week_is_refused_on_a_submitted_week(ada):
    _submitted(ada)
    with pytest.raises(services.WeekNotEditable):
        services.timesheet_copy_last_week(employee=ada, week_start=MONDAY)
