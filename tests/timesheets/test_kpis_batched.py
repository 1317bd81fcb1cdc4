"""People KPIs in a snapshot run: inputs gathered once for all periods give, period by
period, exactly what computing each period alone gives (``KpiContext.summed``)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from synapse.kpis.engine import RunBatch, kpis_compute_all_scopes
from synapse.kpis.periods import Period, Scope
from synapse.kpis.snapshots import backfill_periods
from tests.factories import EmployeeFactory, HolidayFactory, LeaveFactory, TimeEntryFactory
from timesheets.models import Employee, TimeEntry

KEYS = ["billable_utilization", "timesheet_compliance"]
#: A clock in the middle of a week, a month, a quarter and a year: the running periods
#: count up to this day.
AS_OF = dt.datetime(2025, 5, 14, 18, 0, tzinfo=dt.UTC)


@pytest.fixture
def firm() -> list[Employee]:
    """Three people over 2024-11 … 2025-05 with holidays, part and full-day leave, days
    over and under their hours, weekend work and hours outside their employment."""
    staff = EmployeeFactory(user__username="sam", employed_from=dt.date(2024, 11, 13))
    manager = EmployeeFactory(
        user__username="max",
        role=Employee.Role.MANAGER,
        hours_per_day=Decimal("7.5"),
        employed_from=dt.date(2024, 1, 1),
        employed_until=dt.date(2025, 3, 19),
    )
    boss = EmployeeFactory(user__username="eve", role=Employee.Role.EXECUTIVE)
    for day in (dt.date(2024, 12, 25), dt.date(2025, 1, 1), dt.date(2025, 4, 21)):
        HolidayFactory(date=day)
    LeaveFactory(employee=staff, date=dt.date(2025, 1, 8), hours=Decimal(8))
    LeaveFactory(employee=staff, date=dt.date(2025, 2, 4), hours=Decimal(3))
    LeaveFactory(employee=manager, date=dt.date(2025, 3, 3), hours=Decimal(4))
    LeaveFactory(employee=manager, date=dt.date(2024, 12, 25), hours=Decimal(8))  # holiday
    rng = random.Random(7)
    entries = []
    day = dt.date(2024, 11, 1)
    while day <= dt.date(2025, 5, 31):
        for person in (staff, manager, boss):
            if day.weekday() < 5 or rng.random() < 0.1:
                for _ in range(rng.choice((1, 2))):
                    entries.append(
                        TimeEntryFactory.build(
                            employee=person,
                            date=day,
                            hours=Decimal(rng.choice((2, 3, 4, 5))) + Decimal("0.25"),
                            billable=rng.random() < 0.7,
                        )
                    )
        day += dt.timedelta(days=1)
    # Hours logged by someone employed at no time of the periods (hired later).
    late = EmployeeFactory(user__username="lee", employed_from=dt.date(2025, 6, 2))
    entries.append(TimeEntryFactory.build(employee=late, date=dt.date(2025, 2, 5)))
    TimeEntry.objects.bulk_create(entries)
    return [staff, manager, boss]


def _values(period: Period, batch: RunBatch | None) -> dict:
    found = kpis_compute_all_scopes(period=period, as_of=AS_OF, keys=KEYS, bands={}, batch=batch)
    return {
        (v.kpi.key, v.scope): (v.result.value, v.result.numerator, v.result.denominator)
        + (v.result.sample_size,)
        for v in found
    }


@pytest.mark.django_db
def test_a_run_gives_each_period_what_the_period_alone_gives(firm):
    periods = backfill_periods(
        start=dt.date(2024, 11, 1), end=dt.date(2025, 12, 31), today=AS_OF.date(), keys=KEYS
    )
    assert {p.grain for p in periods} == {"week", "month", "quarter", "year"}
    batch = RunBatch(periods=periods)
    with CaptureQueriesContext(connection) as batched_queries:
        together = {period: _values(period, batch) for period in periods}
    for period in periods:
        assert together[period] == _values(period, None), period
    # Real values, the running periods included (counted up to AS_OF).
    running = Period.containing("quarter", AS_OF.date())
    sam, max_ = Scope("employee", "sam"), Scope("employee", "max")
    assert 0 < together[running][("billable_utilization", sam)][0] < 100
    assert together[Period.month(2025, 2)][("timesheet_compliance", max_)][0] > 0
    lee = together[Period.month(2025, 2)][("billable_utilization", Scope("employee", "lee"))]
    assert lee == (None, Decimal(8), Decimal(0), 1)  # 8 billable hours, none available
    # Inputs are gathered once per grain (weeks) or once for all months, not per period:
    # the query count does not grow with the number of periods.
    assert len(periods) > 40
    # (14, and one more in each of the 4 periods where someone employed at no time of
    # the run logged hours: their name is read then.)
    assert len(batched_queries) <= 14 + 4
