"""Row rules: pure checks on one record, reusable by forms and the API (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from synapse import rules


def test_a_fixed_price_project_needs_revenue_but_time_and_materials_does_not():
    row = {"billing": "fixed", "revenue": None, "budget": Decimal(1)}
    assert rules.validate_project(row) == {"revenue": "is required for a fixed-price project"}
    assert rules.validate_project({**row, "billing": "time_and_materials"}) == {}


def test_a_project_that_ends_before_it_starts_is_refused():
    errors = rules.validate_project(
        {
            "billing": "fixed",
            "revenue": Decimal(10),
            "planned_start": dt.date(2025, 3, 1),
            "planned_end": dt.date(2025, 2, 1),
            "actual_start": dt.date(2025, 3, 1),
            "actual_end": dt.date(2025, 2, 28),
        }
    )
    assert set(errors) == {"planned_end", "actual_end"}
    assert errors["planned_end"] == "2025-02-01 is before planned_start 2025-03-01"


@pytest.mark.parametrize(
    ("kind", "score", "ok"),
    [("csat", 1, True), ("csat", 5, True), ("csat", 0, False), ("csat", 6, False)]
    + [("nps", 0, True), ("nps", 10, True), ("nps", 11, False)],
)
def test_scores_stay_on_their_scale(kind, score, ok):
    errors = rules.validate_survey_response({"kind": kind, "score": score})
    assert (errors == {}) is ok


def test_a_time_entry_over_24_hours_and_outside_employment():
    row = {"username": "ann", "date": dt.date(2023, 12, 31), "hours": Decimal(25)}
    errors = rules.validate_time_entry(row, employment=(dt.date(2024, 1, 1), None))
    assert errors["hours"] == "must be between 0 and 24 (got 25)"
    assert errors["date"] == "2023-12-31 is outside the employment of ann (2024-01-01 to now)"


def test_a_time_entry_counts_the_other_hours_of_that_day():
    row = {"username": "ann", "date": dt.date(2025, 2, 3), "hours": Decimal(6)}
    assert rules.validate_time_entry(row, other_hours_that_day=Decimal(18)) == {}
    errors = rules.validate_time_entry(row, other_hours_that_day=Decimal("18.5"))
    assert errors == {"hours": "ann would log 24.50 hours on 2025-02-03 (more than 24)"}


def test_negative_money_is_refused():
    assert rules.validate_contract({"monthly_fee": Decimal("-1")}) == {
        "monthly_fee": "must not be negative (got -1)"
    }
    assert rules.validate_overhead({"amount": Decimal(0)}) == {}


def test_a_ticket_resolved_before_it_was_opened():
    opened = dt.datetime(2025, 2, 3, 10, tzinfo=dt.UTC)
    errors = rules.validate_ticket(
        {"opened_at": opened, "resolved_at": opened - dt.timedelta(minutes=1)}
    )
    assert list(errors) == ["resolved_at"]
