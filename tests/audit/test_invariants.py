"""Audit invariants every KPI result keeps (kpis.md "Conventions").

value = numerator / denominator (× 100 for percentages), so a value can be explained
and rolled up; and a value is never reported without data.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from synapse.demo.clock import at_local
from synapse.kpis.engine import kpis_compute, kpis_compute_all_scopes
from synapse.kpis.periods import Period
from tests.demo.test_seed_demo import TODAY, seed
from tests.paths import SMALL_FIRM

PERCENT_UNITS = {"%", "%/month", "score"}  # NPS is a difference of two percentages
#: Means of per-record percentages: the numerator is already a sum of percentages.
MEANS_OF_PERCENTAGES = {"delivery_time_variance"}

pytestmark = pytest.mark.django_db


def _check_values(periods: tuple[Period, ...], as_of: dt.datetime) -> set[str]:
    """Assert the invariant on every KPI × scope of ``periods``; return the keys checked."""
    checked = set()
    for period in periods:
        values = kpis_compute_all_scopes(period=period, as_of=as_of)
        for found in values:
            result = found.result
            if result.value is None or result.denominator is None:
                continue
            percent = found.kpi.unit in PERCENT_UNITS
            scale = Decimal(100 if percent and found.kpi.key not in MEANS_OF_PERCENTAGES else 1)
            expected = result.numerator / result.denominator * scale
            assert abs(result.value - expected) < Decimal("1e-20"), (found.kpi.key, found.scope)
            assert result.sample_size > 0, (found.kpi.key, found.scope)
            checked.add(found.kpi.key)
    return checked


def test_every_value_of_the_small_firm_is_its_numerator_over_its_denominator():
    call_command("import_data", str(SMALL_FIRM), stdout=io.StringIO(), stderr=io.StringIO())
    periods = (Period.month(2025, 2), Period.quarter(2025, 1), Period.year(2025))
    checked = _check_values(periods, dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    assert {"billable_utilization", "project_gross_margin", "nps"} <= checked


def test_every_value_of_the_demo_firm_is_its_numerator_over_its_denominator():
    seed()
    periods = (Period.month(2025, 5), Period.quarter(2025, 2), Period.month(2025, 6))
    # 18 June at noon: June is a running period.
    checked = _check_values(periods, at_local(TODAY, 12))
    assert len(checked) >= 25, sorted(checked)


def test_one_scope_at_a_time_gives_the_same_values_as_all_scopes_at_once():
    # kpi_report computes one scope (narrowed queries); snapshots compute every scope at
    # once. The two must agree exactly, value, numerator, denominator and sample size.
    seed()
    as_of = at_local(TODAY, 12)
    for period in (Period.quarter(2025, 2), Period.month(2025, 6)):
        every = kpis_compute_all_scopes(period=period, as_of=as_of)
        by_scope: dict = {}
        for found in every:
            by_scope.setdefault(found.scope, {})[found.kpi.key] = found.result
        assert len(by_scope) > 10
        for scope, results in by_scope.items():
            alone = kpis_compute(period=period, scope=scope, as_of=as_of, keys=list(results))
            for key, result in results.items():
                assert alone[key].result == result, (period, scope, key)
