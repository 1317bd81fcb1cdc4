"""Audit of the revenue and relationship KPIs against kpis.md, to the letter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from projects.models import Project
from synapse.kpis.engine import kpis_compute
from synapse.kpis.periods import COMPANY, Period, Scope
from tests.factories import (
    ClientFactory,
    ContractFactory,
    EmployeeFactory,
    ProjectFactory,
    TicketFactory,
    TimeEntryFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
Q1 = Period.quarter(2025, 1)


def test_logo_churn_of_a_running_quarter_divides_by_the_months_up_to_now():
    # kpis.md "As of": a period that has not ended yet is the part of it up to now. On
    # 14 Feb the part of Q1 is 1 Jan–14 Feb: two calendar months, not three.
    for code in ("A", "B", "C", "D"):
        ClientFactory(code=code, became_client_on=dt.date(2024, 1, 1))
    ClientFactory(code="E", became_client_on=dt.date(2024, 1, 1), churned_on=dt.date(2025, 2, 3))
    on_feb_14 = dt.datetime(2025, 2, 14, 12, tzinfo=dt.UTC)

    found = kpis_compute(
        period=Q1, scope=COMPANY, as_of=on_feb_14, keys=["logo_churn_rate", "client_retention"]
    )

    churn = found["logo_churn_rate"].result
    assert found["client_retention"].value == D(80)
    assert churn.value == D(10)  # (100 − 80) / 2 months
    assert (churn.numerator, churn.denominator) == (D(1), D(10))


def test_logo_churn_of_an_ended_quarter_divides_by_its_three_months():
    for code in ("A", "B", "C", "D"):
        ClientFactory(code=code, became_client_on=dt.date(2024, 1, 1))
    ClientFactory(code="E", became_client_on=dt.date(2024, 1, 1), churned_on=dt.date(2025, 2, 3))
    after = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    churn = kpis_compute(period=Q1, as_of=after, keys=["logo_churn_rate"])["logo_churn_rate"]

    assert churn.value == D(20) / D(3)


def test_clv_of_a_running_quarter_uses_the_monthly_churn_up_to_now():
    # ARPA 1,000 (F, joined in January, is the one paying client), no cost so margin
    # 100 %, churn 10 %/month (1 of 5 lost over the two months up to 14 Feb)
    # → 1,000 × 1.00 / 0.10 = 10,000.
    for code in ("A", "B", "C", "D"):
        ClientFactory(code=code, became_client_on=dt.date(2024, 1, 1))
    ClientFactory(code="E", became_client_on=dt.date(2024, 1, 1), churned_on=dt.date(2025, 2, 3))
    joined = ClientFactory(code="F", became_client_on=dt.date(2025, 1, 20))
    ContractFactory(client=joined, monthly_fee=D(1000), start_date=dt.date(2025, 1, 20))
    on_feb_14 = dt.datetime(2025, 2, 14, 12, tzinfo=dt.UTC)

    clv = kpis_compute(period=Q1, as_of=on_feb_14, keys=["customer_lifetime_value"])[
        "customer_lifetime_value"
    ]

    assert clv.value == D(10000)


def test_managed_services_cost_follows_project_then_contract_then_the_tickets_contract():
    # data-exchange.md: a time entry's cost goes to its project if set, else its contract,
    # else its ticket's contract, else it is internal overhead.
    a, b = ClientFactory(code="A"), ClientFactory(code="B")
    contract_a = ContractFactory(client=a, monthly_fee=D(3000), start_date=dt.date(2025, 1, 1))
    contract_b = ContractFactory(client=b, monthly_fee=D(2800), start_date=dt.date(2025, 1, 1))
    project = ProjectFactory(client=a, status=Project.Status.ACTIVE)
    ticket_b = TicketFactory(
        client=b, contract=contract_b, opened_at=dt.datetime(2025, 2, 3, tzinfo=dt.UTC)
    )
    person = EmployeeFactory(rates=(D(50), D(100)))
    day = dt.date(2025, 2, 4)
    TimeEntryFactory(employee=person, date=day, hours=D(1), project=project, contract=contract_a)
    TimeEntryFactory(employee=person, date=day, hours=D(2), contract=contract_a, ticket=ticket_b)
    TimeEntryFactory(employee=person, date=day, hours=D(3), ticket=ticket_b)
    TimeEntryFactory(employee=person, date=day, hours=D(4))  # internal overhead
    after = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    feb = Period.month(2025, 2)

    company = kpis_compute(period=feb, as_of=after, keys=["managed_services_gross_margin"])
    client_a = kpis_compute(
        period=feb, scope=Scope("client", "A"), as_of=after, keys=["managed_services_gross_margin"]
    )
    client_b = kpis_compute(
        period=feb, scope=Scope("client", "B"), as_of=after, keys=["managed_services_gross_margin"]
    )

    # Revenue 3,000 + 2,800; cost A = 2 h × 50 = 100, B = 3 h × 50 = 150.
    margin = company["managed_services_gross_margin"].result
    assert (margin.numerator, margin.denominator) == (D(5550), D(5800))
    assert client_a["managed_services_gross_margin"].value == D(2900) / D(3000) * 100
    assert client_b["managed_services_gross_margin"].value == D(2650) / D(2800) * 100
