"""The KPI endpoints: live values equal ``kpi_report``; snapshots filter; scope rules."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from synapse.kpis.models import KpiSnapshot
from tests.factories import ClientFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db


def kpi_report(*args: str) -> dict:
    out = io.StringIO()
    call_command("kpi_report", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def csat_example(firm):
    """kpis.md's CSAT worked example: 34 satisfied answers of 40 → 85 %."""
    client = ClientFactory(code="C1")
    for i in range(40):
        SurveyResponseFactory(
            client=client,
            score=5 if i < 34 else 2,
            responded_at=dt.datetime(2025, 2, 1 + i % 28, 12, tzinfo=dt.UTC),
        )


@pytest.mark.parametrize("scope", ["company", "client:C1", "employee:sam"])
def test_live_kpis_equal_kpi_report(api, csat_example, scope):
    response = api("boss").get(f"/api/v1/kpis/?start=2025-02-01&end=2025-02-28&scope={scope}")
    assert response.status_code == 200
    expected = kpi_report("--start", "2025-02-01", "--end", "2025-02-28", "--scope", scope)
    assert response.json() == expected
    if scope != "employee:sam":
        assert response.json()["kpis"]["csat"]["value"] == 85.0


def test_scope_defaults_to_company(api, csat_example):
    body = api("root").get("/api/v1/kpis/?start=2025-02-01&end=2025-02-28").json()
    assert body["scope"] == "company"
    assert body["kpis"]["csat"]["numerator"] == 34.0


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            "start=2025-02-31&end=2025-03-01",
            {"start": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        ("end=2025-03-01", {"start": ["This field is required."]}),
        ("start=2025-03-01&end=2025-02-01", {"end": ["2025-02-01 is before start 2025-03-01"]}),
        (
            "start=2025-02-01&end=2025-02-28&scope=client:NOPE",
            {"scope": ["unknown scope client:NOPE: no such client"]},
        ),
        (
            "start=2025-02-01&end=2025-02-28&scope=galaxy",
            {
                "scope": [
                    "bad scope 'galaxy': use company, client:<code>, project:<code> "
                    "or employee:<username>"
                ]
            },
        ),
        (
            "start=0001-01-01&end=2025-02-28",
            {"start": ["0001-01-01: Dates run from 1900-01-01 to 2999-12-31 in Synapse."]},
        ),
    ],
)
def test_bad_queries_are_400_with_a_clear_message(api, firm, query, errors):
    response = api("boss").get(f"/api/v1/kpis/?{query}")
    assert response.status_code == 400
    assert response.json() == errors


def test_staff_read_their_own_kpis_only(api, firm):
    sam = api("sam")
    own = sam.get("/api/v1/kpis/?start=2025-02-01&end=2025-02-28&scope=employee:sam")
    assert own.status_code == 200
    assert "billable_utilization" in own.json()["kpis"]
    company = sam.get("/api/v1/kpis/?start=2025-02-01&end=2025-02-28")
    assert company.status_code == 403
    assert company.json() == {"detail": "Your role may not read the KPIs of company."}
    team = api("mia").get("/api/v1/kpis/?start=2025-02-01&end=2025-02-28&scope=employee:sam")
    assert team.status_code == 200
    other = api("mia").get("/api/v1/kpis/?start=2025-02-01&end=2025-02-28&scope=employee:olga")
    assert other.status_code == 403


def snapshot(**fields):
    defaults = {
        "key": "csat",
        "grain": "month",
        "period_start": dt.date(2025, 1, 1),
        "period_end": dt.date(2025, 1, 31),
        "scope_kind": "company",
        "scope_key": "",
        "value": Decimal("85"),
        "sample_size": 40,
        "status": "within",
        "computed_at": timezone.now(),
    }
    return KpiSnapshot.objects.create(**{**defaults, **fields})


def test_snapshots_filter_by_key_grain_period_and_scope(api, firm):
    snapshot()
    snapshot(period_start=dt.date(2025, 2, 1), period_end=dt.date(2025, 2, 28), value=90)
    snapshot(key="nps", value=Decimal("42.5"))
    snapshot(grain="quarter", period_end=dt.date(2025, 3, 31))
    snapshot(scope_kind="client", scope_key="C1", value=70)
    boss = api("boss")
    response = boss.get(
        "/api/v1/kpi-snapshots/?key=csat&grain=month&scope_kind=company"
        "&period_start_after=2025-02-01&period_start_before=2025-02-28"
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["period_start"], r["value"], r["scope"]) for r in results] == [
        ("2025-02-01", "90.0000000000", "company")
    ]
    client = boss.get("/api/v1/kpi-snapshots/?scope_kind=client&scope_key=C1").json()
    assert [r["scope"] for r in client["results"]] == ["client:C1"]
    assert boss.get("/api/v1/kpi-snapshots/?grain=decade").status_code == 400


def test_staff_see_only_their_own_snapshots(api, firm):
    snapshot(key="billable_utilization", scope_kind="employee", scope_key="sam")
    snapshot(key="billable_utilization", scope_kind="employee", scope_key="olga")
    snapshot(key="billable_utilization")
    assert [r["scope"] for r in api("sam").get("/api/v1/kpi-snapshots/").json()["results"]] == [
        "employee:sam"
    ]
    assert api("boss").get("/api/v1/kpi-snapshots/").json()["count"] == 3
