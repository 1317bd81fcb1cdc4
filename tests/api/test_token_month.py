"""End to end over HTTP with a token: load a month of time and tickets, read the KPIs back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from rest_framework.authtoken.models import Token

from tests.factories import ClientFactory, ProjectFactory

pytestmark = pytest.mark.django_db

FEB_WORKDAYS = [dt.date(2025, 2, d) for d in range(1, 29) if dt.date(2025, 2, d).weekday() < 5]


def test_token_client_loads_a_month_and_reads_the_kpis(firm):
    ClientFactory(code="C1")
    ProjectFactory(code="P1", client=ClientFactory(code="C2"))
    key = Token.objects.create(user=firm["root"]).key
    http = HttpClient(HTTP_AUTHORIZATION=f"Token {key}")

    def post(url: str, body: dict) -> dict:
        response = http.post(url, body, content_type="application/json")
        assert response.status_code == 201, response.json()
        return response.json()

    # sam logs 6 billable hours on P1 and 2 internal hours on each of February's 20 weekdays.
    assert len(FEB_WORKDAYS) == 20
    for day in FEB_WORKDAYS:
        for hours, billable, activity, project in (
            (6, True, "delivery", "P1"),
            (2, False, "internal", None),
        ):
            post(
                "/api/v1/time-entries/",
                {
                    "employee": "sam",
                    "date": day.isoformat(),
                    "hours": str(hours),
                    "billable": billable,
                    "activity": activity,
                    "project": project,
                },
            )
    # Ten tickets of C1 resolved in February, one escalated, eight fixed at first contact.
    for i in range(10):
        opened = dt.datetime(2025, 2, 3 + i, 9, tzinfo=dt.UTC)
        post(
            "/api/v1/tickets/",
            {
                "ref": f"T-{i}",
                "client": "C1",
                "priority": "P4",
                "subject": "Help",
                "opened_at": opened.isoformat(),
                "status": "resolved",
                "assignee": "sam",
                "first_response_at": (opened + dt.timedelta(minutes=10)).isoformat(),
                "resolved_at": (opened + dt.timedelta(hours=2)).isoformat(),
                "escalated": i == 0,
                "first_contact_resolved": i < 8,
            },
        )

    listed = http.get("/api/v1/time-entries/?employee=sam&page_size=1000").json()
    assert listed["count"] == 40
    assert http.get("/api/v1/tickets/?client=C1&status=resolved").json()["count"] == 10

    sam = http.get("/api/v1/kpis/?start=2025-02-01&end=2025-02-28&scope=employee:sam").json()
    # kpis.md's worked example: 120 billable hours of 160 available → 75.0 %.
    utilization = sam["kpis"]["billable_utilization"]
    assert (utilization["value"], utilization["numerator"], utilization["denominator"]) == (
        75.0,
        120.0,
        160.0,
    )
    assert sam["kpis"]["timesheet_compliance"]["value"] == 100.0
    assert sam["kpis"]["first_contact_resolution"]["value"] == 80.0

    c1 = http.get("/api/v1/kpis/?start=2025-02-01&end=2025-02-28&scope=client:C1").json()
    assert c1["kpis"]["escalation_rate"]["value"] == 10.0
    assert c1["kpis"]["escalation_rate"]["sample_size"] == 10

    # The staff member's own token reads their own utilization, and nothing wider.
    own = HttpClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=firm['sam']).key}")
    mine = own.get("/api/v1/kpis/?start=2025-02-01&end=2025-02-28&scope=employee:sam")
    assert mine.json()["kpis"]["billable_utilization"]["value"] == 75.0
    assert own.get("/api/v1/kpis/?start=2025-02-01&end=2025-02-28").status_code == 403


def test_a_bad_token_is_401(firm):
    http = HttpClient(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = http.get("/api/v1/clients/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_tokens_are_managed_in_the_admin(client, firm):
    Token.objects.create(user=firm["sam"])
    client.force_login(firm["root"])
    page = client.get("/admin/authtoken/tokenproxy/")
    assert page.status_code == 200
    assert "sam" in page.content.decode()
