"""Two people saving the same ticket or timesheet week at once: nobody is silently overwritten.

Every save carries the version (or, for a grid cell, the hours) its author saw, and the
service writes with a compare-and-set on it: of two saves based on the same state one
lands and the other is refused with a conflict, changing nothing. The interleaved tests
run on any database; the threaded ones need PostgreSQL (two real connections at once;
SQLite serializes every writer anyway).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, connections

from support.models import Ticket
from support.services import TicketConflict, ticket_escalate, ticket_transition, ticket_update
from tests.factories import EmployeeFactory, ProjectFactory, TicketFactory, UserFactory
from timesheets import services as sheets
from timesheets.models import Employee, TimeEntry, Timesheet
from timesheets.selectors import RowKey

MONDAY = dt.date(2025, 2, 3)
NOW = dt.datetime(2025, 2, 10, 9, 0, tzinfo=dt.UTC)


def race(*saves: Callable[[], object]) -> list[str]:
    """Run ``saves`` in threads released at the same moment; return "saved"/"refused"."""
    barrier = threading.Barrier(len(saves))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(save: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            save()
            outcome = "saved"
        except (TicketConflict, sheets.TimesheetError):
            outcome = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(save,)) for save in saves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two saves at once need a server database (run with DATABASE_URL)")


def _week(username: str = "ada") -> tuple[Employee, Employee, RowKey]:
    boss = EmployeeFactory(user=UserFactory(username=f"boss-{username}"), role="manager")
    ada = EmployeeFactory(user=UserFactory(username=username), manager=boss)
    row = RowKey(ProjectFactory().pk, None, None, "delivery", True)
    return ada, boss, row


def _cell(ada: Employee, row: RowKey, hours: str, seen: str | None = None):
    return sheets.time_entry_save_cell(
        employee=ada,
        key=row,
        day=MONDAY,
        hours=Decimal(hours),
        seen=None if seen is None else Decimal(seen),
    )


# --- Interleaved: both read, then both save ---------------------------------------------


@pytest.mark.django_db
def test_the_second_of_two_ticket_saves_on_the_same_version_is_refused():
    agent = EmployeeFactory(role="staff")
    ticket = TicketFactory(assignee=agent, subject="Mail down")
    seen_by_a = Ticket.objects.get(pk=ticket.pk)
    seen_by_b = Ticket.objects.get(pk=ticket.pk)
    ticket_transition(ticket=seen_by_a, by=agent.user, version=0, to_status="in_progress")
    with pytest.raises(TicketConflict):
        ticket_update(
            ticket=seen_by_b,
            by=agent.user,
            version=0,
            client=ticket.client,
            priority="P1",
            subject="B's subject",
        )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.subject, ticket.priority, ticket.version) == (
        "in_progress",
        "Mail down",
        "P3",
        1,
    )


@pytest.mark.django_db
def test_two_tabs_filling_the_same_empty_cell_keep_the_first_and_refuse_the_second():
    ada, _, row = _week()
    _cell(ada, row, "4")  # tab A saw the cell empty
    with pytest.raises(sheets.CellConflict):
        _cell(ada, row, "6")  # tab B saw it empty too
    assert list(TimeEntry.objects.values_list("hours", flat=True)) == [Decimal("4.00")]


@pytest.mark.django_db
def test_approve_and_reject_of_the_same_submitted_version_decide_once():
    ada, boss, row = _week()
    _cell(ada, row, "8")
    sheet = sheets.timesheet_submit(employee=ada, week_start=MONDAY, version=0, now=NOW)
    seen = Timesheet.objects.get(pk=sheet.pk)
    sheets.timesheet_approve(timesheet=sheet, version=sheet.version, by=boss.user, now=NOW)
    with pytest.raises(sheets.StaleTimesheet):
        sheets.timesheet_reject(
            timesheet=seen, version=seen.version, by=boss.user, now=NOW, comment="Fix it"
        )
    sheet.refresh_from_db()
    assert (sheet.status, sheet.comment, sheet.version) == ("approved", "", 2)


# --- Threaded: two connections at the same moment (PostgreSQL) ----------------------------


@pytest.mark.django_db(transaction=True)
def test_two_status_changes_at_once_one_lands():
    needs_postgresql()
    agent = EmployeeFactory(role="staff")
    ticket = TicketFactory(assignee=agent)
    outcomes = race(
        lambda: ticket_transition(ticket=ticket, by=agent.user, version=0, to_status="waiting"),
        lambda: ticket_escalate(ticket=ticket, by=agent.user, version=0, reason="Angry CEO"),
    )
    ticket.refresh_from_db()
    assert outcomes == ["refused", "saved"]
    assert ticket.version == 1
    assert (ticket.status == "waiting") != ticket.escalated  # exactly one of the two changes


@pytest.mark.django_db(transaction=True)
def test_two_saves_of_the_same_cell_at_once_one_lands():
    needs_postgresql()
    ada, _, row = _week("ada-cell")
    outcomes = race(lambda: _cell(ada, row, "4"), lambda: _cell(ada, row, "6"))
    assert outcomes == ["refused", "saved"]
    assert TimeEntry.objects.filter(employee=ada).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_cell_save_and_a_submit_at_once_never_change_a_submitted_week():
    needs_postgresql()
    ada, _, row = _week("ada-submit")
    _cell(ada, row, "8")
    outcomes = race(
        lambda: _cell(ada, row, "2", seen="8"),
        lambda: sheets.timesheet_submit(employee=ada, week_start=MONDAY, version=0, now=NOW),
    )
    sheet = Timesheet.objects.get(employee=ada)
    hours = TimeEntry.objects.get(employee=ada).hours
    assert sheet.status == "submitted"  # the submit always lands (the cell save waits or fails)
    # Either the cell was saved before the submit (2 h, submitted with it) or it was
    # refused because the week had been submitted (8 h): never a change after submitting.
    assert (outcomes, hours) in [
        (["saved", "saved"], Decimal("2.00")),
        (["refused", "saved"], Decimal("8.00")),
    ]


@pytest.mark.django_db(transaction=True)
def test_approve_and_reject_at_once_decide_once():
    needs_postgresql()
    ada, boss, row = _week("ada-decide")
    _cell(ada, row, "8")
    sheet = sheets.timesheet_submit(employee=ada, week_start=MONDAY, version=0, now=NOW)
    outcomes = race(
        lambda: sheets.timesheet_approve(timesheet=sheet, version=1, by=boss.user, now=NOW),
        lambda: sheets.timesheet_reject(
            timesheet=Timesheet.objects.get(pk=sheet.pk),
            version=1,
            by=boss.user,
            now=NOW,
            comment="Fix Monday",
        ),
    )
    sheet.refresh_from_db()
    assert outcomes == ["refused", "saved"]
    assert sheet.version == 2
    assert sheet.status in {"approved", "rejected"}
