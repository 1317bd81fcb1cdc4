"""A week's timesheet in a real browser: a staff member fills and submits it, the
manager rejects it with a comment, the staff member fixes and resubmits it, and the
manager approves it; the approved week is then read-only. Also checked at phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import EmployeeFactory, ProjectFactory
from timesheets.models import TimeEntry, Timesheet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "timesheet-2025"


@pytest.fixture
def team():
    """Create the manager ``maria``, her report ``sam`` and one active project."""
    maria = EmployeeFactory(role="manager", full_name="Maria Manager", user__username="maria")
    sam = EmployeeFactory(full_name="Sam Staff", user__username="sam", manager=maria)
    for employee in (maria, sam):
        employee.user.set_password(PASSWORD)
        employee.user.save()
    project = ProjectFactory(code="PRJ-ERP", name="ERP rollout", status="active")
    return sam, maria, project


def sign_in(page, username: str, lands_on: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(lands_on))


def cell(page, row: int, day: int):
    return page.locator("#week-grid tbody tr").nth(row).locator("input.ts-input").nth(day)


def type_hours(page, row: int, day: int, hours: str, key: str = "Enter") -> None:
    """Type ``hours`` in a cell and leave it with ``key``; wait for the save to land."""
    target = cell(page, row, day)
    with page.expect_response(re.compile(r"/timesheet/cell/$")):
        target.fill(hours)
        target.press(key)


def test_fill_submit_reject_resubmit_approve(chromium, live_server, artifacts, team):
    sam, maria, project = team
    staff_context = chromium.new_context(
        viewport={"width": 1366, "height": 900}, base_url=live_server.url
    )
    staff = staff_context.new_page()
    staff.set_default_timeout(15_000)

    # Sam lands on this week's grid, adds a project row and fills Monday to Wednesday.
    sign_in(staff, "sam", r"/timesheet/$")
    staff.get_by_label("Work on").select_option(value=f"project:{project.pk}")
    staff.get_by_role("button", name="Add row").click()
    staff.locator("#week-grid tbody tr th", has_text="PRJ-ERP").wait_for()
    type_hours(staff, 0, 0, "8")  # Enter saves
    type_hours(staff, 0, 1, "7.5", key="Tab")  # Tab saves and moves on
    type_hours(staff, 0, 2, "25")
    expect(staff.locator(".ts-error")).to_have_text("Hours must be between 0 and 24 (got 25).")
    expect(staff.locator("#week-total")).to_have_text("15.5")
    type_hours(staff, 0, 2, "6")
    expect(staff.locator(".ts-error")).to_have_count(0)
    expect(staff.locator("#week-total")).to_have_text("21.5")
    expect(staff.locator("#day-total-1")).to_have_text("7.5")
    assert TimeEntry.objects.filter(employee=sam).count() == 3
    staff.screenshot(path=str(artifacts / "timesheet-week.png"), full_page=True)

    staff.get_by_role("button", name="Submit the week").click()
    staff.get_by_text("Week submitted for approval.").wait_for()
    expect(staff.locator("input.ts-input")).to_have_count(0)

    # Maria lands on her queue and rejects the week with a comment.
    manager_context = chromium.new_context(
        viewport={"width": 1366, "height": 900}, base_url=live_server.url
    )
    manager = manager_context.new_page()
    manager.set_default_timeout(15_000)
    sign_in(manager, "maria", r"/timesheet/approvals/$")
    queue = manager.locator("table.ts-queue").first
    assert "Sam Staff" in queue.inner_text() and "21.5" in queue.inner_text()
    manager.screenshot(path=str(artifacts / "timesheet-approvals.png"), full_page=True)
    manager.get_by_role("link", name=re.compile("^Review")).click()
    manager.get_by_label("Comment").fill("Wednesday was the support contract, not ERP.")
    manager.screenshot(path=str(artifacts / "timesheet-review.png"), full_page=True)
    manager.get_by_role("button", name="Reject with comment").click()
    manager.get_by_text("rejected.").wait_for()

    # Sam sees the comment, fixes Wednesday and resubmits.
    staff.reload()
    assert (
        "Wednesday was the support contract, not ERP." in staff.locator(".ts-comment").inner_text()
    )
    staff.screenshot(path=str(artifacts / "timesheet-rejected.png"), full_page=True)
    type_hours(staff, 0, 2, "")
    expect(staff.locator("#week-total")).to_have_text("15.5")
    staff.get_by_role("button", name="Resubmit the week").click()
    staff.get_by_text("Week submitted for approval.").wait_for()

    # Maria approves; the week is locked for Sam.
    manager.goto("/timesheet/approvals/")
    manager.get_by_role("link", name=re.compile("^Review")).click()
    manager.get_by_role("button", name="Approve the week").click()
    manager.get_by_text("approved.").wait_for()
    assert Timesheet.objects.get(employee=sam).status == "approved"

    staff.reload()
    expect(staff.locator("input.ts-input")).to_have_count(0)
    assert "The week is locked" in staff.locator(".ts-notice").inner_text()

    # At phone width the grid scrolls sideways with the work column pinned.
    phone = chromium.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url, is_mobile=True
    ).new_page()
    sign_in(phone, "sam", r"/timesheet/$")
    phone.goto(staff.url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(artifacts / "timesheet-phone.png"), full_page=True)
    for context in (staff_context, manager_context, phone.context):
        context.close()
