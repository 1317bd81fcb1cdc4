"""Revenue and relationship KPIs (kpis.md "Revenue and relationships").

The worked examples of kpis.md come first, as pure formula tests; then the same
numbers, and the edge cases, through the engine on factory data.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import revenue_selectors
from projects.kpis import revenue
from projects.models import Client, Contract, Project
from synapse.kpis.engine import KpiContext, kpis_compute, kpis_compute_all_scopes
from synapse.kpis.periods import COMPANY, Period, Scope
from tests.factories import (
    ClientFactory,
    ContractFactory,
    EmployeeFactory,
    OverheadFactory,
    ProjectExpenseFactory,
    ProjectFactory,
    TimeEntryFactory,
)
from timesheets.models import TimeEntry
from timesheets.services import time_entries_recost

FEB = Period.month(2025, 2)
AFTER = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
D = Decimal
REVENUE_KEYS = (
    "client_retention",
    "mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "net_mrr_churn",
    "recurring_revenue_share",
    "managed_services_gross_margin",
    "logo_churn_rate",
    "customer_lifetime_value",
    "customer_acquisition_cost",
    "clv_cac_ratio",
    "net_profit_margin",
)


def values(period: Period = FEB, scope: Scope = COMPANY, as_of: dt.datetime = AFTER) -> dict:
    """Return the revenue KPIs of ``period`` for ``scope`` as ``kpi_report`` JSON dicts."""
    found = kpis_compute(period=period, scope=scope, as_of=as_of, keys=REVENUE_KEYS)
    return {key: value.as_json() for key, value in found.items()}


def context(period: Period = FEB, as_of: dt.datetime = AFTER) -> KpiContext:
    return KpiContext(period=period, as_of=as_of, kinds=frozenset({"company", "client"}))


# --- Worked examples (pure formulas) -----------------------------------------------------


def test_retention_worked_example_s500_n100_e520_is_84():
    s, n, e = 500, 100, 520
    result = revenue.client_retention(at_start=s, retained=e - n)
    assert result.value == D(84)
    assert (result.numerator, result.denominator, result.sample_size) == (420, 500, 500)


def test_managed_services_margin_worked_example_fee_10000_cost_6000_is_40():
    result = revenue.managed_services_gross_margin(revenue=D(10000), cost=D(6000), contracts=1)
    assert result.value == D(40)


def test_logo_churn_worked_example_1_of_50_lost_in_a_month_is_2():
    assert revenue.logo_churn_rate(at_start=50, retained=49, months=1).value == D(2)


def test_logo_churn_is_a_monthly_rate_3_of_50_lost_in_a_quarter_is_2():
    result = revenue.logo_churn_rate(at_start=50, retained=47, months=3)
    assert result.value == D(2)
    assert (result.numerator, result.denominator) == (3, 150)


def test_clv_worked_example_arpa_2000_margin_40_churn_2_is_40000():
    result = revenue.customer_lifetime_value(
        arpa=D(2000), gross_margin=D(40), monthly_churn=D(2), clients=10
    )
    assert result.value == D(40000)
    # numerator: monthly gross profit per account; denominator: churn as a fraction.
    assert (result.numerator, result.denominator) == (D(800), D("0.02"))


def test_cac_worked_example_20000_spent_2_new_clients_is_10000():
    assert revenue.customer_acquisition_cost(sales_marketing=D(20000), acquired=2).value == D(10000)


def test_clv_cac_ratio_worked_example_30000_over_10000_is_3():
    assert revenue.clv_cac_ratio(clv=D(30000), cac=D(10000)).value == D(3)


def test_zero_churn_makes_clv_null_with_a_reason():
    result = revenue.customer_lifetime_value(
        arpa=D(2000), gross_margin=D(40), monthly_churn=D(0), clients=10
    )
    assert result.value is None
    assert "zero logo churn" in result.reason


@pytest.mark.parametrize(
    ("clv", "cac", "reason"),
    [
        (None, D(10000), "undefined"),
        (D(30000), None, "undefined"),
        (D(30000), D(0), "zero acquisition cost"),
    ],
)
def test_clv_cac_ratio_is_null_when_either_side_is_undefined_or_cac_is_zero(clv, cac, reason):
    result = revenue.clv_cac_ratio(clv=clv, cac=cac)
    assert result.value is None
    assert reason in result.reason


def test_no_client_acquired_makes_cac_null():
    result = revenue.customer_acquisition_cost(sales_marketing=D(5000), acquired=0)
    assert result.value is None
    assert result.reason == "no client acquired in period"


def test_net_mrr_churn_is_churned_plus_contraction_minus_expansion_over_opening():
    result = revenue.net_mrr_churn(
        churned=D(500), contraction=D(300), expansion=D(600), opening=D(10000), clients=4
    )
    assert result.value == D(2)


def test_net_profit_margin_and_recurring_share_formulas():
    npm = revenue.net_profit_margin(
        revenue=D(100000), direct_cost=D(60000), overheads=D(30000), sample_size=3
    )
    share = revenue.recurring_revenue_share(
        managed_services_revenue=D(60000), project_revenue=D(40000), sample_size=3
    )
    assert (npm.value, share.value) == (D(10), D(60))


def test_mrr_movements_classify_per_client_and_reconcile():
    pairs = [
        (D(0), D(1000)),  # new
        (D(2000), D(0)),  # churned
        (D(3000), D(3500)),  # expansion 500
        (D(4000), D(3000)),  # contraction 1000
        (D(1500), D(1500)),  # unchanged
    ]
    moves = revenue.mrr_movements(pairs)
    assert (moves.opening, moves.closing) == (D(10500), D(9000))
    assert (moves.new, moves.expansion, moves.contraction, moves.churned) == (
        D(1000),
        D(500),
        D(1000),
        D(2000),
    )
    assert moves.opening + moves.new + moves.expansion - moves.contraction - moves.churned == (
        moves.closing
    )
    assert (moves.clients_opening, moves.clients_closing) == (4, 4)


def test_period_month_windows_clip_to_the_period():
    windows = revenue_selectors.period_month_windows(dt.date(2024, 12, 20), dt.date(2025, 2, 10))
    assert windows == [
        (dt.date(2024, 12, 20), dt.date(2024, 12, 31), 31),
        (dt.date(2025, 1, 1), dt.date(2025, 1, 31), 31),
        (dt.date(2025, 2, 1), dt.date(2025, 2, 10), 28),
    ]


# --- Through the engine on factory data ---------------------------------------------------


def make_clients(count: int, prefix: str, **fields) -> list[Client]:
    return Client.objects.bulk_create(
        Client(code=f"{prefix}{i:04d}", name=f"{prefix} {i}", **fields) for i in range(count)
    )


@pytest.mark.django_db
def test_retention_worked_example_through_the_engine_ignores_join_and_leave_in_period():
    make_clients(420, "STAY", became_client_on=dt.date(2024, 1, 1))
    make_clients(80, "LOST", became_client_on=dt.date(2024, 1, 1), churned_on=dt.date(2025, 2, 20))
    make_clients(100, "NEW", became_client_on=dt.date(2025, 2, 10))
    # Joined and left inside February: neither in S nor retained.
    ClientFactory(
        code="BRIEF", became_client_on=dt.date(2025, 2, 3), churned_on=dt.date(2025, 2, 17)
    )
    # Churned on the first day: not active on it (churned_on > d is needed), not in S.
    ClientFactory(code="GONE", became_client_on=dt.date(2024, 1, 1), churned_on=dt.date(2025, 2, 1))

    kpis = values()

    retention = kpis["client_retention"]
    assert retention["value"] == 84.0
    assert (retention["numerator"], retention["denominator"]) == (420.0, 500.0)
    assert retention["status"] == "below"
    churn = kpis["logo_churn_rate"]
    assert churn["value"] == 16.0
    assert churn["status"] == "above"


@pytest.mark.django_db
def test_an_empty_period_has_no_data_not_zero():
    kpis = values()

    for key in REVENUE_KEYS:
        assert kpis[key]["value"] is None, key
        assert kpis[key]["status"] == "no_data", key


def _movement_clients() -> None:
    """Five clients, one per MRR movement, opening day 2025-01-31, closing 2025-02-28."""
    jan31 = dt.date(2025, 1, 31)
    ContractFactory(
        client=ClientFactory(code="A"), monthly_fee=D(1000), start_date=dt.date(2025, 2, 10)
    )
    ContractFactory(
        client=ClientFactory(code="B"), monthly_fee=D(2000), end_date=dt.date(2025, 2, 15)
    )
    c = ClientFactory(code="C")
    ContractFactory(client=c, monthly_fee=D(3000))
    ContractFactory(client=c, monthly_fee=D(500), start_date=dt.date(2025, 2, 5))
    d = ClientFactory(code="D")
    ContractFactory(client=d, monthly_fee=D(4000), end_date=jan31)
    ContractFactory(client=d, monthly_fee=D(3000), start_date=dt.date(2025, 2, 1))
    ContractFactory(client=ClientFactory(code="E"), monthly_fee=D(1500))
    # Ended before the opening day: no MRR at either end, no movement.
    ContractFactory(
        client=ClientFactory(code="F"), monthly_fee=D(9999), end_date=dt.date(2025, 1, 30)
    )


@pytest.mark.django_db
def test_mrr_movements_from_opening_to_closing_per_client_reconcile():
    _movement_clients()

    kpis = values()

    got = {key: kpis[key]["value"] for key in REVENUE_KEYS if "mrr" in key}
    assert got == {
        "mrr": 9000.0,
        "new_mrr": 1000.0,
        "expansion_mrr": 500.0,
        "contraction_mrr": 1000.0,
        "churned_mrr": 2000.0,
        "net_mrr_churn": round((2000 + 1000 - 500) / 10500 * 100, 4),
    }
    opening = 10500
    assert (
        opening
        + got["new_mrr"]
        + got["expansion_mrr"]
        - got["contraction_mrr"]
        - got["churned_mrr"]
        == got["mrr"]
    )
    assert kpis["net_mrr_churn"]["denominator"] == 10500.0
    assert kpis["new_mrr"]["sample_size"] == 1


@pytest.mark.django_db
def test_mrr_per_client_scope():
    _movement_clients()

    assert values(scope=Scope("client", "C"))["mrr"]["value"] == 3500.0
    assert values(scope=Scope("client", "B"))["mrr"]["value"] == 0.0
    assert values(scope=Scope("client", "F"))["mrr"]["status"] == "no_data"


@pytest.mark.django_db
def test_closing_mrr_of_a_running_period_is_today():
    client = ClientFactory(code="A")
    ContractFactory(client=client, monthly_fee=D(1000))
    ContractFactory(client=client, monthly_fee=D(500), start_date=dt.date(2025, 2, 20))
    on_feb_14 = dt.datetime(2025, 2, 14, 12, tzinfo=dt.UTC)

    assert values(as_of=on_feb_14)["mrr"]["value"] == 1000.0
    assert values()["mrr"]["value"] == 1500.0


def _contract_with_cost(
    *, code: str, fee: Decimal, hours: int, cost_rate: Decimal, day: dt.date
) -> Contract:
    """A contract of client ``code`` with ``hours`` of labour at ``cost_rate`` on ``day``."""
    contract = ContractFactory(client=ClientFactory(code=code), monthly_fee=fee)
    employee = EmployeeFactory(rates=(cost_rate, D(150)))
    whole_days, rest = divmod(hours, 24)
    for i in range(whole_days):
        TimeEntryFactory(
            employee=employee, contract=contract, date=day + dt.timedelta(i), hours=D(24)
        )
    if rest:
        TimeEntryFactory(
            employee=employee, contract=contract, date=day + dt.timedelta(whole_days), hours=rest
        )
    time_entries_recost(TimeEntry.objects.filter(contract=contract))
    return contract


@pytest.mark.django_db
def test_managed_services_margin_worked_example_for_company_and_client():
    # Fee 10,000 for all of February; 120 h at 50.00 = 6,000 of labour on the contract.
    _contract_with_cost(
        code="C1", fee=D(10000), hours=120, cost_rate=D(50), day=dt.date(2025, 2, 3)
    )
    # Labour on a project or internal is not managed-services cost.
    TimeEntryFactory(project=ProjectFactory(), date=dt.date(2025, 2, 3))
    TimeEntryFactory(date=dt.date(2025, 2, 4))
    # Labour on the contract outside the period is not counted.
    TimeEntryFactory(contract=Contract.objects.get(), date=dt.date(2025, 3, 3))

    company = values()["managed_services_gross_margin"]
    client = values(scope=Scope("client", "C1"))["managed_services_gross_margin"]

    assert company["value"] == 40.0
    assert (company["numerator"], company["denominator"]) == (4000.0, 10000.0)
    assert company["status"] == "within"
    assert client["value"] == 40.0


@pytest.mark.django_db
def test_managed_services_revenue_is_pro_rated_by_active_days_in_each_month():
    # Starts mid-January (15 of 31 days), full February, ends 10 March (10 of 31 days).
    ContractFactory(
        monthly_fee=D(3100), start_date=dt.date(2025, 1, 17), end_date=dt.date(2025, 3, 10)
    )
    # 10 of February's 28 days: an amount that does not divide into cents.
    ContractFactory(
        monthly_fee=D(1000), start_date=dt.date(2025, 2, 10), end_date=dt.date(2025, 2, 19)
    )
    # Outside the quarter.
    ContractFactory(monthly_fee=D(5000), end_date=dt.date(2024, 12, 31))

    totals = revenue_selectors.managed_services_totals(context(Period.quarter(2025, 1)))

    assert totals[COMPANY].revenue == D(1500) + D(3100) + D(1000) + D(1000) * 10 / 28
    assert totals[COMPANY].contracts == 2


@pytest.mark.django_db
def test_managed_services_revenue_of_a_running_month_counts_up_to_today():
    ContractFactory(monthly_fee=D(2800))
    on_feb_14 = dt.datetime(2025, 2, 14, 12, tzinfo=dt.UTC)

    totals = revenue_selectors.managed_services_totals(context(FEB, as_of=on_feb_14))

    assert totals[COMPANY].revenue == D(1400)


@pytest.mark.django_db
def test_cac_counts_sales_and_marketing_of_the_months_in_period_over_new_clients():
    ClientFactory(became_client_on=dt.date(2025, 2, 3))
    # Acquired in the period and already gone: still acquired.
    ClientFactory(became_client_on=dt.date(2025, 2, 10), churned_on=dt.date(2025, 2, 20))
    ClientFactory(became_client_on=dt.date(2025, 3, 1))
    OverheadFactory(month=dt.date(2025, 2, 1), category="sales_marketing", amount=D(20000))
    OverheadFactory(month=dt.date(2025, 2, 1), category="general_admin", amount=D(7000))
    OverheadFactory(month=dt.date(2025, 3, 1), category="sales_marketing", amount=D(9000))

    cac = values()["customer_acquisition_cost"]

    assert cac["value"] == 10000.0
    assert (cac["numerator"], cac["denominator"], cac["sample_size"]) == (20000.0, 2.0, 2)


@pytest.mark.django_db
def test_overheads_of_a_custom_period_are_the_months_whose_first_day_is_in_it():
    for month in (1, 2, 3):
        OverheadFactory(month=dt.date(2025, month, 1), category="other", amount=D(month * 1000))

    mid_jan_to_mid_mar = context(Period(dt.date(2025, 1, 15), dt.date(2025, 3, 14)))

    assert revenue_selectors.overheads_totals(mid_jan_to_mid_mar).total == D(5000)


def _clv_firm() -> None:
    """50 clients on 1 Feb 2025, 49 paying 2,000 a month; the 50th (no contract) leaves.

    Managed-services revenue 98,000, cost 58,800 (240 h at 245.00): margin 40 %.
    Two clients join in February (no contract) and sales and marketing spend 20,000.
    """
    for i in range(49):
        ContractFactory(client=ClientFactory(code=f"P{i:02d}"), monthly_fee=D(2000))
    ClientFactory(code="LEAVER", churned_on=dt.date(2025, 2, 14))
    ClientFactory(code="NEW1", became_client_on=dt.date(2025, 2, 5))
    ClientFactory(code="NEW2", became_client_on=dt.date(2025, 2, 25))
    employee = EmployeeFactory(rates=(D(245), D(300)))
    contract = Contract.objects.first()
    for day in range(1, 11):
        TimeEntryFactory(
            employee=employee, contract=contract, date=dt.date(2025, 2, day), hours=D(24)
        )
    time_entries_recost(TimeEntry.objects.all())
    OverheadFactory(month=dt.date(2025, 2, 1), category="sales_marketing", amount=D(20000))


@pytest.mark.django_db
def test_clv_cac_and_ratio_through_the_engine():
    _clv_firm()

    kpis = values()

    assert kpis["managed_services_gross_margin"]["value"] == 40.0
    assert kpis["logo_churn_rate"]["value"] == 2.0
    assert kpis["mrr"]["value"] == 98000.0
    # ARPA 98,000 / 49 = 2,000; 2,000 × 0.40 / 0.02 = 40,000.
    assert kpis["customer_lifetime_value"]["value"] == 40000.0
    assert kpis["customer_lifetime_value"]["sample_size"] == 49
    assert kpis["customer_acquisition_cost"]["value"] == 10000.0
    assert kpis["clv_cac_ratio"]["value"] == 4.0
    assert kpis["clv_cac_ratio"]["status"] == "within"


@pytest.mark.django_db
def test_zero_churn_makes_clv_and_its_ratio_null_with_a_reason():
    _clv_firm()
    Client.objects.filter(code="LEAVER").update(churned_on=None)

    kpis = values()

    assert kpis["logo_churn_rate"]["value"] == 0.0
    clv = kpis["customer_lifetime_value"]
    assert clv["value"] is None
    assert clv["status"] == "no_data"
    assert "zero logo churn" in clv["reason"]
    assert kpis["clv_cac_ratio"]["value"] is None


@pytest.mark.django_db
def test_net_profit_margin_and_recurring_share_with_projects_completed_in_period():
    # Managed services: 10,000 revenue, 6,000 cost.
    _contract_with_cost(
        code="C1", fee=D(10000), hours=120, cost_rate=D(50), day=dt.date(2025, 2, 3)
    )
    done = {"actual_start": dt.date(2025, 1, 6), "status": Project.Status.COMPLETED}
    completed = ProjectFactory(revenue=D(150000), actual_end=dt.date(2025, 2, 20), **done)
    ProjectExpenseFactory(project=completed, amount=D(90000))
    # Completed in March, and cancelled in February: neither counts.
    ProjectFactory(revenue=D(50000), actual_end=dt.date(2025, 3, 3), **done)
    ProjectFactory(
        revenue=D(70000),
        actual_start=dt.date(2025, 1, 6),
        actual_end=dt.date(2025, 2, 10),
        status=Project.Status.CANCELLED,
    )
    OverheadFactory(month=dt.date(2025, 2, 1), category="sales_marketing", amount=D(12000))
    OverheadFactory(month=dt.date(2025, 2, 1), category="facilities", amount=D(8000))

    kpis = values()

    # R = 10,000 + 150,000; C = 6,000 + 90,000; O = 20,000 → 44,000 / 160,000 = 27.5 %.
    npm = kpis["net_profit_margin"]
    assert npm["value"] == 27.5
    assert (npm["numerator"], npm["denominator"]) == (44000.0, 160000.0)
    assert npm["status"] == "above"
    share = kpis["recurring_revenue_share"]
    assert share["value"] == 6.25
    assert share["status"] == "below"


def _firm_of(clients: int) -> None:
    """``clients`` clients, each with a contract and labour on it, and one overhead."""
    employee = EmployeeFactory()
    for i in range(clients):
        client = ClientFactory(code=f"Q{i:03d}", became_client_on=dt.date(2024, 6, 1))
        contract = ContractFactory(
            client=client, monthly_fee=D(1000 + i), start_date=dt.date(2025, 1, 1 + i % 28)
        )
        TimeEntryFactory(
            employee=employee, contract=contract, date=dt.date(2025, 2, 1 + i % 28), hours=D(1)
        )
    OverheadFactory(month=dt.date(2025, 2, 1))


@pytest.mark.django_db
@pytest.mark.parametrize("clients", [5, 50])
def test_query_count_does_not_grow_with_clients(clients, django_assert_num_queries):
    _firm_of(clients)

    # 1 bands, 2 client counts, 3 MRR by client, 4 managed-services revenue by client,
    # 5 managed-services cost by client, 6 overheads, 7 projects closed in period.
    with django_assert_num_queries(7):
        found = kpis_compute_all_scopes(period=FEB, as_of=AFTER, keys=REVENUE_KEYS)

    client_mrr = [v for v in found if v.kpi.key == "mrr" and v.scope.kind == "client"]
    assert len(client_mrr) == clients


@pytest.mark.django_db
def test_same_query_count_for_5_and_50_clients_with_one_scope():
    _firm_of(5)
    with CaptureQueriesContext(connection) as five:
        values(scope=Scope("client", "Q001"))
    for i in range(45):
        ContractFactory(client=ClientFactory(code=f"R{i:03d}"))
    with CaptureQueriesContext(connection) as fifty:
        found = values(scope=Scope("client", "Q001"))
    assert len(five.captured_queries) == len(fifty.captured_queries)
    assert found["mrr"]["value"] == 1001.0
