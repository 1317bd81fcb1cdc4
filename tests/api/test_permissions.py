"""The permission matrix: role × endpoint × method → status.

Rows are what the UI allows (synapse.api.permissions): reference data is read by
every role and written by admins only; employees are read-only; time entries and
tickets are scoped to the caller (the records below belong to ``sam``, the
manager ``mia``'s report, so ``olga`` gets 404 for them); surveys are hidden from
staff; an anonymous caller gets 401 and a user without an employee record 403.
A method the role may never use is refused (403) before the record is looked up.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import (
    ContractFactory,
    DowntimeFactory,
    ProjectExpenseFactory,
    ProjectFactory,
    ProjectProgressFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
    TicketFactory,
    TicketPauseFactory,
    TimeEntryFactory,
)
from timesheets.models import Employee

pytestmark = pytest.mark.django_db

ROLES = ("anon", "nobody", "sam", "olga", "mia", "boss", "root")


@pytest.fixture
def records(firm):
    """Create one record per endpoint, belonging to sam where records belong to someone."""
    sam = Employee.objects.get(user__username="sam")
    project = ProjectFactory(code="P1")
    ContractFactory(code="MS-1", client=project.client)
    progress = ProjectProgressFactory(project=project)
    ProjectExpenseFactory(expense_id="X1", project=project)
    DowntimeFactory(downtime_id="DT1", project=project)
    TimeEntryFactory(entry_id="E1", employee=sam, date=dt.date(2025, 2, 3))
    ticket = TicketFactory(ref="T-1", client=project.client, assignee=sam)
    pause = TicketPauseFactory(ticket=ticket)
    SurveyInvitationFactory(invitation_id="INV-1", client=project.client)
    SurveyResponseFactory(response_id="R-1", client=project.client)
    return {"progress": progress.pk, "pause": pause.pk}


# endpoint → expected status per role, for GET on the list.
LIST = {
    "clients": (401, 403, 200, 200, 200, 200, 200),
    "contracts": (401, 403, 200, 200, 200, 200, 200),
    "projects": (401, 403, 200, 200, 200, 200, 200),
    "project-progress": (401, 403, 200, 200, 200, 200, 200),
    "project-expenses": (401, 403, 200, 200, 200, 200, 200),
    "downtime": (401, 403, 200, 200, 200, 200, 200),
    "employees": (401, 403, 200, 200, 200, 200, 200),
    "time-entries": (401, 403, 200, 200, 200, 200, 200),
    "tickets": (401, 403, 200, 200, 200, 200, 200),
    "ticket-pauses": (401, 403, 200, 200, 200, 200, 200),
    "ticket-events": (401, 403, 200, 200, 200, 200, 200),
    "survey-invitations": (401, 403, 403, 403, 200, 200, 200),
    "survey-responses": (401, 403, 403, 403, 200, 200, 200),
    "kpi-snapshots": (401, 403, 200, 200, 200, 200, 200),
}

# detail URL → (GET statuses, PATCH statuses, DELETE statuses) per role.
DETAIL = {
    "clients/{client}": (
        (401, 403, 200, 200, 200, 200, 200),
        (401, 403, 403, 403, 403, 403, 200),
        (401, 403, 403, 403, 403, 403, 409),
    ),
    "projects/P1": (
        (401, 403, 200, 200, 200, 200, 200),
        (401, 403, 403, 403, 403, 403, 200),
        (401, 403, 403, 403, 403, 403, 204),
    ),
    "contracts/MS-1": (
        (401, 403, 200, 200, 200, 200, 200),
        (401, 403, 403, 403, 403, 403, 200),
        (401, 403, 403, 403, 403, 403, 204),
    ),
    "project-progress/{progress}": (
        (401, 403, 200, 200, 200, 200, 200),
        (401, 403, 403, 403, 403, 403, 200),
        (401, 403, 403, 403, 403, 403, 204),
    ),
    "project-expenses/X1": (
        (401, 403, 200, 200, 200, 200, 200),
        (401, 403, 403, 403, 403, 403, 200),
        (401, 403, 403, 403, 403, 403, 204),
    ),
    "downtime/DT1": (
        (401, 403, 200, 200, 200, 200, 200),
        (401, 403, 403, 403, 403, 403, 200),
        (401, 403, 403, 403, 403, 403, 204),
    ),
    "employees/sam": (
        (401, 403, 200, 404, 200, 200, 200),
        (401, 403, 403, 403, 403, 403, 403),
        (401, 403, 403, 403, 403, 403, 403),
    ),
    # Managers read their team's time and never change it.
    "time-entries/E1": (
        (401, 403, 200, 404, 200, 200, 200),
        (401, 403, 200, 404, 403, 403, 200),
        (401, 403, 204, 404, 403, 403, 204),
    ),
    "tickets/T-1": (
        (401, 403, 200, 404, 200, 200, 200),
        (401, 403, 200, 404, 200, 403, 200),
        (401, 403, 403, 403, 403, 403, 204),
    ),
    # Pauses are written by the waiting transition; only root writes one directly.
    "ticket-pauses/{pause}": (
        (401, 403, 200, 404, 200, 200, 200),
        (401, 403, 403, 403, 403, 403, 200),
        (401, 403, 403, 403, 403, 403, 204),
    ),
    "survey-invitations/INV-1": (
        (401, 403, 403, 403, 200, 200, 200),
        (401, 403, 403, 403, 403, 403, 200),
        (401, 403, 403, 403, 403, 403, 204),
    ),
    "survey-responses/R-1": (
        (401, 403, 403, 403, 200, 200, 200),
        (401, 403, 403, 403, 403, 403, 200),
        (401, 403, 403, 403, 403, 403, 204),
    ),
}

# A harmless change per detail URL for the PATCH column.
PATCHES = {
    "clients": {"name": "Renamed"},
    "projects": {"name": "Renamed"},
    "contracts": {"name": "Renamed"},
    "project-progress": {"percent_complete": "60"},
    "project-expenses": {"category": "travel"},
    "downtime": {"ended_at": "2025-01-10T02:00:00Z"},
    "employees": {"full_name": "Renamed"},
    "time-entries": {"note": "changed"},
    "tickets": {"subject": "changed"},
    "ticket-pauses": {"resumed_at": "2025-02-03T12:00:00Z"},
    "survey-invitations": {"contact_email": "new@client.example"},
    "survey-responses": {"comment": "changed"},
}


def _cases(table: dict, column: int | None = None):
    for url, statuses in table.items():
        row = statuses if column is None else statuses[column]
        for role, status in zip(ROLES, row, strict=True):
            yield pytest.param(url, role, status, id=f"{url}-{role}")


@pytest.mark.parametrize(("endpoint", "role", "status"), list(_cases(LIST)))
def test_list(api, records, endpoint, role, status):
    response = api(None if role == "anon" else role).get(f"/api/v1/{endpoint}/")
    assert response.status_code == status


def _url(template: str, records: dict) -> str:
    from projects.models import Client

    return "/api/v1/" + template.format(client=Client.objects.get().code, **records) + "/"


@pytest.mark.parametrize(("template", "role", "status"), list(_cases(DETAIL, 0)))
def test_get(api, records, template, role, status):
    response = api(None if role == "anon" else role).get(_url(template, records))
    assert response.status_code == status


@pytest.mark.parametrize(("template", "role", "status"), list(_cases(DETAIL, 1)))
def test_patch(api, records, template, role, status):
    body = PATCHES[template.split("/")[0]]
    response = api(None if role == "anon" else role).patch(
        _url(template, records), body, format="json"
    )
    assert response.status_code == status, response.content


@pytest.mark.parametrize(("template", "role", "status"), list(_cases(DETAIL, 2)))
def test_delete(api, records, template, role, status):
    response = api(None if role == "anon" else role).delete(_url(template, records))
    assert response.status_code == status, response.content


@pytest.mark.parametrize(
    ("role", "status"),
    list(zip(ROLES, (401, 403, 403, 403, 403, 403, 201), strict=True)),
)
def test_create_client(api, firm, role, status):
    response = api(None if role == "anon" else role).post(
        "/api/v1/clients/",
        {"code": "NEW", "name": "New", "became_client_on": "2025-01-01"},
        format="json",
    )
    assert response.status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    list(zip(ROLES, (401, 403, 201, 201, 201, 201, 400), strict=True)),
)
def test_create_own_time_entry(api, firm, role, status):
    # Every employee logs their own time; root has no employee record to default to.
    response = api(None if role == "anon" else role).post(
        "/api/v1/time-entries/",
        {"date": "2025-02-03", "hours": "2", "billable": False, "activity": "internal"},
        format="json",
    )
    assert response.status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    list(zip(ROLES, (401, 403, 201, 201, 201, 403, 201), strict=True)),
)
def test_create_unassigned_ticket(api, records, role, status):
    from projects.models import Client

    response = api(None if role == "anon" else role).post(
        "/api/v1/tickets/",
        {
            "ref": "NEW",
            "client": Client.objects.get().code,
            "priority": "P3",
            "subject": "Help",
        },
        format="json",
    )
    assert response.status_code == status


def test_unauthenticated_call_asks_for_a_token(api, firm):
    response = api(None).get("/api/v1/clients/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
