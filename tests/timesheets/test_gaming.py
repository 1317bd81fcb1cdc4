"""Nobody moves a time KPI or reads money except as the policy allows: the attempts that fail.

``sam`` (staff, in ``mia``'s team) logged 8 billable hours on Monday 3 February 2025
and submitted the week. He then tries to raise his utilization through the API, the
grid and the admin — adding hours to the submitted (later approved) week, booking
time to a ticket he cannot see — and to read the money behind his hours. His billable
utilization, computed by the real KPI engine, does not move; money is absent for staff
and managers and present for executives.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from synapse.kpis.engine import kpis_compute
from synapse.kpis.periods import Period, Scope
from tests.factories import (
    ClientFactory,
    ContractFactory,
    EmployeeFactory,
    ProjectFactory,
    TicketFactory,
    TimeEntryFactory,
    UserFactory,
)
from timesheets import services
from timesheets.models import Employee, TimeEntry, Timesheet
from timesheets.selectors import RowKey

pytestmark = pytest.mark.django_db

FEB = Period.month(2025, 2)
AFTER = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
MONDAY = dt.date(2025, 2, 3)
TUESDAY = dt.date(2025, 2, 4)
NEXT_MONDAY = dt.date(2025, 2, 10)
HTMX = {"HX-Request": "true"}


def utilization() -> Decimal | None:
    """Return sam's billable utilization for February, as the engine computes it."""
    values = kpis_compute(
        period=FEB, scope=Scope("employee", "sam"), as_of=AFTER, keys=["billable_utilization"]
    )
    return values["billable_utilization"].value


@pytest.fixture
def people():
    mia = EmployeeFactory(user=UserFactory(username="mia"), role=Employee.Role.MANAGER)
    sam = EmployeeFactory(user=UserFactory(username="sam"), manager=mia)
    olga = EmployeeFactory(user=UserFactory(username="olga"))
    boss = EmployeeFactory(user=UserFactory(username="boss"), role=Employee.Role.EXECUTIVE)
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    return {"mia": mia, "sam": sam, "olga": olga, "boss": boss, "root": root}


@pytest.fixture
def project():
    return ProjectFactory(code="PRJ-1", client=ClientFactory(code="ACME"))


@pytest.fixture
def submitted(people, project):
    """Sam's week of 3 February: 8 billable hours on Monday, submitted for approval."""
    sam = people["sam"]
    services.time_entry_save_cell(
        employee=sam,
        key=RowKey(project.pk, None, None, "delivery", True),
        day=MONDAY,
        hours=Decimal(8),
        seen=None,
    )
    return services.timesheet_submit(
        employee=sam, week_start=MONDAY, version=0, now=dt.datetime(2025, 2, 7, tzinfo=dt.UTC)
    )


@pytest.fixture
def baseline(submitted):
    value = utilization()
    assert value is not None
    assert value > 0
    return value


def api(person) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=getattr(person, "user", person))
    return client


def _entry(**fields) -> dict:
    return {
        "date": TUESDAY.isoformat(),
        "hours": "8",
        "billable": True,
        "activity": "delivery",
        "project": "PRJ-1",
        **fields,
    }


# --- Week states on the API -------------------------------------------------------------


@pytest.mark.parametrize("state", ["submitted", "approved"])
def test_the_api_refuses_to_add_hours_to_a_submitted_or_approved_week(
    people, submitted, baseline, state
):
    Timesheet.objects.filter(pk=submitted.pk).update(status=state)
    client = api(people["sam"])
    entry = TimeEntry.objects.get(employee=people["sam"])

    created = client.post("/api/v1/time-entries/", _entry(), format="json")
    changed = client.patch(
        f"/api/v1/time-entries/{entry.entry_id}/", {"hours": "12"}, format="json"
    )
    deleted = client.delete(f"/api/v1/time-entries/{entry.entry_id}/")

    assert [created.status_code, changed.status_code, deleted.status_code] == [403, 403, 403]
    assert created.json()["detail"].startswith(f"The week of 2025-02-03 is {state}")
    assert TimeEntry.objects.filter(employee=people["sam"]).count() == 1
    assert utilization() == baseline


def test_the_manager_cannot_top_up_their_reports_week(people, submitted, baseline):
    response = api(people["mia"]).post(
        "/api/v1/time-entries/", _entry(employee="sam"), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"employee": ["“sam” is not someone whose time you may log."]}
    assert utilization() == baseline


def test_a_superuser_may_correct_an_approved_week_and_is_recorded(people, submitted):
    Timesheet.objects.filter(pk=submitted.pk).update(status=Timesheet.Status.APPROVED)
    entry = TimeEntry.objects.get(employee=people["sam"])

    response = api(people["root"]).patch(
        f"/api/v1/time-entries/{entry.entry_id}/", {"hours": "6"}, format="json"
    )

    assert response.status_code == 200, response.json()
    last = entry.history.order_by("-history_id").first()
    assert (last.hours, last.history_user) == (Decimal("6.00"), people["root"])
    submitted.refresh_from_db()
    assert submitted.status == Timesheet.Status.APPROVED  # nothing reopened


# --- Booking targets -------------------------------------------------------------------


@pytest.fixture
def olgas_ticket(people):
    return TicketFactory(
        ref="T-OLGA", subject="Secret merger VPN", assignee=people["olga"], client=ClientFactory()
    )


def test_the_api_refuses_a_ticket_the_caller_cannot_see(people, submitted, olgas_ticket):
    body = _entry(date=NEXT_MONDAY.isoformat(), project=None, ticket="T-OLGA")

    response = api(people["sam"]).post("/api/v1/time-entries/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"ticket": ["No ticket “T-OLGA” that you may book time to."]}


def test_the_grid_refuses_a_ticket_the_user_cannot_see(people, submitted, olgas_ticket):
    client = Client()
    client.force_login(people["sam"].user)
    row = RowKey(None, None, olgas_ticket.pk, "support", True)

    response = client.post(
        reverse("timesheets:cell"),
        {"row": row.token, "day": NEXT_MONDAY.isoformat(), "hours": "8", "seen": ""},
        headers=HTMX,
    )

    assert response.status_code == 400
    assert f"no ticket {olgas_ticket.pk} that you may book time to" in response.content.decode()
    assert not TimeEntry.objects.filter(ticket=olgas_ticket).exists()
    page = client.get("/timesheet/", {"week": NEXT_MONDAY.isoformat()}).content.decode()
    assert "Secret merger VPN" not in page


def test_the_grid_never_shows_the_subject_of_a_ticket_no_longer_visible(people, olgas_ticket):
    # Booked while the ticket was sam's; then it went to olga.
    TimeEntryFactory(employee=people["sam"], date=NEXT_MONDAY, ticket=olgas_ticket)
    client = Client()
    client.force_login(people["sam"].user)

    page = client.get("/timesheet/", {"week": NEXT_MONDAY.isoformat()}).content.decode()

    assert "Secret merger VPN" not in page
    assert f"ticket {olgas_ticket.pk}" in page


def test_the_grid_refuses_hours_in_a_submitted_week(people, submitted, project, baseline):
    client = Client()
    client.force_login(people["sam"].user)
    row = RowKey(project.pk, None, None, "delivery", True)

    response = client.post(
        reverse("timesheets:cell"),
        {"row": row.token, "day": TUESDAY.isoformat(), "hours": "8", "seen": ""},
        headers=HTMX,
    )

    assert "submitted for approval" in response.content.decode()
    assert utilization() == baseline


# --- The admin for non-superusers ---------------------------------------------------------


def test_the_admin_refuses_hours_in_a_submitted_week(people, submitted, project, baseline):
    user = people["sam"].user
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_timeentry", "add_timeentry", "change_timeentry", "view_employee"]
        )
    )
    client = Client()
    client.force_login(user)

    response = client.post(
        reverse("admin:timesheets_timeentry_add"),
        {
            "entry_id": "T-ADMIN",
            "employee": str(people["sam"].pk),
            "date": TUESDAY.isoformat(),
            "hours": "8",
            "billable": "on",
            "activity": "delivery",
            "project": str(project.pk),
            "contract": "",
            "ticket": "",
            "note": "",
        },
    )

    assert response.status_code == 200
    errors = str(response.context["adminform"].form.non_field_errors())
    assert "is submitted for approval" in errors
    assert not TimeEntry.objects.filter(entry_id="T-ADMIN").exists()
    assert utilization() == baseline
    changelist = client.get(reverse("admin:timesheets_timeentry_changelist")).context["cl"]
    assert [entry.employee for entry in changelist.result_list] == [people["sam"]]
    assert {"cost", "bill_value"}.isdisjoint(changelist.list_display)
    assert "hours" in changelist.list_display


# --- Money ---------------------------------------------------------------------------------


@pytest.fixture
def money_records(people, submitted, project):
    ContractFactory(code="MS-1", client=project.client, monthly_fee=Decimal("5000.00"))


@pytest.mark.parametrize(
    ("who", "sees"), [("sam", False), ("mia", False), ("boss", True), ("root", True)]
)
def test_money_reaches_executives_and_admins_only(people, money_records, who, sees):
    client = api(people[who])

    entry = client.get("/api/v1/time-entries/").json()["results"][0]
    contract = client.get("/api/v1/contracts/MS-1/").json()
    project = client.get("/api/v1/projects/PRJ-1/").json()

    assert entry["hours"] == "8.00"
    assert ("cost" in entry, "bill_value" in entry) == (sees, sees)
    assert ("monthly_fee" in contract, "revenue" in project, "budget" in project) == (
        sees,
        sees,
        sees,
    )
    if sees:
        # 8 h × the factory's 50.00 cost and 140.00 bill rates.
        assert (entry["cost"], entry["bill_value"]) == ("400.00", "1120.00")
        assert contract["monthly_fee"] == "5000.00"


@pytest.mark.parametrize(("who", "sees"), [("sam", False), ("mia", False), ("boss", True)])
def test_the_schema_shows_money_only_to_those_who_see_it(people, who, sees):
    schema = api(people[who]).get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]

    assert ("cost" in components["TimeEntry"]["properties"]) is sees
    assert ("bill_value" in components["TimeEntry"]["properties"]) is sees
    assert ("monthly_fee" in components["Contract"]["properties"]) is sees
    assert "hours" in components["TimeEntry"]["properties"]


@pytest.mark.parametrize(("who", "sees"), [("mia", False), ("boss", True)])
def test_the_admin_shows_money_to_executives_only(people, money_records, who, sees):
    user = people[who].user
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_contract", "view_project", "view_rate"])
    )
    client = Client()
    client.force_login(user)

    contracts = client.get(reverse("admin:projects_contract_changelist")).context["cl"]
    projects = client.get(reverse("admin:projects_project_changelist")).context["cl"]
    rates = client.get(reverse("admin:timesheets_rate_changelist"))

    assert [c.code for c in contracts.result_list] == ["MS-1"]
    assert ("monthly_fee" in contracts.list_display) is sees
    assert ("revenue" in projects.list_display, "budget" in projects.list_display) == (sees, sees)
    assert rates.status_code == (200 if sees else 403)
