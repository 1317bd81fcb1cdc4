"""Time entries of a submitted or approved week are locked in the admin, except for superusers.

The rule is ``timesheets.policies.entry_week_refusal``, as on the grid and the API.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import EmployeeFactory, TimeEntryFactory
from timesheets.models import TimeEntry, Timesheet
from timesheets.policies import entry_week_refusal

MONDAY = dt.date(2025, 2, 3)
WEDNESDAY = dt.date(2025, 2, 5)


@pytest.fixture
def ada(clerk):
    """The clerk's own employee record: in the admin, as everywhere, a manager changes
    only their own time (their team's they read and approve)."""
    return clerk.employee


@pytest.fixture
def approved_entry(ada):
    """A 6-hour entry on a Wednesday of a week whose timesheet is approved."""
    Timesheet.objects.create(employee=ada, week_start=MONDAY, status=Timesheet.Status.APPROVED)
    return TimeEntryFactory(employee=ada, date=WEDNESDAY, hours=Decimal(6))


def _form(entry: TimeEntry, **changes) -> dict[str, str]:
    data = {
        "entry_id": entry.entry_id,
        "employee": str(entry.employee_id),
        "date": entry.date.isoformat(),
        "hours": str(entry.hours),
        "billable": "on" if entry.billable else "",
        "activity": entry.activity,
        "project": "",
        "contract": "",
        "ticket": "",
        "note": "",
    }
    data.update(changes)
    return data


def _change_url(entry: TimeEntry) -> str:
    return reverse("admin:timesheets_timeentry_change", args=[entry.pk])


def test_week_is_approved_only_for_that_employee_and_week(clerk, ada, approved_entry):
    other = EmployeeFactory()
    locked = "The week of 2025-02-03 is approved: its time entries are locked."
    assert entry_week_refusal(clerk, employee=ada.pk, day=dt.date(2025, 2, 9)).startswith(locked)
    assert entry_week_refusal(clerk, employee=ada.pk, day=dt.date(2025, 2, 10)) == ""
    assert entry_week_refusal(clerk, employee=ada.pk, day=dt.date(2025, 2, 2)) == ""
    assert entry_week_refusal(clerk, employee=other.pk, day=WEDNESDAY) == ""


def test_submitted_week_is_locked_too(clerk, ada):
    Timesheet.objects.create(employee=ada, week_start=MONDAY, status=Timesheet.Status.SUBMITTED)
    refusal = entry_week_refusal(clerk, employee=ada.pk, day=WEDNESDAY)
    assert refusal.startswith("The week of 2025-02-03 is submitted for approval")


def test_superuser_is_never_refused(admin_user, ada, approved_entry):
    assert entry_week_refusal(admin_user, employee=ada.pk, day=WEDNESDAY) == ""


def test_staff_member_sees_an_approved_entry_read_only(staff_client, approved_entry):
    response = staff_client.get(_change_url(approved_entry))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert response.context["has_delete_permission"] is False
    assert "approved" in " ".join(str(m) for m in response.context["messages"])


def test_staff_member_cannot_change_an_entry_of_an_approved_week(staff_client, approved_entry):
    response = staff_client.post(_change_url(approved_entry), _form(approved_entry, hours="9"))

    assert response.status_code == 403
    approved_entry.refresh_from_db()
    assert approved_entry.hours == Decimal("6.00")


def test_staff_member_cannot_delete_an_entry_of_an_approved_week(staff_client, approved_entry):
    url = reverse("admin:timesheets_timeentry_delete", args=[approved_entry.pk])
    single = staff_client.post(url, {"post": "yes"})
    bulk = staff_client.post(
        reverse("admin:timesheets_timeentry_changelist"),
        {"action": "delete_selected", "_selected_action": [approved_entry.pk], "post": "yes"},
    )

    assert single.status_code == 403
    assert bulk.status_code == 403
    assert TimeEntry.objects.filter(pk=approved_entry.pk).exists()


def test_staff_member_cannot_add_an_entry_to_an_approved_week(staff_client, ada, approved_entry):
    data = _form(approved_entry, entry_id="T-new", date="2025-02-07", hours="2")

    response = staff_client.post(reverse("admin:timesheets_timeentry_add"), data)

    assert response.status_code == 200
    assert "is approved" in str(response.context["adminform"].form.non_field_errors())
    assert not TimeEntry.objects.filter(entry_id="T-new").exists()


def test_staff_member_cannot_move_an_open_entry_into_an_approved_week(
    staff_client, ada, approved_entry
):
    open_entry = TimeEntryFactory(employee=ada, date=dt.date(2025, 2, 10), hours=Decimal(4))

    response = staff_client.post(_change_url(open_entry), _form(open_entry, date="2025-02-04"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    open_entry.refresh_from_db()
    assert open_entry.date == dt.date(2025, 2, 10)


def test_staff_member_can_change_an_entry_of_an_open_week(staff_client, ada, approved_entry):
    open_entry = TimeEntryFactory(employee=ada, date=dt.date(2025, 2, 10), hours=Decimal(4))

    response = staff_client.post(_change_url(open_entry), _form(open_entry, hours="5.5"))

    assert response.status_code == 302
    open_entry.refresh_from_db()
    assert open_entry.hours == Decimal("5.50")


def test_superuser_can_change_an_entry_of_an_approved_week(admin_client, approved_entry):
    response = admin_client.post(_change_url(approved_entry), _form(approved_entry, hours="7.5"))

    assert response.status_code == 302
    approved_entry.refresh_from_db()
    assert approved_entry.hours == Decimal("7.50")


def test_superuser_can_add_an_entry_to_an_approved_week(admin_client, approved_entry):
    data = _form(approved_entry, entry_id="T-late", date="2025-02-06", hours="1.25")

    response = admin_client.post(reverse("admin:timesheets_timeentry_add"), data)

    assert response.status_code == 302
    assert TimeEntry.objects.get(entry_id="T-late").hours == Decimal("1.25")


def test_cost_fields_are_read_only_on_the_form(admin_client, approved_entry):
    response = admin_client.get(_change_url(approved_entry))

    form_fields = set(response.context["adminform"].form.fields)
    assert {"cost", "bill_value", "cost_contract"}.isdisjoint(form_fields)
    assert "hours" in form_fields
