"""Time entries through the API: CRUD, the import's rules, costing, the approved-week lock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import ContractFactory, ProjectFactory, TicketFactory, TimeEntryFactory
from timesheets.models import Employee, TimeEntry, Timesheet

pytestmark = pytest.mark.django_db


def entry(**fields):
    return {
        "date": "2025-02-03",
        "hours": "7.50",
        "billable": True,
        "activity": "delivery",
        **fields,
    }


def test_staff_logs_own_time_and_only_executives_see_its_cost(api):
    ProjectFactory(code="P1")
    response = api("sam").post(
        "/api/v1/time-entries/", entry(entry_id="E1", project="P1"), format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    # The employee defaults to the caller; money is not shown to staff (keys absent).
    assert data["employee"] == "sam"
    assert "cost" not in data
    assert "bill_value" not in data
    # cost = 7.5 h × 50.00, bill value = 7.5 × 140.00, as an executive reads them.
    read = api("boss").get("/api/v1/time-entries/E1/").json()
    assert (read["cost"], read["bill_value"]) == ("375.00", "1050.00")
    stored = TimeEntry.objects.get(entry_id="E1")
    assert stored.hours == Decimal("7.50")
    assert stored.cost == Decimal("375.00")


def test_entry_id_is_generated_when_left_out(api):
    response = api("sam").post(
        "/api/v1/time-entries/", entry(activity="internal", billable=False), format="json"
    )
    assert response.status_code == 201
    assert response.json()["entry_id"].startswith("TE-")


def test_cost_is_attributed_to_the_tickets_contract(api):
    contract = ContractFactory(code="MS-1")
    TicketFactory(ref="T-1", client=contract.client, contract=contract)
    response = api("sam").post(
        "/api/v1/time-entries/", entry(activity="support", ticket="T-1"), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["cost_contract"] == "MS-1"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"hours": "25"}, {"hours": ["must be between 0 and 24 (got 25.00)"]}),
        ({"hours": "-1"}, {"hours": ["must be between 0 and 24 (got -1.00)"]}),
        ({"hours": "1.234"}, {"hours": ["Ensure that there are no more than 2 decimal places."]}),
        (
            {"date": "2023-12-31"},
            {"date": ["2023-12-31 is outside the employment of sam (2024-01-01 to now)"]},
        ),
        (
            {"date": "03/02/2025"},
            {"date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        ({"activity": "golf"}, {"activity": ['"golf" is not a valid choice.']}),
        ({"project": "NOPE"}, {"project": ["Object with code=NOPE does not exist."]}),
    ],
)
def test_time_entry_field_messages(api, fields, errors):
    response = api("sam").post("/api/v1/time-entries/", entry(**fields), format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not TimeEntry.objects.exists()


def test_a_day_over_24_hours_is_refused_but_replacing_an_entry_is_not(api):
    sam = Employee.objects.get(user__username="sam")
    TimeEntryFactory(entry_id="E1", employee=sam, date=dt.date(2025, 2, 3), hours=Decimal(20))
    client = api("sam")
    response = client.post("/api/v1/time-entries/", entry(hours="4.50"), format="json")
    assert response.status_code == 400
    assert response.json() == {"hours": ["sam would log 24.50 hours on 2025-02-03 (more than 24)"]}
    # Changing the 20-hour entry itself does not count its old hours.
    changed = client.patch("/api/v1/time-entries/E1/", {"hours": "23.00"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert TimeEntry.objects.get(entry_id="E1").hours == Decimal(23)


def test_staff_cannot_log_time_for_someone_else(api):
    response = api("sam").post("/api/v1/time-entries/", entry(employee="olga"), format="json")
    assert response.status_code == 400
    assert response.json() == {"employee": ["“olga” is not someone whose time you may log."]}


def test_a_manager_reads_their_teams_time_but_never_logs_it(api):
    """The hours measure the person who logs them: a manager approves, never types them."""
    mia = api("mia")
    for name in ("sam", "olga"):
        refused = mia.post("/api/v1/time-entries/", entry(employee=name), format="json")
        assert refused.status_code == 400
        assert refused.json() == {"employee": [f"“{name}” is not someone whose time you may log."]}
    TimeEntryFactory(entry_id="SAM", employee=Employee.objects.get(user__username="sam"))
    listed = mia.get("/api/v1/time-entries/").json()["results"]
    assert [row["entry_id"] for row in listed] == ["SAM"]


def test_superuser_without_employee_must_name_one(api):
    response = api("root").post("/api/v1/time-entries/", entry(), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "employee": ["is required: you have no employee record of your own."]
    }


def test_staff_see_only_their_own_entries(api):
    TimeEntryFactory(entry_id="SAM", employee=Employee.objects.get(user__username="sam"))
    TimeEntryFactory(entry_id="OLGA", employee=Employee.objects.get(user__username="olga"))
    listed = api("sam").get("/api/v1/time-entries/")
    assert [e["entry_id"] for e in listed.json()["results"]] == ["SAM"]
    assert api("sam").get("/api/v1/time-entries/OLGA/").status_code == 404
    assert api("mia").get("/api/v1/time-entries/SAM/").status_code == 200
    assert api("mia").get("/api/v1/time-entries/OLGA/").status_code == 404
    assert api("boss").get("/api/v1/time-entries/?ordering=entry_id").json()["count"] == 2


def test_executive_reads_all_entries_but_changes_only_their_own(api):
    TimeEntryFactory(entry_id="SAM", employee=Employee.objects.get(user__username="sam"))
    boss = api("boss")
    refused = boss.patch("/api/v1/time-entries/SAM/", {"hours": "1"}, format="json")
    assert refused.status_code == 403
    own = boss.post(
        "/api/v1/time-entries/", entry(activity="internal", billable=False), format="json"
    )
    assert own.status_code == 201
    assert own.json()["employee"] == "boss"


def test_filters_by_employee_and_date_range(api, feb):
    sam = Employee.objects.get(user__username="sam")
    for i, day in enumerate(feb):
        TimeEntryFactory(entry_id=f"E{i}", employee=sam, date=day)
    response = api("mia").get(
        "/api/v1/time-entries/?employee=sam&date_after=2025-02-04&date_before=2025-02-06"
        "&ordering=date"
    )
    assert [e["date"] for e in response.json()["results"]] == [
        "2025-02-04",
        "2025-02-05",
        "2025-02-06",
    ]


def test_approved_week_refuses_create_change_and_delete(api):
    sam = Employee.objects.get(user__username="sam")
    TimeEntryFactory(entry_id="E1", employee=sam, date=dt.date(2025, 2, 4))
    Timesheet.objects.create(
        employee=sam, week_start=dt.date(2025, 2, 3), status=Timesheet.Status.APPROVED
    )
    client = api("sam")
    message = (
        "The week of 2025-02-03 is approved: its time entries are locked. "
        "Ask an administrator to change them."
    )
    created = client.post("/api/v1/time-entries/", entry(date="2025-02-07"), format="json")
    assert created.status_code == 403
    assert created.json() == {"detail": message}
    changed = client.patch("/api/v1/time-entries/E1/", {"hours": "1"}, format="json")
    assert changed.status_code == 403
    moved_out = client.patch("/api/v1/time-entries/E1/", {"date": "2025-02-10"}, format="json")
    assert moved_out.status_code == 403
    assert client.delete("/api/v1/time-entries/E1/").status_code == 403
    assert TimeEntry.objects.get(entry_id="E1").hours == Decimal(8)
    # The next week is open, and a superuser may still correct the locked one.
    assert (
        client.post("/api/v1/time-entries/", entry(date="2025-02-10"), format="json").status_code
        == 201
    )
    fixed = api("root").patch("/api/v1/time-entries/E1/", {"hours": "6"}, format="json")
    assert fixed.status_code == 200
    assert TimeEntry.objects.get(entry_id="E1").hours == Decimal(6)


def test_submitted_week_is_fixed_too(api):
    sam = Employee.objects.get(user__username="sam")
    Timesheet.objects.create(
        employee=sam, week_start=dt.date(2025, 2, 3), status=Timesheet.Status.SUBMITTED
    )
    response = api("sam").post("/api/v1/time-entries/", entry(), format="json")
    assert response.status_code == 403
    assert response.json()["detail"].startswith(
        "The week of 2025-02-03 is submitted for approval: its time entries cannot change"
    )
    assert not TimeEntry.objects.exists()


def test_delete_own_entry(api):
    TimeEntryFactory(entry_id="E1", employee=Employee.objects.get(user__username="sam"))
    assert api("sam").delete("/api/v1/time-entries/E1/").status_code == 204
    assert not TimeEntry.objects.exists()
