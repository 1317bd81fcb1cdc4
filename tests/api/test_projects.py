"""Clients, contracts, projects, progress, expenses and downtime through the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from projects.models import Client, Contract, Project
from tests.factories import (
    ClientFactory,
    ContractFactory,
    DowntimeFactory,
    ProjectExpenseFactory,
    ProjectFactory,
    ProjectProgressFactory,
)

pytestmark = pytest.mark.django_db

PROJECT = {
    "code": "PRJ-9",
    "client": "C1",
    "name": "Core banking",
    "billing": "fixed",
    "revenue": "150000.00",
    "budget": "100000.00",
    "planned_start": "2025-01-01",
    "planned_end": "2025-03-31",
    "status": "planned",
}


def test_client_crud_by_code(api):
    root = api("root")
    created = root.post(
        "/api/v1/clients/", {"code": "C1", "name": "Acme", "became_client_on": "2024-01-01"}
    )
    assert created.status_code == 201, created.json()
    assert created.json() == {
        "code": "C1",
        "name": "Acme",
        "became_client_on": "2024-01-01",
        "churned_on": None,
    }
    changed = root.patch("/api/v1/clients/C1/", {"churned_on": "2025-06-30"})
    assert changed.status_code == 200
    assert Client.objects.get(code="C1").churned_on == dt.date(2025, 6, 30)
    assert root.get("/api/v1/clients/C1/").json()["churned_on"] == "2025-06-30"
    assert root.delete("/api/v1/clients/C1/").status_code == 204
    assert not Client.objects.exists()


def test_client_churned_before_start_is_a_field_error(api):
    ClientFactory(code="C1", became_client_on=dt.date(2024, 1, 1))
    response = api("root").patch("/api/v1/clients/C1/", {"churned_on": "2023-12-31"})
    assert response.status_code == 400
    assert response.json() == {"churned_on": ["2023-12-31 is before became_client_on 2024-01-01"]}


def test_duplicate_client_code_is_refused(api):
    ClientFactory(code="C1")
    response = api("root").post(
        "/api/v1/clients/", {"code": "C1", "name": "Again", "became_client_on": "2024-01-01"}
    )
    assert response.status_code == 400
    assert response.json() == {"code": ["client with this code already exists."]}


def test_deleting_a_client_with_projects_is_a_conflict(api):
    ProjectFactory(client=ClientFactory(code="C1"))
    response = api("root").delete("/api/v1/clients/C1/")
    assert response.status_code == 409
    assert "projects" in response.json()["detail"]
    assert Client.objects.filter(code="C1").exists()


def test_contract_money_is_an_exact_decimal(api):
    ClientFactory(code="C1")
    response = api("root").post(
        "/api/v1/contracts/",
        {
            "code": "MS-1",
            "client": "C1",
            "name": "Managed services",
            "monthly_fee": "12345.67",
            "start_date": "2025-01-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["monthly_fee"] == "12345.67"
    assert Contract.objects.get(code="MS-1").monthly_fee == Decimal("12345.67")


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"monthly_fee": "-1.00"}, {"monthly_fee": ["must not be negative (got -1.00)"]}),
        ({"end_date": "2024-12-31"}, {"end_date": ["2024-12-31 is before start_date 2025-01-01"]}),
        (
            {"monthly_fee": "1.005"},
            {"monthly_fee": ["Ensure that there are no more than 2 decimal places."]},
        ),
        ({"client": "NOPE"}, {"client": ["Object with code=NOPE does not exist."]}),
    ],
)
def test_contract_validation_messages(api, change, errors):
    ClientFactory(code="C1")
    body = {
        "code": "MS-1",
        "client": "C1",
        "name": "Managed services",
        "monthly_fee": "100.00",
        "start_date": "2025-01-01",
        **change,
    }
    response = api("root").post("/api/v1/contracts/", body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not Contract.objects.exists()


def test_project_create_derives_its_window(api):
    ClientFactory(code="C1")
    body = {**PROJECT, "actual_start": "2025-01-06", "status": "active"}
    response = api("root").post("/api/v1/projects/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["client"] == "C1"
    assert data["revenue"] == "150000.00"
    assert data["window_start"] == "2025-01-06T00:00:00Z"
    assert Project.objects.get(code="PRJ-9").budget == Decimal("100000.00")


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"revenue": None}, {"revenue": ["is required for a fixed-price project"]}),
        (
            {"planned_end": "2024-12-31"},
            {"planned_end": ["2024-12-31 is before planned_start 2025-01-01"]},
        ),
        ({"actual_end": "2025-02-01"}, {"actual_end": ["is set but actual_start is empty"]}),
        ({"budget": "-5.00"}, {"budget": ["must not be negative (got -5.00)"]}),
        ({"status": "done"}, {"status": ['"done" is not a valid choice.']}),
    ],
)
def test_project_validation_messages(api, change, errors):
    ClientFactory(code="C1")
    response = api("root").post("/api/v1/projects/", {**PROJECT, **change}, format="json")
    assert response.status_code == 400
    assert response.json() == errors


def test_time_and_materials_project_needs_no_revenue(api):
    ClientFactory(code="C1")
    body = {**PROJECT, "billing": "time_and_materials", "revenue": None}
    response = api("root").post("/api/v1/projects/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["revenue"] is None


def test_project_list_filters_and_orders(api):
    acme = ClientFactory(code="ACME")
    ProjectFactory(code="P-B", client=acme, status="active")
    ProjectFactory(code="P-A", client=acme, status="active")
    ProjectFactory(code="P-C", status="active")
    ProjectFactory(code="P-D", client=acme, status="completed")
    response = api("sam").get("/api/v1/projects/?client=ACME&status=active&ordering=-code")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [p["code"] for p in body["results"]] == ["P-B", "P-A"]


def test_progress_out_of_range_and_duplicate_date(api):
    project = ProjectFactory(code="P1")
    ProjectProgressFactory(project=project, date=dt.date(2025, 1, 31))
    root = api("root")
    too_much = root.post(
        "/api/v1/project-progress/",
        {"project": "P1", "date": "2025-02-28", "percent_complete": "120"},
        format="json",
    )
    assert too_much.status_code == 400
    assert too_much.json() == {"percent_complete": ["must be between 0 and 100 (got 120.00)"]}
    again = root.post(
        "/api/v1/project-progress/",
        {"project": "P1", "date": "2025-01-31", "percent_complete": "60"},
        format="json",
    )
    assert again.status_code == 400
    assert again.json() == {
        "non_field_errors": ["The fields project, date must make a unique set."]
    }
    ok = root.post(
        "/api/v1/project-progress/",
        {"project": "P1", "date": "2025-02-28", "percent_complete": "75.5"},
        format="json",
    )
    assert ok.status_code == 201
    assert ok.json()["percent_complete"] == "75.50"


def test_expense_crud_and_negative_amount(api):
    ProjectFactory(code="P1")
    root = api("root")
    bad = root.post(
        "/api/v1/project-expenses/",
        {
            "expense_id": "X1",
            "project": "P1",
            "date": "2025-01-15",
            "category": "hw",
            "amount": "-10.00",
        },
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json() == {"amount": ["must not be negative (got -10.00)"]}
    ProjectExpenseFactory(expense_id="X2", project=ProjectFactory(code="P2"))
    listed = root.get("/api/v1/project-expenses/?project=P2")
    assert [e["expense_id"] for e in listed.json()["results"]] == ["X2"]
    assert (
        root.put(
            "/api/v1/project-expenses/X2/",
            {
                "expense_id": "X2",
                "project": "P2",
                "date": "2025-01-16",
                "category": "licences",
                "amount": "99.99",
            },
            format="json",
        ).json()["amount"]
        == "99.99"
    )
    assert root.delete("/api/v1/project-expenses/X2/").status_code == 204


def test_downtime_ending_before_it_started(api):
    DowntimeFactory(downtime_id="DT1", project=ProjectFactory(code="P1"))
    response = api("root").patch(
        "/api/v1/downtime/DT1/", {"ended_at": "2025-01-09T23:00:00Z"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "ended_at": ["2025-01-09T23:00:00+00:00 is before started_at 2025-01-10T00:00:00+00:00"]
    }


def test_executive_reads_but_does_not_write_reference_data(api):
    ContractFactory(code="MS-1")
    boss = api("boss")
    assert boss.get("/api/v1/contracts/MS-1/").json()["code"] == "MS-1"
    response = boss.patch("/api/v1/contracts/MS-1/", {"name": "Renamed"}, format="json")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only administrators change clients, contracts and projects."
    }
