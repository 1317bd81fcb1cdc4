"""Property-based tests (hypothesis) of the SLA clock and the money and percentage math.

Examples are few and derandomized (the same every run) so ``make test`` stays quick;
``HYPOTHESIS_PROFILE=thorough`` runs many more.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.kpis.revenue import mrr_movements
from projects.models import Contract, Overhead
from support.sla import (
    SlaCalendar,
    add_working_minutes,
    add_working_time,
    working_minutes_between,
    working_time_between,
)
from synapse.fields import FixedPointField, MoneyField
from synapse.kpis.engine import kpis_compute_all_scopes
from synapse.kpis.periods import Period, local_midnight
from synapse.kpis.results import margin, percentage, ratio
from tests.factories import ClientFactory, SurveyResponseFactory

settings.register_profile(
    "hardening", max_examples=25, deadline=None, derandomize=True, print_blob=True
)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "hardening"))

UTC = dt.UTC
#: Zones with DST at different moments, one with a 30-minute shift, and UTC.
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
HOLIDAYS = frozenset({dt.date(2025, 3, 31), dt.date(2025, 12, 25), dt.date(2026, 1, 1)})
#: The days around which the zones above change their clocks, and ordinary days.
START = dt.datetime(2025, 3, 20, tzinfo=UTC)
HOURS_90_DAYS = 90 * 24


class _Rollback(Exception):
    """Undo one hypothesis example's rows (the test database is shared by all examples)."""


@st.composite
def calendars(draw: st.DrawFn) -> SlaCalendar:
    if draw(st.booleans()):
        return SlaCalendar.always()
    start_hour = draw(st.integers(min_value=0, max_value=12))
    length = draw(st.integers(min_value=1, max_value=10))
    return SlaCalendar.business(
        tz=ZoneInfo(draw(st.sampled_from(ZONES))),
        day_start=dt.time(start_hour, draw(st.sampled_from([0, 30]))),
        day_end=dt.time(start_hour + length, 0),
        holidays=HOLIDAYS,
    )


moments = st.integers(min_value=0, max_value=HOURS_90_DAYS * 60).map(
    lambda minutes: START + dt.timedelta(minutes=minutes)
)


@st.composite
def closed_pauses(draw: st.DrawFn) -> list[tuple[dt.datetime, dt.datetime]]:
    pauses = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        start = draw(moments)
        pauses.append((start, start + dt.timedelta(minutes=draw(st.integers(0, 5000)))))
    return pauses


# --- The SLA clock -------------------------------------------------------------------------


@given(calendar=calendars(), start=moments, minutes=st.integers(0, 5000), pauses=closed_pauses())
def test_adding_n_working_minutes_then_measuring_gives_n(calendar, start, minutes, pauses):
    end = add_working_minutes(calendar, start, minutes, pauses)
    assert end is not None  # only an open pause stops the clock for good
    assert working_minutes_between(calendar, start, end, pauses) == minutes
    assert end >= start


@given(calendar=calendars(), start=moments, a=moments, b=moments, pauses=closed_pauses())
def test_elapsed_working_time_is_monotonic_and_never_beats_the_wall_clock(
    calendar, start, a, b, pauses
):
    early, late = sorted((a, b))
    before = working_time_between(calendar, start, early, pauses)
    after = working_time_between(calendar, start, late, pauses)
    assert dt.timedelta(0) <= before <= after
    assert after - before <= late - early
    assert after <= max(late - start, dt.timedelta(0))


@given(calendar=calendars(), start=moments, end=moments, pauses=closed_pauses())
def test_pauses_never_increase_elapsed_time(calendar, start, end, pauses):
    assert working_time_between(calendar, start, end, pauses) <= working_time_between(
        calendar, start, end
    )


@given(calendar=calendars(), start=moments, small=st.integers(0, 3000), extra=st.integers(0, 3000))
def test_a_longer_target_is_never_due_earlier(calendar, start, small, extra):
    assert add_working_minutes(calendar, start, small) <= add_working_minutes(
        calendar, start, small + extra
    )


@given(zone=st.sampled_from(ZONES), day=st.integers(0, 400))
def test_a_business_day_is_its_local_hours_long_even_on_dst_change_days(zone, day):
    tz = ZoneInfo(zone)
    calendar = SlaCalendar.business(tz=tz, holidays=HOLIDAYS)
    date = dt.date(2025, 1, 1) + dt.timedelta(days=day)
    midnight = dt.datetime.combine(date, dt.time(0), tzinfo=tz)
    next_midnight = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    expected = dt.timedelta(hours=8) if calendar.is_business_day(date) else dt.timedelta(0)
    assert working_time_between(calendar, midnight, next_midnight) == expected


@given(start=moments, minutes=st.integers(0, 10_000))
def test_the_24x7_clock_is_the_wall_clock(start, minutes):
    amount = dt.timedelta(minutes=minutes)
    assert add_working_time(SlaCalendar.always(), start, amount) == start + amount


# --- Money and percentage math ------------------------------------------------------------

money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
signed_money = st.decimals(
    min_value=-(10**13), max_value=10**13, places=2, allow_nan=False, allow_infinity=False
)


@given(pairs=st.lists(st.tuples(money, money), max_size=30))
def test_mrr_movements_reconcile_opening_to_closing(pairs):
    m = mrr_movements(pairs)
    assert m.opening + m.new + m.expansion - m.contraction - m.churned == m.closing
    assert min(m.new, m.expansion, m.contraction, m.churned) >= 0
    assert m.clients_new + m.clients_churned <= len(pairs)


@given(num=money, den=money)
def test_a_percentage_is_its_numerator_over_its_denominator_times_100(num, den):
    result = percentage(num, den, sample_size=1)
    plain = ratio(num, den, sample_size=1)
    if den == 0:
        assert result.value is None and plain.value is None  # no data, never zero
    else:
        assert result.value == num / den * 100
        assert plain.value == num / den
        assert (result.numerator, result.denominator) == (num, den)


@given(revenue=money, cost=money)
def test_the_margin_formula(revenue, cost):
    result = margin(revenue, cost, sample_size=1)
    if revenue == 0:
        assert result.value is None
        return
    assert result.value == (revenue - cost) / revenue * 100
    assert result.value <= 100
    if cost <= revenue:
        assert result.value >= 0


@given(value=signed_money)
def test_a_fixed_point_value_round_trips_exactly_through_the_column(value):
    field = MoneyField()
    stored = field.get_db_prep_value(value, connection=None)
    assert isinstance(stored, int)
    assert field.from_db_value(stored, None, None) == value
    assert FixedPointField(places=2).to_python(str(value)) == value


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(money, min_size=1, max_size=8))
@pytest.mark.django_db
def test_money_round_trips_and_sums_exactly_in_the_database(amounts):
    try:
        with transaction.atomic():
            for i, amount in enumerate(amounts):
                Overhead.objects.create(
                    month=dt.date(2000 + i, 1, 1), category="other", amount=amount
                )
            stored = list(Overhead.objects.order_by("month").values_list("amount", flat=True))
            assert stored == amounts
            assert Overhead.objects.aggregate(total=Sum("amount"))["total"] == sum(amounts)
            raise _Rollback
    except _Rollback:
        pass


@st.composite
def contract_sets(draw: st.DrawFn) -> list[tuple[int, Decimal, dt.date, dt.date | None]]:
    """Return (client index, monthly fee, start, end) of up to 8 contracts around Feb 2025."""
    contracts = []
    for _ in range(draw(st.integers(0, 8))):
        start = dt.date(2024, 12, 1) + dt.timedelta(days=draw(st.integers(0, 120)))
        end = None if draw(st.booleans()) else start + dt.timedelta(days=draw(st.integers(0, 120)))
        fee = draw(st.decimals(min_value=0, max_value=50_000, places=2))
        contracts.append((draw(st.integers(0, 3)), fee, start, end))
    return contracts


_EDGES = (dt.date(2025, 1, 31), dt.date(2025, 2, 28))


def _mrr_on(contracts, day: dt.date) -> Decimal:
    return sum(
        (fee for _, fee, start, end in contracts if start <= day and (end is None or day <= end)),
        Decimal(0),
    )


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=15)
@given(contracts=contract_sets())
@pytest.mark.django_db
def test_mrr_kpis_reconcile_opening_to_closing_on_random_contracts(contracts):
    period = Period(dt.date(2025, 2, 1), dt.date(2025, 2, 28), "month")
    try:
        with transaction.atomic():
            clients = [ClientFactory(code=f"R{i}") for i in range(4)]
            for n, (client, fee, start, end) in enumerate(contracts):
                Contract.objects.create(
                    code=f"MS-R{n}",
                    client=clients[client],
                    name="Run",
                    monthly_fee=fee,
                    start_date=start,
                    end_date=end,
                )
            keys = ["mrr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr"]
            values = {
                v.kpi.key: v.result.value
                for v in kpis_compute_all_scopes(
                    period=period, as_of=local_midnight(dt.date(2025, 6, 1)), keys=keys
                )
                if v.scope.kind == "company"
            }
            opening = _mrr_on(contracts, dt.date(2025, 1, 31))
            closing = _mrr_on(contracts, dt.date(2025, 2, 28))
            active = [
                c
                for c in contracts
                if any(c[2] <= d and (c[3] is None or d <= c[3]) for d in _EDGES)
            ]
            if not active:  # no data is not zero (kpis.md)
                assert set(values.values()) == {None}
                raise _Rollback
            assert values["mrr"] == closing
            assert (
                opening
                + values["new_mrr"]
                + values["expansion_mrr"]
                - values["contraction_mrr"]
                - values["churned_mrr"]
                == closing
            )
            raise _Rollback
    except _Rollback:
        pass


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=15)
@given(scores=st.lists(st.integers(1, 5), min_size=0, max_size=25))
@pytest.mark.django_db
def test_the_csat_kpi_equals_its_numerator_over_its_denominator(scores):
    period = Period(dt.date(2025, 2, 1), dt.date(2025, 2, 28), "month")
    try:
        with transaction.atomic():
            client = ClientFactory(code="CSAT")
            for i, score in enumerate(scores):
                SurveyResponseFactory(
                    response_id=f"R-{i}",
                    client=client,
                    kind="csat",
                    score=score,
                    responded_at=dt.datetime(2025, 2, 1 + i % 28, 12, tzinfo=UTC),
                )
            (company,) = [
                v.result
                for v in kpis_compute_all_scopes(
                    period=period, as_of=local_midnight(dt.date(2025, 6, 1)), keys=["csat"]
                )
                if v.scope.kind == "company"
            ]
            satisfied = sum(score >= 4 for score in scores)
            if not scores:
                assert company.value is None
            else:
                assert (company.numerator, company.denominator) == (satisfied, len(scores))
                assert company.value == Decimal(satisfied) / Decimal(len(scores)) * 100
                assert company.sample_size == len(scores)
            raise _Rollback
    except _Rollback:
        pass
