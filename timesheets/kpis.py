"""People KPIs (kpis.md "People"): billable utilization and timesheet compliance.

Both are sums over sums: at employee scope one employee's numerator and denominator,
at company scope their sums over the employees whose role is staff or manager
(executives are left out). An executive still gets their own value at employee scope:
kpis.md leaves executives out of the company figures, not out of their own record.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import COMPANY, Scope
from synapse.kpis.registry import Kpi, register
from synapse.kpis.results import KpiResult, percentage
from timesheets import selectors

ZERO = Decimal(0)


def billable_utilization(
    *, billable_hours: Decimal, available_hours: Decimal, employees: int
) -> KpiResult:
    """Return Σ billable hours in period / Σ available hours × 100.

    ``employees`` is the sample size. No data when no hours were available.
    """
    result = percentage(billable_hours, available_hours, sample_size=employees)
    if result.value is None:
        return replace(result, reason="no available hours in period")
    return result


def timesheet_compliance(*, compliant_days: int, expected_days: int) -> KpiResult:
    """Return compliant days / expected days × 100.

    Expected days are the working days of "available hours" less the days of full-day
    leave; a day is compliant when hours logged + leave hours that day ≥ hours_per_day.
    Only expected days count: hours logged on a weekend or holiday make no day
    compliant and no day expected. The sample size is the number of expected days.
    """
    result = percentage(compliant_days, expected_days, sample_size=expected_days)
    if result.value is None:
        return replace(result, reason="no expected working days in period")
    return result


def _billable_utilization(ctx: KpiContext) -> dict[Scope, KpiResult]:
    days = selectors.employees_days(ctx)
    billable = selectors.billable_hours_by_employee(ctx)
    out: dict[Scope, KpiResult] = {}
    total_billable, total_available, employees = ZERO, ZERO, 0
    for employee_id in days.keys() | billable.keys():
        person = days.get(employee_id)
        logged = billable.get(employee_id)
        hours = logged["billable"] if logged else ZERO
        available = person.available_hours if person else ZERO
        if hours == 0 and available == 0:
            continue
        username = person.username if person else logged["username"]
        role = person.role if person else logged["role"]
        if ctx.wants("employee"):
            out[Scope("employee", username)] = billable_utilization(
                billable_hours=hours, available_hours=available, employees=1
            )
        if role in selectors.COMPANY_ROLES:
            total_billable += hours
            total_available += available
            employees += 1
    if ctx.wants("company"):
        out[COMPANY] = billable_utilization(
            billable_hours=total_billable, available_hours=total_available, employees=employees
        )
    return out


def _timesheet_compliance(ctx: KpiContext) -> dict[Scope, KpiResult]:
    days = selectors.employees_days(ctx)
    compliant = selectors.compliant_days_by_employee(ctx)
    out: dict[Scope, KpiResult] = {}
    total_compliant, total_expected = 0, 0
    for employee_id, person in days.items():
        if person.expected_days == 0:
            continue
        good = compliant.get(employee_id, 0)
        if ctx.wants("employee"):
            out[Scope("employee", person.username)] = timesheet_compliance(
                compliant_days=good, expected_days=person.expected_days
            )
        if person.counts_for_company:
            total_compliant += good
            total_expected += person.expected_days
    if ctx.wants("company"):
        out[COMPANY] = timesheet_compliance(
            compliant_days=total_compliant, expected_days=total_expected
        )
    return out


register(
    Kpi(
        key="billable_utilization",
        label="Billable utilization",
        unit="%",
        area="people",
        direction="inside",
        band=(Decimal(75), Decimal(85)),
        scopes=("company", "employee"),
        compute=_billable_utilization,
        formula=billable_utilization,
        definition=(
            "Σ billable hours in period / Σ available hours × 100; available hours = "
            "hours per day × working days (weekdays in period and employment, less "
            "holidays) − leave on them. Company: staff and managers. Above 85 is burnout risk."
        ),
    )
)
register(
    Kpi(
        key="timesheet_compliance",
        label="Timesheet compliance",
        unit="%",
        area="people",
        direction="higher",
        band=(Decimal(95), None),
        scopes=("company", "employee"),
        compute=_timesheet_compliance,
        formula=timesheet_compliance,
        definition=(
            "Compliant days / expected days × 100; expected days = working days less "
            "full-day leave; a day is compliant when hours logged + leave ≥ hours per day."
        ),
    )
)
