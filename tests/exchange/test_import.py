"""import_data: the example folder, upserts, dry runs, derived data, and every validation rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from projects.models import (
    Client,
    Contract,
    Downtime,
    Overhead,
    Project,
    ProjectExpense,
    ProjectProgress,
)
from support.models import Ticket, TicketPause
from surveys.models import SurveyInvitation, SurveyResponse
from synapse.kpis.periods import local_midnight
from tests.exchange.conftest import run_command, write_folder
from tests.paths import SMALL_FIRM
from timesheets.models import Employee, Holiday, Leave, Rate, TimeEntry

pytestmark = pytest.mark.django_db


ALL_MODELS = (
    Client,
    Contract,
    Project,
    ProjectProgress,
    ProjectExpense,
    Downtime,
    Overhead,
    Employee,
    Rate,
    Holiday,
    Leave,
    Ticket,
    TicketPause,
    TimeEntry,
    SurveyInvitation,
    SurveyResponse,
)


def row_counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in ALL_MODELS}
    counts["User"] = get_user_model().objects.count()
    return counts


def nothing_written() -> bool:
    return not any(row_counts().values())


# The example folder.


def test_the_small_firm_example_imports_with_its_row_counts():
    status, out, err = run_command("import_data", str(SMALL_FIRM))
    assert status == 0, err
    assert "clients.csv: 600 rows; 600 created, 0 updated, 0 unchanged" in out
    counts = row_counts()
    assert counts["Client"] == 600
    assert counts["Employee"] == 1 and counts["User"] == 1 and counts["Rate"] == 1
    assert counts["Project"] == 1
    assert counts["ProjectExpense"] == 1
    assert counts["Downtime"] == 1
    assert counts["TimeEntry"] == 40
    assert counts["SurveyResponse"] == 140
    entry = TimeEntry.objects.get(entry_id="T1")
    # 6 h × 50 cost, × 140 bill: costed by time_entries_recost after the import.
    assert (entry.cost, entry.bill_value) == (Decimal("300.00"), Decimal("840.00"))


def test_importing_the_same_folder_twice_changes_nothing_the_second_time():
    run_command("import_data", str(SMALL_FIRM))
    before = list(TimeEntry.objects.order_by("pk").values())
    counts = row_counts()
    status, out, _ = run_command("import_data", str(SMALL_FIRM))
    assert status == 0
    assert "clients.csv: 600 rows; 0 created, 0 updated, 600 unchanged" in out
    assert "time_entries.csv: 40 rows; 0 created, 0 updated, 40 unchanged" in out
    assert " 0 created" in out and "updated" in out
    assert all(" 0 created, 0 updated" in line for line in out.splitlines() if "rows;" in line)
    assert row_counts() == counts
    assert list(TimeEntry.objects.order_by("pk").values()) == before


# A folder with every file.


def test_every_file_imports_with_references_resolved_and_derived_data(folder):
    status, out, err = run_command("import_data", str(folder()))
    assert status == 0, err
    counts = row_counts()
    assert counts == {
        "Client": 2,
        "Contract": 1,
        "Project": 2,
        "ProjectProgress": 1,
        "ProjectExpense": 1,
        "Downtime": 1,
        "Overhead": 1,
        "Employee": 2,
        "Rate": 3,
        "Holiday": 1,
        "Leave": 1,
        "Ticket": 2,
        "TicketPause": 1,
        "TimeEntry": 3,
        "SurveyInvitation": 1,
        "SurveyResponse": 2,
        "User": 2,
    }
    ann = Employee.objects.get(user__username="ann")
    assert not ann.user.has_usable_password()
    assert ann.user.email == "ann@example.com"
    assert Employee.objects.get(user__username="bob").hours_per_day == Decimal(8)
    e1, e2, e3 = TimeEntry.objects.order_by("entry_id")
    # ann from 2025-01-01 at 60/150; bob at his first rate 80/200.
    assert (e1.cost, e1.bill_value, e1.project.code) == (Decimal("360.00"), Decimal("900.00"), "P1")
    # Not billable; cost attributed to the ticket's contract.
    assert (e2.cost, e2.bill_value, e2.cost_contract.code) == (Decimal("120.00"), 0, "MS1")
    assert (e3.cost, e3.bill_value) == (Decimal("600.00"), Decimal("1500.00"))
    t1 = Ticket.objects.get(ref="T1")
    assert t1.status == Ticket.Status.RESOLVED and t1.assignee == ann
    assert Ticket.objects.get(ref="T2").status == Ticket.Status.NEW
    # Derived after the import: the SLA outcome (P2, business hours, 1 h paused) ...
    assert (t1.response_met, t1.resolution_met, t1.sla_met) == (True, True, True)
    # ... and the project's integration window (00:00 firm time on its actual start).
    assert Project.objects.get(code="P1").window_start == local_midnight(dt.date(2025, 1, 6))
    assert Overhead.objects.get().month == dt.date(2025, 1, 1)
    assert ProjectProgress.objects.get().percent_complete == Decimal("25.5")
    response = SurveyResponse.objects.get(response_id="R1")
    assert response.invitation.invitation_id == "I1" and response.ticket == t1
    assert Project.objects.get(code="P2").requirements_met is False


def test_a_changed_row_is_updated_and_the_rest_unchanged(folder):
    run_command("import_data", str(folder()))
    changed = folder({"rates.csv": ("ann,2025-01-01,60,150", "ann,2025-01-01,70,150")})
    status, out, _ = run_command("import_data", str(changed))
    assert status == 0
    assert "rates.csv: 1 rows; 0 created, 1 updated, 0 unchanged" in out
    assert "time_entries.csv: 3 rows; 0 created, 0 updated, 3 unchanged" in out
    # The rate change recosts ann's entries already stored: 6 h × 70.
    assert TimeEntry.objects.get(entry_id="E1").cost == Decimal("420.00")


def test_an_absent_optional_column_keeps_the_stored_value_on_update(folder):
    run_command("import_data", str(folder()))
    Project.objects.filter(code="P1").update(user_count=250)
    projects = (
        "code,client_code,name,revenue,budget,planned_start,planned_end,status\n"
        "P1,C1,ERP rollout,150000,100000,2025-01-06,2025-03-28,completed\n"
    )
    status, out, _ = run_command("import_data", str(folder({"projects.csv": projects})))
    assert status == 0
    p1 = Project.objects.get(code="P1")
    assert (p1.status, p1.user_count, p1.actual_start) == ("completed", 250, dt.date(2025, 1, 6))


def test_dry_run_reports_counts_and_writes_nothing(folder):
    status, out, _ = run_command("import_data", str(folder()), "--dry-run")
    assert status == 0
    assert "time_entries.csv: 3 rows; 3 created, 0 updated, 0 unchanged" in out
    assert "Dry run" in out
    assert nothing_written()


# Validation: each rule reports FILE:LINE: COLUMN and nothing is written.

CASES = [
    # (changes, the expected error line's start)
    ({"clients.csv": ("code,name", "code,colour,name")}, "clients.csv:1: colour: unknown column"),
    (
        {"projects.csv": ("revenue,budget,planned_start", "revenue,planned_start")},
        "projects.csv:1: budget: required column is missing",
    ),
    (
        {
            "time_entries.csv": (
                "E1,ann,2025-02-03,6,true,delivery,P1",
                "E1,ann,2025-02-03,6,true,delivery,P9",
            )
        },
        "time_entries.csv:2: project_code: unknown project “P9”",
    ),
    (
        {"tickets.csv": ("T2,C1,P1,,P3", "T2,C7,P1,,P3")},
        "tickets.csv:3: client_code: unknown client “C7”",
    ),
    (
        {"clients.csv": ("C1,Acme,2024-01-01", "C1,Acme,2024-13-01")},
        "clients.csv:2: became_client_on:",
    ),
    (
        {"tickets.csv": ("2025-02-04T09:00:00Z", "yesterday")},
        "tickets.csv:3: opened_at: “yesterday” is not a datetime",
    ),
    (
        {"project_expenses.csv": ("hardware,1200.50", 'hardware,"1,200.50"')},
        "project_expenses.csv:2: amount: “1,200.50” is not a decimal number",
    ),
    (
        {"time_entries.csv": ("7.5,yes", "7.5,maybe")},
        "time_entries.csv:4: billable: “maybe” is not a boolean",
    ),
    (
        {"time_entries.csv": ("E3,bob,2024-12-02,7.5", "E3,bob,2024-12-02,25")},
        "time_entries.csv:4: hours: must be between 0 and 24 (got 25)",
    ),
    (
        {"time_entries.csv": ("E1,ann,2025-02-03,6,", "E1,ann,2025-02-03,23,")},
        "time_entries.csv:3: hours: ann would log 25.00 hours on 2025-02-03 (more than 24)",
    ),
    (
        {"contracts.csv": ("Managed services,10000", "Managed services,-10")},
        "contracts.csv:2: monthly_fee: must not be negative (got -10)",
    ),
    (
        {"leave.csv": ("ann,2025-02-07,8", "ann,2025-02-07,0")},
        "leave.csv:2: hours: must be more than 0 and at most 24 (got 0)",
    ),
    (
        {"survey_responses.csv": ("R1,csat,C1,5", "R1,csat,C1,6")},
        "survey_responses.csv:2: score: must be between 1 and 5 for csat (got 6)",
    ),
    (
        {"survey_responses.csv": ("R2,nps,C2,9", "R2,nps,C2,11")},
        "survey_responses.csv:3: score: must be between 0 and 10 for nps (got 11)",
    ),
    (
        {"projects.csv": ("2025-01-06,2025-03-28,2025-01-06", "2025-01-06,2024-12-28,2025-01-06")},
        "projects.csv:2: planned_end: 2024-12-28 is before planned_start 2025-01-06",
    ),
    (
        {
            "projects.csv": (
                "2025-03-28,2025-01-06,,active",
                "2025-03-28,2025-01-06,2025-01-05,active",
            )
        },
        "projects.csv:2: actual_end: 2025-01-05 is before actual_start 2025-01-06",
    ),
    (
        {"contracts.csv": ("2024-01-01,\n", "2024-01-01,2023-12-31\n")},
        "contracts.csv:2: end_date: 2023-12-31 is before start_date 2024-01-01",
    ),
    (
        {"downtime.csv": ("2025-01-10T11:30:00", "2025-01-10T08:30:00")},
        "downtime.csv:2: ended_at:",
    ),
    (
        {"ticket_pauses.csv": ("2025-02-03T12:00:00Z", "2025-02-03T10:59:00Z")},
        "ticket_pauses.csv:2: resumed_at:",
    ),
    (
        {"tickets.csv": ("2025-02-03T15:00:00Z", "2025-02-03T09:00:00Z")},
        "tickets.csv:2: resolved_at: 2025-02-03T09:00:00+00:00 is before opened_at",
    ),
    (
        {"time_entries.csv": ("E3,bob,2024-12-02", "E3,bob,2023-12-01")},
        "time_entries.csv:4: date: 2023-12-01 is outside the employment of bob "
        "(2024-01-01 to 2025-12-31)",
    ),
    (
        {"clients.csv": ("C2,Globex", "C1,Globex")},
        "clients.csv:3: code: duplicate key (first on line 2)",
    ),
    (
        {
            "employees.csv": (
                "ann,Ann Analyst,ann@example.com,staff",
                "ann,Ann Analyst,ann@example.com,boss",
            )
        },
        "employees.csv:2: role: “boss” is not one of staff, manager, executive",
    ),
    (
        {"projects.csv": ("fixed,150000", "fixed,")},
        "projects.csv:2: revenue: is required for a fixed-price project",
    ),
    (
        {"projects.csv": (",planned,,", ",paused,,")},
        "projects.csv:3: status: “paused” is not one of",
    ),
    ({"overheads.csv": ("facilities", "rent")}, "overheads.csv:2: category: “rent” is not one of"),
    ({"tickets.csv": (",P3,VPN", ",P5,VPN")}, "tickets.csv:3: priority: “P5” is not one of"),
    ({"time_entries.csv": ("false,support", "false,meeting")}, "time_entries.csv:3: activity:"),
    ({"survey_responses.csv": ("R2,nps", "R2,ces")}, "survey_responses.csv:3: kind:"),
    ({"clients.csv": ("C1,Acme", "C1,")}, "clients.csv:2: name: is required"),
    ({"employees.csv": (",manager,,", ",manager,25,")}, "employees.csv:3: hours_per_day:"),
    ({"employees.csv": ("ann@example.com", "ann-at-example")}, "employees.csv:2: email:"),
    (
        {"progress.csv": ("25.5", "125")},
        "progress.csv:2: percent_complete: must be between 0 and 100",
    ),
    ({"overheads.csv": ("2025-01,", "2025-1,")}, "overheads.csv:2: month:"),
    (
        {
            "survey_invitations.csv": "invitation_id,kind,client_code,contact_email,sent_at,"
            "project_code,ticket_ref\nI1,csat,C1,a@b.example,2025-02-04T08:00:00Z,,T1\n"
            "I2,csat,C1,c@d.example,2025-02-04T08:00:00Z,,T1\n"
        },
        "survey_invitations.csv:3: ticket_ref: ticket “T1” already has a csat invitation (I1)",
    ),
    (
        {"clients.csv": ("C2,Globex,2024-01-01,2025-06-30", "C2,Globex,2024-01-01")},
        "clients.csv:3: -: the row has 3 cells",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), CASES, ids=[c[1][:60] for c in CASES])
def test_an_invalid_row_is_reported_and_nothing_is_written(folder, changes, expected):
    status, _, err = run_command("import_data", str(folder(changes)))
    assert status == 1
    assert any(line.startswith(expected) for line in err.splitlines()), err
    assert nothing_written()


def test_every_error_of_every_file_is_reported(folder):
    changes = {
        "clients.csv": ("C1,Acme,2024-01-01", "C1,,2024-01-99"),
        "time_entries.csv": ("7.5,yes,delivery", "7.5,yes,napping"),
    }
    status, _, err = run_command("import_data", str(folder(changes)))
    assert status == 1
    errors = [line for line in err.splitlines() if ".csv:" in line]
    assert errors == [
        "clients.csv:2: name: is required",
        "clients.csv:2: became_client_on: “2024-01-99” is not a valid date",
        "time_entries.csv:4: activity: “napping” is not one of delivery, rework, support, "
        "internal, training",
    ]


def test_a_file_that_is_not_utf8_is_an_error(folder):
    latin1 = "code,name,became_client_on,churned_on\nC1,Café,2024-01-01,\n".encode("latin-1")
    status, _, err = run_command(
        "import_data", str(folder({"clients.csv": latin1}, only=("clients.csv",)))
    )
    assert status == 1
    assert err.splitlines()[0].startswith("clients.csv:2: -: the file is not UTF-8 text")
    assert nothing_written()


@pytest.mark.parametrize("newline", [b"\n", b""])
def test_a_utf8_character_cut_short_is_an_error_of_its_line(folder, newline):
    """Each line is decoded alone: a sequence cut by the end of its line or file is caught."""
    text = "code,name,became_client_on,churned_on\nC1,Café,2024-01-01,\nC2,Caf".encode()
    cut = text + "é".encode()[:1] + newline
    status, _, err = run_command(
        "import_data", str(folder({"clients.csv": cut}, only=("clients.csv",)))
    )
    assert status == 1
    assert err.splitlines()[0] == "clients.csv:3: -: the file is not UTF-8 text (" + (
        "invalid continuation byte)" if newline else "unexpected end of data)"
    )
    assert nothing_written()


def test_a_utf8_byte_order_mark_is_accepted(folder):
    text = "\ufeffcode,name,became_client_on,churned_on\nC1,Café,2024-01-01,\n"
    status, _, err = run_command(
        "import_data", str(folder({"clients.csv": text}, only=("clients.csv",)))
    )
    assert status == 0, err
    assert Client.objects.get().name == "Café"


def test_an_empty_file_has_no_header(folder):
    status, _, err = run_command(
        "import_data", str(folder({"clients.csv": ""}, only=("clients.csv",)))
    )
    assert status == 1
    assert err.splitlines()[0] == "clients.csv:1: -: the header row is missing"


def test_a_day_total_counts_stored_entries_not_being_replaced(folder, tmp_path):
    run_command("import_data", str(folder()))
    header = VALID_ENTRIES_HEADER
    # E1 (6 h) and E2 (2 h) are stored for ann on 2025-02-03; 17 h more is 25.
    more = write_folder(
        tmp_path / "more",
        {"time_entries.csv": header + "E9,ann,2025-02-03,17,true,delivery,P1,,,\n"},
    )
    status, _, err = run_command("import_data", str(more))
    assert status == 1
    assert err.splitlines()[0] == (
        "time_entries.csv:2: hours: ann would log 25.00 hours on 2025-02-03 (more than 24)"
    )
    assert not TimeEntry.objects.filter(entry_id="E9").exists()
    # Replacing E1 by 22 h: 22 + E2's 2 = 24, allowed (E1's old 6 h no longer counts).
    replace = write_folder(
        tmp_path / "replace",
        {"time_entries.csv": header + "E1,ann,2025-02-03,22,true,delivery,P1,,,\n"},
    )
    status, out, err = run_command("import_data", str(replace))
    assert status == 0, err
    assert "1 updated" in out
    assert TimeEntry.objects.get(entry_id="E1").hours == Decimal(22)


def test_a_day_total_is_checked_even_after_an_earlier_error(folder):
    changes = {
        "clients.csv": ("C2,Globex,2024-01-01", "C2,Globex,2024-02-30"),
        "time_entries.csv": ("E1,ann,2025-02-03,6,", "E1,ann,2025-02-03,23,"),
    }
    status, _, err = run_command("import_data", str(folder(changes)))
    assert status == 1
    assert "time_entries.csv:3: hours: ann would log 25.00 hours on 2025-02-03" in err


def test_a_reference_to_a_code_stored_in_the_database_is_accepted(folder):
    run_command("import_data", str(folder(only=("clients.csv",))))
    status, _, err = run_command("import_data", str(folder(only=("contracts.csv",))))
    assert status == 0, err
    assert Contract.objects.get().client.code == "C1"


def test_a_missing_directory_is_a_usage_error(tmp_path):
    status, _, _ = run_command("import_data", str(tmp_path / "nope"))
    assert status == 2


VALID_ENTRIES_HEADER = (
    "entry_id,username,date,hours,billable,activity,project_code,contract_code,ticket_ref,note\n"
)
