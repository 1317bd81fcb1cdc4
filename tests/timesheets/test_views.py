"""Views of the weekly timesheet and the approvals: rules, permissions, HTMX, CSRF."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import EmployeeFactory, ProjectFactory, TimeEntryFactory, UserFactory
from timesheets import policies, services
from timesheets.models import Employee, TimeEntry, Timesheet
from timesheets.selectors import RowKey

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 2, 3)
WEDNESDAY = dt.date(2025, 2, 5)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def boss():
    return EmployeeFactory(
        user=UserFactory(username="boss", first_name="Bo", last_name="Ss"),
        role=Employee.Role.MANAGER,
        full_name="Bo Ss",
    )


@pytest.fixture
def ada(boss):
    return EmployeeFactory(user=UserFactory(username="ada"), manager=boss, full_name="Ada L")


@pytest.fixture
def project():
    return ProjectFactory(code="PRJ-ERP", name="ERP rollout")


@pytest.fixture
def row(project):
    return RowKey(project.pk, None, None, "delivery", True)


def _client(employee_or_user) -> Client:
    client = Client()
    client.force_login(getattr(employee_or_user, "user", employee_or_user))
    return client


def _cell(row, day=WEDNESDAY, hours="", seen=""):
    return {"row": row.token, "day": day.isoformat(), "hours": hours, "seen": seen}


def _post_cell(client, row, **kwargs):
    return client.post(reverse("timesheets:cell"), _cell(row, **kwargs), headers=HTMX)


def _submitted(employee, week_start=MONDAY) -> Timesheet:
    return services.timesheet_submit(
        employee=employee,
        week_start=week_start,
        version=0,
        now=dt.datetime(2025, 2, 7, 17, 0, tzinfo=dt.UTC),
    )


# --- The week page ------------------------------------------------------------------------


def test_staff_see_their_week_with_totals_per_day_and_week(ada, project):
    TimeEntryFactory(employee=ada, date=MONDAY, project=project, hours=Decimal("7.5"))
    TimeEntryFactory(employee=ada, date=WEDNESDAY, project=project, hours=Decimal(8))
    TimeEntryFactory(employee=ada, date=WEDNESDAY, activity="internal", billable=False)

    response = _client(ada).get(reverse("timesheets:week"), {"week": "2025-02-06"})

    assert response.status_code == 200
    grid = response.context["grid"]
    assert grid.week_start == MONDAY
    assert [r.label for r in grid.rows] == ["PRJ-ERP", "Internal"]
    assert grid.day_totals[:3] == [Decimal("7.50"), Decimal(0), Decimal("16.00")]
    assert (grid.total, grid.billable_total) == (Decimal("23.50"), Decimal("15.50"))
    html = response.content.decode()
    assert 'id="week-total">23.5<' in html
    assert "ERP rollout · Delivery · billable" in html
    assert 'name="hours"' in html and "Submit the week" in html


def test_the_landing_page_opens_the_current_week(ada, time_machine):
    time_machine.move_to(dt.datetime(2025, 2, 5, 12, 0, tzinfo=dt.UTC))
    response = _client(ada).get("/timesheet/")
    assert response.context["grid"].week_start == MONDAY


def test_anonymous_users_are_sent_to_sign_in():
    response = Client().get("/timesheet/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_an_approved_week_shows_no_inputs_and_no_submit(ada, boss, project):
    TimeEntryFactory(employee=ada, date=WEDNESDAY, project=project, hours=Decimal(8))
    sheet = _submitted(ada)
    services.timesheet_approve(timesheet=sheet, version=1, by=boss.user, now=sheet.submitted_at)

    html = _client(ada).get("/timesheet/", {"week": "2025-02-03"}).content.decode()

    assert 'name="hours"' not in html
    assert "Submit the week" not in html and "Add row" not in html
    assert "The week is locked" in html


# --- Saving cells -------------------------------------------------------------------------


def test_an_htmx_cell_save_returns_the_cell_and_the_totals_out_of_band(ada, row):
    response = _post_cell(_client(ada), row, hours="7.5")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert f'id="c-{row.token}-20250205"' in html
    assert 'value="7.5"' in html
    assert '<span id="day-total-2" hx-swap-oob="true">7.5</span>' in html
    assert '<strong id="week-total" hx-swap-oob="true">7.5</strong>' in html
    assert f'<span id="row-total-{row.token}" hx-swap-oob="true">7.5</span>' in html
    entry = TimeEntry.objects.get(employee=ada)
    assert (entry.hours, entry.date, entry.cost) == (Decimal("7.50"), WEDNESDAY, Decimal("375.00"))


def test_a_cell_save_without_htmx_redirects_back_to_the_week(ada, row):
    response = _client(ada).post(reverse("timesheets:cell"), _cell(row, hours="3"))

    assert response.status_code == 302
    assert response.url == "/timesheet/?week=2025-02-03"
    assert TimeEntry.objects.get(employee=ada).hours == Decimal("3.00")


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("25", "Hours must be between 0 and 24 (got 25)."),
        ("-2", "Hours must be between 0 and 24 (got -2)."),
        ("abc", "Hours “abc” is not a decimal number (use a . point)."),
        ("7,5", "Hours “7,5” is not a decimal number (use a . point)."),
        ("7.125", "Hours “7.125” has more than 2 decimal places."),
    ],
)
def test_bad_hours_come_back_inline_with_the_import_message(ada, row, hours, message):
    response = _post_cell(_client(ada), row, hours=hours)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'role="alert">{message}</p>' in html.replace("&quot;", '"')
    assert 'aria-invalid="true"' in html
    assert f'value="{hours}"' in html  # what was typed stays, to be corrected
    assert not TimeEntry.objects.exists()


def test_a_day_over_24_hours_comes_back_inline(ada, row):
    TimeEntryFactory(employee=ada, date=WEDNESDAY, hours=Decimal(20), activity="support")

    html = _post_cell(_client(ada), row, hours="5").content.decode()

    assert "ada would log 25.00 hours on 2025-02-05 (more than 24)." in html
    assert TimeEntry.objects.count() == 1


def test_a_day_outside_the_employment_comes_back_inline(row):
    late = EmployeeFactory(user=UserFactory(username="late"), employed_from=dt.date(2025, 2, 5))

    html = _post_cell(_client(late), row, day=dt.date(2025, 2, 4), hours="8").content.decode()

    assert "2025-02-04 is outside the employment of late (2025-02-05 to now)." in html
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize(
    ("status", "message"),
    [("approved", services.LOCKED_MESSAGE), ("submitted", services.SUBMITTED_MESSAGE)],
)
def test_no_cell_is_saved_on_a_submitted_or_approved_week(ada, row, status, message):
    TimeEntryFactory(employee=ada, date=WEDNESDAY, project_id=row.project_id, hours=Decimal(6))
    Timesheet.objects.create(employee=ada, week_start=MONDAY, status=status)

    html = _post_cell(_client(ada), row, hours="8", seen="6").content.decode()

    assert message in html.replace("&#x27;", "'")
    assert TimeEntry.objects.get(employee=ada).hours == Decimal("6.00")


def test_a_cell_changed_in_another_tab_is_not_overwritten(ada, row):
    TimeEntryFactory(employee=ada, date=WEDNESDAY, project_id=row.project_id, hours=Decimal(6))

    html = _post_cell(_client(ada), row, hours="2", seen="").content.decode()

    assert "Someone else changed this cell to 6.00" in html
    assert 'name="seen" value="6"' in html  # saving again replaces it knowingly
    assert TimeEntry.objects.get(employee=ada).hours == Decimal("6.00")


def test_a_malformed_row_is_a_bad_request(ada):
    response = _client(ada).post(
        reverse("timesheets:cell"),
        {"row": "p1-c0-t0-nope-1", "day": "2025-02-05", "hours": "1"},
        headers=HTMX,
    )
    assert response.status_code == 400
    assert not TimeEntry.objects.exists()


def test_a_cell_save_needs_the_csrf_token(ada, row):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada.user)
    page = client.get("/timesheet/", {"week": "2025-02-03"})
    token = str(page.context["csrf_token"])

    refused = client.post(reverse("timesheets:cell"), _cell(row, hours="4"), headers=HTMX)
    assert refused.status_code == 403
    assert not TimeEntry.objects.exists()

    accepted = client.post(
        reverse("timesheets:cell"), _cell(row, hours="4"), headers={**HTMX, "X-CSRFToken": token}
    )
    assert accepted.status_code == 200
    assert TimeEntry.objects.get(employee=ada).hours == Decimal("4.00")


def test_cell_saves_write_only_the_signed_in_persons_time(ada, boss, row):
    _post_cell(_client(boss), row, hours="5")
    assert list(TimeEntry.objects.values_list("employee_id", flat=True)) == [boss.pk]


# --- Rows ---------------------------------------------------------------------------------


def test_add_row_returns_the_grid_with_the_new_empty_row(ada, project):
    client = _client(ada)
    response = client.post(
        reverse("timesheets:add_row"),
        {"week": "2025-02-03", "target": f"project:{project.pk}", "activity": "rework"},
        headers=HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="week-grid"' in html
    assert "ERP rollout · Rework · non-billable" in html
    # The row stays on reload (kept in the session until it holds hours).
    grid = client.get("/timesheet/", {"week": "2025-02-03"}).context["grid"]
    assert [r.key for r in grid.rows] == [RowKey(project.pk, None, None, "rework", False)]
    assert not TimeEntry.objects.exists()


def test_add_row_without_a_target_says_so(ada):
    response = _client(ada).post(
        reverse("timesheets:add_row"), {"week": "2025-02-03", "activity": "delivery"}, headers=HTMX
    )
    assert "This field is required." in response.content.decode()


def test_copy_last_week_adds_its_rows_without_hours(ada, project):
    TimeEntryFactory(employee=ada, date=dt.date(2025, 1, 28), project=project, hours=Decimal(8))
    client = _client(ada)

    html = client.post(
        reverse("timesheets:copy_last_week"), {"week": "2025-02-03"}, headers=HTMX
    ).content.decode()

    assert "1 row(s) copied from last week" in html
    grid = client.get("/timesheet/", {"week": "2025-02-03"}).context["grid"]
    assert [r.label for r in grid.rows] == ["PRJ-ERP"]
    assert grid.total == Decimal(0)


# --- Submit, reject, resubmit, approve ----------------------------------------------------


def test_submit_reject_resubmit_approve(ada, boss, row):
    staff, manager = _client(ada), _client(boss)
    _post_cell(staff, row, hours="8")

    response = staff.post(reverse("timesheets:submit"), {"week": "2025-02-03", "version": "0"})
    assert response.status_code == 302
    sheet = Timesheet.objects.get(employee=ada, week_start=MONDAY)
    assert (sheet.status, sheet.version) == ("submitted", 1)

    queue = manager.get(reverse("timesheets:approvals")).context["waiting"]
    assert [(s.pk, s.hours) for s in queue] == [(sheet.pk, Decimal("8.00"))]

    response = manager.post(
        reverse("timesheets:reject", args=[sheet.pk]),
        {"version": "1", "comment": "Wednesday should be on the support contract"},
    )
    assert response.status_code == 302
    page = staff.get("/timesheet/", {"week": "2025-02-03"}).content.decode()
    assert "Wednesday should be on the support contract" in page
    assert "Resubmit the week" in page

    _post_cell(staff, row, hours="6", seen="8")
    staff.post(reverse("timesheets:submit"), {"week": "2025-02-03", "version": "2"})
    sheet.refresh_from_db()
    assert (sheet.status, sheet.version) == ("submitted", 3)

    manager.post(reverse("timesheets:approve", args=[sheet.pk]), {"version": "3", "comment": ""})
    sheet.refresh_from_db()
    assert (sheet.status, sheet.decided_by) == ("approved", boss.user)
    assert policies.entry_week_refusal(ada.user, employee=ada, day=WEDNESDAY).startswith(
        "The week of 2025-02-03 is approved"
    )
    assert TimeEntry.objects.get(employee=ada).hours == Decimal("6.00")


def test_a_stale_submit_shows_an_error_and_changes_nothing(ada, boss):
    sheet = _submitted(ada)
    services.timesheet_reject(
        timesheet=sheet, version=1, by=boss.user, now=sheet.submitted_at, comment="x"
    )

    response = _client(ada).post(
        reverse("timesheets:submit"), {"week": "2025-02-03", "version": "0"}, follow=True
    )

    assert "changed by someone else" in response.content.decode()
    assert Timesheet.objects.get(pk=sheet.pk).status == "rejected"


def test_rejecting_without_a_comment_is_refused(ada, boss):
    sheet = _submitted(ada)

    response = _client(boss).post(
        reverse("timesheets:reject", args=[sheet.pk]), {"version": "1", "comment": " "}
    )

    assert response.status_code == 200
    assert "Say what to fix: a rejection needs a comment." in response.content.decode()
    assert Timesheet.objects.get(pk=sheet.pk).status == "submitted"


def test_approving_a_stale_version_is_refused(ada, boss):
    sheet = _submitted(ada)

    response = _client(boss).post(
        reverse("timesheets:approve", args=[sheet.pk]), {"version": "0", "comment": ""}
    )

    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert Timesheet.objects.get(pk=sheet.pk).status == "submitted"


# --- Permissions --------------------------------------------------------------------------


def test_a_manager_cannot_see_or_approve_outside_their_team(ada):
    other_manager = EmployeeFactory(role=Employee.Role.MANAGER)
    sheet = _submitted(ada)
    client = _client(other_manager)

    assert client.get(reverse("timesheets:approvals")).context["waiting"] == []
    assert client.get(reverse("timesheets:sheet", args=[sheet.pk])).status_code == 404
    response = client.post(reverse("timesheets:approve", args=[sheet.pk]), {"version": "1"})
    assert response.status_code == 404
    assert Timesheet.objects.get(pk=sheet.pk).status == "submitted"


def test_staff_cannot_open_another_persons_week_nor_the_approvals(ada, boss):
    colleague = EmployeeFactory(manager=boss)
    sheet = _submitted(colleague)
    client = _client(ada)

    assert client.get(reverse("timesheets:sheet", args=[sheet.pk])).status_code == 404
    assert client.get(reverse("timesheets:approvals")).status_code == 403
    assert (
        client.post(reverse("timesheets:approve", args=[sheet.pk]), {"version": "1"}).status_code
        == 403
    )


def test_executives_read_every_week_but_decide_only_their_reports(ada):
    executive = EmployeeFactory(role=Employee.Role.EXECUTIVE)
    sheet = _submitted(ada)
    client = _client(executive)

    assert [s.pk for s in client.get(reverse("timesheets:approvals")).context["waiting"]] == [
        sheet.pk
    ]
    page = client.get(reverse("timesheets:sheet", args=[sheet.pk]))
    assert page.status_code == 200 and "Approve the week" not in page.content.decode()
    response = client.post(reverse("timesheets:approve", args=[sheet.pk]), {"version": "1"})
    assert response.status_code == 403
    assert Timesheet.objects.get(pk=sheet.pk).status == "submitted"


def test_the_manager_reviews_a_submitted_week_read_only(ada, boss, project):
    TimeEntryFactory(employee=ada, date=WEDNESDAY, project=project, hours=Decimal(8))
    sheet = _submitted(ada)

    html = _client(boss).get(reverse("timesheets:sheet", args=[sheet.pk])).content.decode()

    assert "Approve the week" in html and "Reject with comment" in html
    assert 'name="hours"' not in html
    assert "PRJ-ERP" in html


def test_an_admin_without_an_employee_lands_on_the_approvals():
    admin = UserFactory(is_superuser=True, is_staff=True)
    response = _client(admin).get("/timesheet/")
    assert response.status_code == 302 and response.url == reverse("timesheets:approvals")
