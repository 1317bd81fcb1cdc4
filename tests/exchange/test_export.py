"""export_data: every file, canonical; export → import into an empty database → export is exact."""

from __future__ import annotations

import csv
import datetime as dt
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from projects.models import (
    Client,
    ClientContact,
    Contract,
    Downtime,
    Overhead,
    Project,
    ProjectExpense,
    ProjectProgress,
)
from support.models import Ticket, TicketPause
from surveys.models import SurveyInvitation, SurveyResponse
from synapse.exchange.schemas import FILES
from tests.exchange.conftest import run_command
from tests.factories import (
    ClientFactory,
    ContractFactory,
    DowntimeFactory,
    EmployeeFactory,
    HolidayFactory,
    LeaveFactory,
    OverheadFactory,
    ProjectExpenseFactory,
    ProjectFactory,
    ProjectProgressFactory,
    RateFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
    TicketFactory,
    TicketPauseFactory,
    TimeEntryFactory,
)
from timesheets.models import Employee, Holiday, Leave, Rate, TimeEntry

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def build_firm() -> None:
    """Create a firm touching every file, with awkward values (quotes, newlines, offsets)."""
    acme = ClientFactory(code="C-b", name='Acme "Rockets", Inc.')
    globex = ClientFactory(code="C-a", name="Globex", churned_on=dt.date(2025, 6, 30))
    contract = ContractFactory(
        code="MS-1", client=acme, monthly_fee=Decimal("9999.99"), end_date=dt.date(2025, 12, 31)
    )
    erp = ProjectFactory(
        code="PRJ-2",
        client=acme,
        actual_start=dt.date(2025, 1, 6),
        actual_end=dt.date(2025, 3, 3),
        status=Project.Status.COMPLETED,
        requirements_met=True,
        user_count=120,
    )
    ProjectFactory(
        code="PRJ-1",
        client=globex,
        billing=Project.Billing.TIME_AND_MATERIALS,
        revenue=None,
        budget=Decimal("0.01"),
    )
    ProjectProgressFactory(project=erp, percent_complete=Decimal("33.33"))
    ProjectExpenseFactory(expense_id="X-1", project=erp, category="licences, annual")
    DowntimeFactory(
        downtime_id="DT-1",
        project=erp,
        started_at=dt.datetime(2025, 1, 10, 9, 0, tzinfo=BERLIN),
        ended_at=dt.datetime(2025, 1, 10, 9, 45, 30, 250000, tzinfo=BERLIN),
    )
    OverheadFactory(month=dt.date(2025, 1, 1), category=Overhead.Category.FACILITIES)
    OverheadFactory(month=dt.date(2025, 1, 1), category=Overhead.Category.GENERAL_ADMIN)
    zed = EmployeeFactory(
        user__username="zed",
        full_name="Zoë Zed",
        email="zoe@example.com",
        role=Employee.Role.MANAGER,
        hours_per_day=Decimal("7.5"),
        employed_from=dt.date(2024, 3, 1),
        employed_until=dt.date(2025, 12, 31),
        rates=(Decimal("55.55"), Decimal("150")),
    )
    amy = EmployeeFactory(user__username="amy", full_name="Amy Able")
    RateFactory(employee=zed, effective_from=dt.date(2025, 1, 1))
    HolidayFactory(date=dt.date(2025, 1, 1), name="New Year")
    LeaveFactory(employee=amy, date=dt.date(2025, 2, 7), hours=Decimal("3.5"))
    ticket = TicketFactory(
        ref="TCK-1",
        client=acme,
        project=erp,
        contract=contract,
        priority="P1",
        subject="Line one\nline two",
        opened_at=dt.datetime(2025, 2, 3, 10, 0, tzinfo=dt.UTC),
        first_response_at=dt.datetime(2025, 2, 3, 10, 5, tzinfo=dt.UTC),
        resolved_at=dt.datetime(2025, 2, 3, 18, 0, 0, 123456, tzinfo=dt.UTC),
        assignee=zed,
        escalated=True,
        first_contact_resolved=True,
    )
    TicketFactory(ref="TCK-2", client=globex)
    TicketPauseFactory(
        ticket=ticket,
        paused_at=dt.datetime(2025, 2, 3, 11, 0, tzinfo=dt.UTC),
        resumed_at=dt.datetime(2025, 2, 3, 12, 0, tzinfo=dt.UTC),
    )
    TicketPauseFactory(ticket=ticket, paused_at=dt.datetime(2025, 2, 3, 13, 0, tzinfo=dt.UTC))
    TimeEntryFactory(entry_id="E-1", employee=zed, project=erp, hours=Decimal("6.25"))
    TimeEntryFactory(
        entry_id="E-2", employee=zed, contract=contract, billable=False, activity="support"
    )
    TimeEntryFactory(
        entry_id="E-3",
        employee=amy,
        ticket=ticket,
        hours=Decimal(0),
        billable=False,
        activity="internal",
        note='said "hi", then\nleft — déjà vu',
    )
    invitation = SurveyInvitationFactory(
        invitation_id="INV-1", client=acme, project=erp, contact_email="cio@acme.example"
    )
    SurveyResponseFactory(
        response_id="S-1", client=acme, invitation=invitation, project=erp, comment="Great"
    )
    SurveyResponseFactory(
        response_id="S-2", kind="nps", client=globex, score=0, ticket=ticket, comment="a,\nb"
    )


def wipe() -> None:
    """Empty every table the CSV files fill (children first)."""
    for model in (
        SurveyResponse,
        SurveyInvitation,
        TimeEntry,
        TicketPause,
        Ticket,
        Leave,
        Rate,
        Employee,
        Holiday,
        Overhead,
        Downtime,
        ProjectExpense,
        ProjectProgress,
        Project,
        Contract,
        ClientContact,
        Client,
    ):
        model.objects.all().delete()
    get_user_model().objects.all().delete()


def read_all(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def test_export_then_import_into_an_empty_database_then_export_is_identical(tmp_path):
    build_firm()
    first = tmp_path / "first"
    status, _, err = run_command("export_data", str(first))
    assert status == 0, err
    exported = read_all(first)
    assert sorted(exported) == sorted(schema.name for schema in FILES)
    for name, content in exported.items():
        assert content.count(b"\n") >= 2, f"{name} has no data row"
    wipe()
    status, _, err = run_command("import_data", str(first))
    assert status == 0, err
    second = tmp_path / "second"
    run_command("export_data", str(second))
    assert read_all(second) == exported


def test_export_is_canonical(tmp_path):
    build_firm()
    run_command("export_data", str(tmp_path))
    clients = (tmp_path / "clients.csv").read_text(encoding="utf-8")
    assert clients == (
        "code,name,became_client_on,churned_on\n"
        "C-a,Globex,2024-01-01,2025-06-30\n"
        'C-b,"Acme ""Rockets"", Inc.",2024-01-01,\n'
    )
    employees = (tmp_path / "employees.csv").read_text(encoding="utf-8").splitlines()
    # The rate at employed_from travels with the employee; later rates go to rates.csv.
    assert employees[2] == (
        "zed,Zoë Zed,zoe@example.com,manager,7.50,2024-03-01,2025-12-31,55.55,150.00"
    )
    rates = (tmp_path / "rates.csv").read_text(encoding="utf-8")
    assert rates == "username,effective_from,cost_rate,bill_rate\nzed,2025-01-01,60.00,150.00\n"
    downtime = (tmp_path / "downtime.csv").read_text(encoding="utf-8").splitlines()
    # Firm-local 09:00 in Berlin is 08:00 UTC; microseconds are kept.
    assert downtime[1] == "DT-1,PRJ-2,2025-01-10T08:00:00Z,2025-01-10T08:45:30.250000Z"
    overheads = (tmp_path / "overheads.csv").read_text(encoding="utf-8").splitlines()
    assert overheads[1:] == ["2025-01,facilities,10000.00", "2025-01,general_admin,10000.00"]


def test_an_empty_database_exports_headers_only(tmp_path):
    status, out, _ = run_command("export_data", str(tmp_path))
    assert status == 0
    assert "time_entries.csv: 0 rows" in out
    assert (tmp_path / "holidays.csv").read_text(encoding="utf-8") == "date,name\n"


def test_formula_like_text_travels_exactly_through_export_and_import(tmp_path):
    """export_data is the machine format: no spreadsheet prefix, import_data reads it back."""
    build_firm()
    subject, comment, note = "=cmd|' /C calc'!A0", '=HYPERLINK("http://e.example","x")', "@A1"
    Ticket.objects.filter(ref="TCK-2").update(subject=subject)
    SurveyResponse.objects.filter(response_id="S-1").update(comment=comment)
    TimeEntry.objects.filter(entry_id="E-1").update(note=note)
    first = tmp_path / "first"
    run_command("export_data", str(first))
    tickets = list(csv.DictReader((first / "tickets.csv").open(encoding="utf-8")))
    assert [row["subject"] for row in tickets if row["ref"] == "TCK-2"] == [subject]
    wipe()
    status, _, err = run_command("import_data", str(first))
    assert status == 0, err
    assert Ticket.objects.get(ref="TCK-2").subject == subject
    assert SurveyResponse.objects.get(response_id="S-1").comment == comment
    assert TimeEntry.objects.get(entry_id="E-1").note == note
    second = tmp_path / "second"
    run_command("export_data", str(second))
    assert read_all(second) == read_all(first)
