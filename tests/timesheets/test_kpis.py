"""People KPIs: billable utilization and timesheet compliance (kpis.md "People").

February 2025 has 20 weekdays (Mon 3 … Fri 28; Sat 1, 8, 15, 22 and Sun 2, 9, 16, 23 are
weekends), so an 8-hour employee employed all month has 160 available hours.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from synapse.kpis.engine import KpiContext, kpis_compute
from synapse.kpis.periods import COMPANY, SCOPE_KINDS, Period, Scope
from synapse.kpis.registry import kpi_get
from tests.factories import EmployeeFactory, HolidayFactory, LeaveFactory, TimeEntryFactory
from timesheets.kpis import billable_utilization, timesheet_compliance
from timesheets.models import Employee

pytestmark = pytest.mark.django_db

FEB = Period.month(2025, 2)
AFTER_FEB = dt.datetime(2025, 3, 15, 12, tzinfo=dt.UTC)
FEB_WEEKDAYS = [dt.date(2025, 2, d) for d in range(1, 29) if dt.date(2025, 2, d).weekday() < 5]


def compute(key: str, *, period: Period = FEB, as_of: dt.datetime = AFTER_FEB) -> dict:
    """Return ``{scope: KpiResult}`` of one KPI for every scope kind, as the nightly job asks."""
    ctx = KpiContext(period=period, as_of=as_of, kinds=frozenset(SCOPE_KINDS))
    return kpi_get(key).compute(ctx)


def employee(username: str, **kwargs) -> Employee:
    return EmployeeFactory(user__username=username, **kwargs)


def log(person: Employee, days: list[dt.date], hours: str = "8", billable: bool = True) -> None:
    for day in days:
        TimeEntryFactory(employee=person, date=day, hours=Decimal(hours), billable=billable)


# --- formulas (no database) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("billable", "available", "expected"),
    [("120", "160", Decimal(75)), ("0", "160", Decimal(0)), ("170", "160", Decimal("106.25"))],
)
def test_billable_utilization_formula(billable, available, expected):
    result = billable_utilization(
        billable_hours=Decimal(billable), available_hours=Decimal(available), employees=1
    )
    assert result.value == expected


def test_billable_utilization_without_available_hours_has_no_data():
    result = billable_utilization(
        billable_hours=Decimal(4), available_hours=Decimal(0), employees=1
    )
    assert result.value is None
    assert result.reason == "no available hours in period"


def test_timesheet_compliance_formula():
    assert timesheet_compliance(compliant_days=19, expected_days=20).value == Decimal(95)
    assert timesheet_compliance(compliant_days=0, expected_days=0).value is None


# --- billable utilization --------------------------------------------------------------


def test_worked_example_120_billable_of_160_available_is_75():
    casey = employee("casey")
    log(casey, FEB_WEEKDAYS[:15])  # 15 days × 8 h = 120 h billable
    log(casey, FEB_WEEKDAYS[15:], billable=False)  # internal time is not billable
    results = compute("billable_utilization")
    for scope in (COMPANY, Scope("employee", "casey")):
        assert results[scope].value == Decimal(75)
        assert (results[scope].numerator, results[scope].denominator) == (160 - 40, 160)
    assert results[COMPANY].sample_size == 1


def test_worked_example_through_the_engine_reports_status_within():
    casey = employee("casey")
    log(casey, FEB_WEEKDAYS[:15])
    value = kpis_compute(period=FEB, as_of=AFTER_FEB, keys=["billable_utilization"])
    report = value["billable_utilization"].as_json()
    assert report["value"] == 75.0
    assert (report["numerator"], report["denominator"], report["sample_size"]) == (120, 160, 1)
    assert report["status"] == "within"
    assert report["band"] == [75.0, 85.0]


def test_a_holiday_removes_a_day_and_leave_on_it_changes_nothing():
    casey = employee("casey")
    HolidayFactory(date=dt.date(2025, 2, 17))  # a Monday
    LeaveFactory(employee=casey, date=dt.date(2025, 2, 17), hours=Decimal(8))
    log(casey, FEB_WEEKDAYS[:12])  # 96 h
    result = compute("billable_utilization")[COMPANY]
    assert result.denominator == 152  # 19 working days × 8 h
    assert result.value == Decimal(96) / 152 * 100


def test_a_holiday_on_a_weekend_removes_nothing():
    casey = employee("casey")
    HolidayFactory(date=dt.date(2025, 2, 15))  # a Saturday
    log(casey, FEB_WEEKDAYS[:15])
    assert compute("billable_utilization")[COMPANY].denominator == 160


def test_leave_on_a_weekend_changes_nothing():
    casey = employee("casey")
    LeaveFactory(employee=casey, date=dt.date(2025, 2, 8), hours=Decimal(8))  # a Saturday
    log(casey, FEB_WEEKDAYS[:15])
    result = compute("billable_utilization")[COMPANY]
    assert (result.denominator, result.value) == (160, Decimal(75))


def test_half_day_leave_removes_half_a_day():
    casey = employee("casey")
    LeaveFactory(employee=casey, date=dt.date(2025, 2, 4), hours=Decimal(4))
    log(casey, FEB_WEEKDAYS[:13])  # 104 h
    result = compute("billable_utilization")[COMPANY]
    assert result.denominator == 156
    assert result.value == Decimal(104) / 156 * 100


def test_leave_longer_than_a_working_day_removes_one_working_day():
    part_timer = employee("pat", hours_per_day=Decimal(6))
    LeaveFactory(employee=part_timer, date=dt.date(2025, 2, 4), hours=Decimal(8))
    log(part_timer, FEB_WEEKDAYS[:19], hours="6")  # 114 h
    result = compute("billable_utilization")[Scope("employee", "pat")]
    assert result.denominator == 20 * 6 - 6
    assert result.value == Decimal(100)


def test_employment_starting_and_ending_mid_period_counts_only_the_days_employed():
    joiner = employee("joiner", employed_from=dt.date(2025, 2, 15))  # a Saturday
    leaver = employee(
        "leaver", employed_from=dt.date(2024, 1, 1), employed_until=dt.date(2025, 2, 5)
    )
    LeaveFactory(employee=leaver, date=dt.date(2025, 2, 10), hours=Decimal(8))  # after leaving
    log(joiner, FEB_WEEKDAYS[10:18])  # 64 h of the 80 available from Mon 17
    log(leaver, FEB_WEEKDAYS[:3])  # 24 h of the 24 available (Mon 3 – Wed 5)
    results = compute("billable_utilization")
    assert results[Scope("employee", "joiner")].denominator == 80
    assert results[Scope("employee", "joiner")].value == Decimal(80)
    assert results[Scope("employee", "leaver")].denominator == 24
    assert results[COMPANY].value == Decimal(88) / 104 * 100
    assert results[COMPANY].sample_size == 2


def test_executives_are_left_out_at_company_scope_but_have_their_own_value():
    staff = employee("casey")
    manager = employee("morgan", role=Employee.Role.MANAGER)
    boss = employee("ceo", role=Employee.Role.EXECUTIVE)
    log(staff, FEB_WEEKDAYS[:15])  # 120 h
    log(manager, FEB_WEEKDAYS[:10])  # 80 h
    log(boss, FEB_WEEKDAYS[:2])  # 16 h
    results = compute("billable_utilization")
    assert results[COMPANY].numerator == 200
    assert results[COMPANY].denominator == 320
    assert results[COMPANY].value == Decimal("62.5")
    assert results[COMPANY].sample_size == 2
    assert results[Scope("employee", "ceo")].value == Decimal(10)


def test_billable_hours_on_a_weekend_count_but_add_no_available_hours():
    casey = employee("casey")
    log(casey, FEB_WEEKDAYS[:15])
    log(casey, [dt.date(2025, 2, 8)])  # Saturday overtime
    result = compute("billable_utilization")[COMPANY]
    assert (result.numerator, result.denominator, result.value) == (128, 160, Decimal(80))


def test_a_running_period_counts_up_to_today():
    casey = employee("casey")
    log(casey, FEB_WEEKDAYS[:5])  # 40 h, Mon 3 – Fri 7
    log(casey, [dt.date(2025, 2, 12)])  # tomorrow: not counted yet
    as_of = dt.datetime(2025, 2, 11, 9, tzinfo=dt.UTC)  # Tuesday 11 February
    result = compute("billable_utilization", as_of=as_of)[COMPANY]
    assert (result.numerator, result.denominator) == (40, 56)  # 7 weekdays so far


def test_an_empty_period_has_no_data():
    results = compute("billable_utilization")
    assert results[COMPANY].value is None
    assert results[COMPANY].reason == "no available hours in period"
    reported = kpis_compute(period=FEB, as_of=AFTER_FEB, keys=["billable_utilization"])
    assert reported["billable_utilization"].status == "no_data"


def test_employee_scope_is_narrowed_to_that_employee():
    casey = employee("casey")
    other = employee("other")
    log(casey, FEB_WEEKDAYS[:15])
    log(other, FEB_WEEKDAYS[:5])
    reported = kpis_compute(
        period=FEB,
        scope=Scope("employee", "casey"),
        as_of=AFTER_FEB,
        keys=["billable_utilization", "timesheet_compliance"],
    )
    assert reported["billable_utilization"].value == Decimal(75)
    assert reported["timesheet_compliance"].value == Decimal(75)


# --- timesheet compliance --------------------------------------------------------------


def test_compliance_counts_days_with_a_full_day_logged():
    casey = employee("casey")
    log(casey, FEB_WEEKDAYS[:19])
    TimeEntryFactory(employee=casey, date=FEB_WEEKDAYS[19], hours=Decimal(5))
    TimeEntryFactory(employee=casey, date=FEB_WEEKDAYS[19], hours=Decimal("2.5"))
    result = compute("timesheet_compliance")[COMPANY]
    assert (result.numerator, result.denominator, result.value) == (19, 20, Decimal(95))
    assert result.sample_size == 20


def test_entries_of_one_day_add_up():
    casey = employee("casey")
    for day in FEB_WEEKDAYS:
        TimeEntryFactory(employee=casey, date=day, hours=Decimal(5), billable=True)
        TimeEntryFactory(employee=casey, date=day, hours=Decimal(3), billable=False)
    assert compute("timesheet_compliance")[COMPANY].value == Decimal(100)


def test_a_full_day_leave_day_is_not_expected():
    casey = employee("casey")
    LeaveFactory(employee=casey, date=dt.date(2025, 2, 5), hours=Decimal(8))
    log(casey, [day for day in FEB_WEEKDAYS if day != dt.date(2025, 2, 5)])
    result = compute("timesheet_compliance")[COMPANY]
    assert (result.numerator, result.denominator, result.value) == (19, 19, Decimal(100))


def test_half_day_leave_plus_half_a_day_logged_is_compliant():
    casey = employee("casey")
    LeaveFactory(employee=casey, date=dt.date(2025, 2, 4), hours=Decimal(4))
    LeaveFactory(employee=casey, date=dt.date(2025, 2, 5), hours=Decimal(4))
    log(casey, [day for day in FEB_WEEKDAYS if day.day not in (4, 5)])
    TimeEntryFactory(employee=casey, date=dt.date(2025, 2, 4), hours=Decimal(4))
    TimeEntryFactory(employee=casey, date=dt.date(2025, 2, 5), hours=Decimal(3))
    result = compute("timesheet_compliance")[COMPANY]
    assert (result.numerator, result.denominator) == (19, 20)


def test_weekend_and_holiday_days_are_neither_expected_nor_compliant():
    casey = employee("casey")
    HolidayFactory(date=dt.date(2025, 2, 17))
    log(casey, [dt.date(2025, 2, 8), dt.date(2025, 2, 9), dt.date(2025, 2, 17)])
    log(casey, FEB_WEEKDAYS[:10])
    result = compute("timesheet_compliance")[COMPANY]
    assert (result.numerator, result.denominator) == (10, 19)


def test_compliance_leaves_executives_out_at_company_scope():
    staff = employee("casey")
    boss = employee("ceo", role=Employee.Role.EXECUTIVE)
    log(staff, FEB_WEEKDAYS)
    log(boss, FEB_WEEKDAYS[:1])
    results = compute("timesheet_compliance")
    assert (results[COMPANY].numerator, results[COMPANY].denominator) == (20, 20)
    assert results[Scope("employee", "ceo")].value == Decimal(5)


def test_compliance_counts_only_days_employed():
    joiner = employee("joiner", employed_from=dt.date(2025, 2, 17))
    log(joiner, [dt.date(2025, 2, 14)])  # before employment: ignored
    log(joiner, FEB_WEEKDAYS[10:])
    result = compute("timesheet_compliance")[Scope("employee", "joiner")]
    assert (result.numerator, result.denominator) == (10, 10)


def test_compliance_in_an_empty_period_has_no_data():
    result = compute("timesheet_compliance")[COMPANY]
    assert result.value is None
    assert result.reason == "no expected working days in period"


# --- set-based: the query count does not grow with the number of employees -------------


def _firm(size: int) -> None:
    HolidayFactory(date=dt.date(2025, 2, 17))
    for i in range(size):
        person = employee(f"e{size}-{i}", role=Employee.Role.STAFF)
        log(person, FEB_WEEKDAYS[:3])
        LeaveFactory(employee=person, date=FEB_WEEKDAYS[4], hours=Decimal(4))


@pytest.mark.parametrize("size", [5, 50])
def test_people_kpis_take_the_same_queries_for_5_and_50_employees(size, django_assert_num_queries):
    _firm(size)
    # 1 weekday holidays of the period, 2 leave grouped per employee,
    # 3 employees employed in the period, 4 billable hours grouped per employee.
    with django_assert_num_queries(4):
        utilization = compute("billable_utilization")
    # 1–3 as above, 4 compliant days grouped per employee (one nested query).
    with django_assert_num_queries(4):
        compliance = compute("timesheet_compliance")
    assert utilization[COMPANY].denominator == size * (19 * 8 - 4)
    assert utilization[COMPANY].numerator == size * 24
    assert (compliance[COMPANY].numerator, compliance[COMPANY].denominator) == (
        size * 3,
        size * 19,
    )
    assert len([s for s in compliance if s.kind == "employee"]) == size
