"""Selectors behind the people KPIs: weekday counting and per-employee working days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import Period
from tests.factories import EmployeeFactory, HolidayFactory, LeaveFactory
from timesheets.selectors import employees_days, weekdays_count


def _brute_force(start: dt.date, end: dt.date) -> int:
    days = (end - start).days + 1
    return sum(1 for i in range(max(days, 0)) if (start + dt.timedelta(i)).weekday() < 5)


@pytest.mark.parametrize("start_day", range(1, 15))
@pytest.mark.parametrize("length", [0, 1, 2, 5, 6, 7, 8, 13, 14, 20, 31, 366])
def test_weekdays_count_matches_counting_day_by_day(start_day, length):
    start = dt.date(2025, 6, start_day)
    end = start + dt.timedelta(days=length - 1)
    assert weekdays_count(start, end) == _brute_force(start, end)


def test_weekdays_count_of_february_2025_is_20():
    assert weekdays_count(dt.date(2025, 2, 1), dt.date(2025, 2, 28)) == 20


@pytest.mark.django_db
def test_employees_days_combines_employment_holidays_and_leave():
    person = EmployeeFactory(
        user__username="pat",
        hours_per_day=Decimal("7.5"),
        employed_from=dt.date(2025, 2, 10),
        employed_until=dt.date(2025, 2, 21),
    )
    HolidayFactory(date=dt.date(2025, 2, 17))
    HolidayFactory(date=dt.date(2025, 2, 3))  # before employment
    LeaveFactory(employee=person, date=dt.date(2025, 2, 11), hours=Decimal("7.5"))
    LeaveFactory(employee=person, date=dt.date(2025, 2, 12), hours=Decimal(2))
    LeaveFactory(employee=person, date=dt.date(2025, 2, 17), hours=Decimal(8))  # holiday
    LeaveFactory(employee=person, date=dt.date(2025, 2, 24), hours=Decimal(8))  # after leaving
    ctx = KpiContext(
        period=Period.month(2025, 2),
        as_of=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
        kinds=frozenset({"employee"}),
    )
    days = employees_days(ctx)[person.pk]
    assert days.working_days == 9
    assert days.leave_hours == Decimal("9.5")
    assert days.full_leave_days == 1
    assert days.available_hours == Decimal("58.0")  # 9 × 7.5 − 9.5
    assert days.expected_days == 8
