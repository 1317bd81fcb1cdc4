"""The CSV export action: a header row, then the selected rows' columns, money exact."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from django.urls import reverse

from projects.models import ProjectExpense
from support.models import Ticket
from tests.factories import (
    EmployeeFactory,
    ProjectExpenseFactory,
    TicketFactory,
    TimeEntryFactory,
    UserFactory,
)
from timesheets.models import Employee, TimeEntry
from timesheets.services import time_entries_recost


def _export(admin_client, model, pks) -> list[list[str]]:
    """Run the export action on ``pks`` from ``model``'s changelist; return the CSV rows."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = admin_client.post(
        url, {"action": "export_as_csv", "_selected_action": [str(pk) for pk in pks]}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_export_writes_header_and_exact_money(admin_client, db):
    expense = ProjectExpenseFactory(
        expense_id="X-1",
        project__code="PRJ-7",
        project__name="ERP rollout",
        date=dt.date(2025, 3, 4),
        category="licences",
        amount=Decimal("1234.50"),
    )
    ProjectExpenseFactory(expense_id="X-2", amount=Decimal("99.99"))  # not selected

    rows = _export(admin_client, ProjectExpense, [expense.pk])

    assert rows == [
        ["expense id", "project", "date", "category", "amount"],
        ["X-1", "PRJ-7 ERP rollout", "2025-03-04", "licences", "1234.50"],
    ]


def test_export_of_time_entries_carries_derived_cost_and_bill_value(admin_client, db):
    employee = EmployeeFactory(rates=(Decimal("50.00"), Decimal("140.00")))
    entry = TimeEntryFactory(
        entry_id="T-1", employee=employee, date=dt.date(2025, 2, 3), hours=Decimal("7.25")
    )
    time_entries_recost(TimeEntry.objects.filter(pk=entry.pk))

    rows = _export(admin_client, TimeEntry, [entry.pk])

    header, row = rows
    values = dict(zip(header, row, strict=True))
    # 7.25 h × 50.00 = 362.50 cost; 7.25 h × 140.00 = 1015.00 billable value.
    assert values["cost"] == "362.50"
    assert values["bill value"] == "1015.00"
    assert values["hours"] == "7.25"
    assert values["billable"] == "true"
    assert values["activity"] == "delivery"
    assert values["project"] == ""


def test_export_uses_display_methods_and_firm_local_datetimes(admin_client, db, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    ada = EmployeeFactory(user=UserFactory(username="ada"), full_name="Ada Lovelace")
    ticket = TicketFactory(
        ref="TCK-1", opened_at=dt.datetime(2025, 2, 3, 9, 0, tzinfo=dt.UTC), assignee=ada
    )

    employee_rows = _export(admin_client, Employee, [ada.pk])
    ticket_rows = _export(admin_client, Ticket, [ticket.pk])

    employee = dict(zip(*employee_rows, strict=True))
    assert employee["username"] == "ada"
    assert employee["role"] == "staff"
    assert employee["hours per day"] == "8.00"
    assert employee["manager"] == ""
    opened = dict(zip(*ticket_rows, strict=True))["opened at"]
    assert opened == "2025-02-03T10:00:00+01:00"


def test_export_of_every_row_matching_a_search(admin_client, db):
    for n in range(3):
        ProjectExpenseFactory(expense_id=f"HW-{n}", category="hardware", amount=Decimal("10.01"))
    ProjectExpenseFactory(expense_id="TR-1", category="travel")
    url = reverse("admin:projects_projectexpense_changelist")

    response = admin_client.post(
        f"{url}?q=hardware",
        {"action": "export_as_csv", "select_across": "1", "_selected_action": ["0"]},
    )

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row[0] for row in rows[1:]) == ["HW-0", "HW-1", "HW-2"]
    assert sum(Decimal(row[4]) for row in rows[1:]) == Decimal("30.03")
