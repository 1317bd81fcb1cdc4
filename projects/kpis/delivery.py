"""Project delivery KPIs (kpis.md "Project delivery").

Formulas are pure functions of sums and counts; the ``_compute`` functions gather
those inputs with ``projects.selectors`` (one query per gather, shared through
``ctx.memo``) and map them to scopes.
"""

from __future__ import annotations

from decimal import Decimal

from projects import selectors
from projects.models import Project
from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import Scope
from synapse.kpis.registry import Kpi, register
from synapse.kpis.results import (
    HUNDRED,
    KpiResult,
    margin,
    mean,
    percentage,
    ratio,
    to_decimal,
)

ZERO = Decimal(0)
DAYS_PER_WEEK = Decimal(7)


# Formulas ---------------------------------------------------------------------------


def project_gross_margin(*, revenue: Decimal, direct_cost: Decimal, projects: int) -> KpiResult:
    """Return (Σ revenue − Σ direct cost) / Σ revenue × 100 over projects completed in period.

    No data when no project completed; undefined (None) when their revenue is 0.
    """
    if projects == 0:
        return KpiResult(None, ZERO, ZERO, 0, "no project completed in period")
    result = margin(revenue, direct_cost, sample_size=projects)
    if result.value is None:
        return KpiResult(None, result.numerator, result.denominator, projects, "revenue is 0")
    return result


def integration_success_rate(*, successful: int, closed: int) -> KpiResult:
    """Return projects closed in period that are completed, on time, on budget and met their
    requirements / projects closed in period (completed or cancelled) × 100."""
    return percentage(successful, closed, sample_size=closed)


def avg_project_cycle_time(*, total_days: int, projects: int) -> KpiResult:
    """Return the mean of (actual_end − actual_start) in days / 7 over projects completed in
    period, in weeks (numerator Σ weeks, denominator the number of projects)."""
    return mean(to_decimal(total_days) / DAYS_PER_WEEK, projects)


def project_time_variance(*, planned_days: int, actual_days: int) -> Decimal | None:
    """Return (planned days − actual days) / planned days × 100 (negative = late).

    None when planned days is 0: the ratio is undefined for a project planned to start
    and end on the same day.
    """
    if planned_days == 0:
        return None
    return Decimal(planned_days - actual_days) / Decimal(planned_days) * HUNDRED


def delivery_time_variance(*, variance_total: Decimal, projects: int, excluded: int) -> KpiResult:
    """Return the mean over projects completed in period of their time variance (%).

    ``variance_total`` is Σ ``project_time_variance`` of the ``projects`` that have planned
    days; ``excluded`` completed projects had 0 planned days and are left out of the mean
    (their variance is undefined), which the reason reports.
    """
    if projects == 0:
        reason = (
            f"{excluded} completed project(s) with 0 planned days, variance undefined"
            if excluded
            else "no project completed in period"
        )
        return KpiResult(None, ZERO, ZERO, 0, reason)
    result = mean(variance_total, projects)
    if excluded:
        reason = f"{excluded} completed project(s) with 0 planned days left out"
        return KpiResult(result.value, result.numerator, result.denominator, projects, reason)
    return result


def cost_overrun(*, direct_cost: Decimal, budget: Decimal, projects: int) -> KpiResult:
    """Return (Σ direct cost − Σ budget) / Σ budget × 100 over projects completed in period.

    No data when no project completed; undefined (None) when their budgets sum to 0.
    """
    if projects == 0:
        return KpiResult(None, ZERO, ZERO, 0, "no project completed in period")
    overrun = to_decimal(direct_cost) - to_decimal(budget)
    result = percentage(overrun, budget, sample_size=projects)
    if result.value is None:
        return KpiResult(None, overrun, ZERO, projects, "budget is 0: overrun undefined")
    return result


def system_downtime(*, downtime_hours: Decimal, window_hours: Decimal, projects: int) -> KpiResult:
    """Return Σ downtime hours inside each project's integration window / Σ window hours × 100
    over projects completed in period (window = actual days × 24 h)."""
    return percentage(downtime_hours, window_hours, sample_size=projects)


def cost_performance_index(
    *, earned_value: Decimal, actual_cost: Decimal, projects: int
) -> KpiResult:
    """Return Σ EV / Σ AC over projects in progress on the period end.

    EV = budget × latest progress % dated ≤ end; AC = direct cost up to end. None when
    AC is 0 (nothing spent yet: the index is undefined).
    """
    if projects == 0:
        return KpiResult(None, ZERO, ZERO, 0, "no project in progress on period end")
    result = ratio(earned_value, actual_cost, sample_size=projects)
    if result.value is None:
        return KpiResult(None, result.numerator, ZERO, projects, "no actual cost up to end")
    return result


def rework_rate(*, rework_hours: Decimal, hours: Decimal, entries: int) -> KpiResult:
    """Return rework hours / all hours logged on projects in period × 100."""
    return percentage(rework_hours, hours, sample_size=entries)


def avg_project_value(*, revenue: Decimal, projects: int) -> KpiResult:
    """Return the mean revenue of projects completed in period (Σ revenue / count)."""
    return mean(revenue, projects)


# Gathers ------------------------------------------------------------------------------


def _completed_measures(row: dict) -> dict:
    """Return the sums one completed project adds to each of its scopes."""
    variance = project_time_variance(
        planned_days=row["planned_days"], actual_days=row["actual_days"]
    )
    return {
        "count": 1,
        "revenue": row["revenue"],
        "direct_cost": row["direct_cost"],
        "budget": row["budget"],
        "days": row["actual_days"],
        "downtime": row["downtime_hours"],
        "window": row["window_hours"],
        "variance": ZERO if variance is None else variance,
        "with_plan": 0 if variance is None else 1,
        "no_plan": 1 if variance is None else 0,
    }


def _completed(ctx: KpiContext) -> dict[Scope, dict]:
    """Return per-scope sums over projects completed in period (memoized)."""
    rows = selectors.closed_project_rows(ctx)
    return ctx.memo(
        "projects.delivery_completed",
        lambda: selectors.rollup(
            ctx,
            (row for row in rows if row["status"] == Project.Status.COMPLETED),
            _completed_measures,
        ),
    )


def _is_success(row: dict) -> bool:
    return (
        row["status"] == Project.Status.COMPLETED
        and row["on_time"]
        and row["direct_cost"] <= row["budget"]
        and row["requirements_met"]
    )


def _compute_gross_margin(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {
        scope: project_gross_margin(
            revenue=s["revenue"], direct_cost=s["direct_cost"], projects=s["count"]
        )
        for scope, s in _completed(ctx).items()
    }


def _compute_success_rate(ctx: KpiContext) -> dict[Scope, KpiResult]:
    sums = selectors.rollup(
        ctx,
        selectors.closed_project_rows(ctx),
        lambda row: {"closed": 1, "successful": int(_is_success(row))},
    )
    return {
        scope: integration_success_rate(successful=s["successful"], closed=s["closed"])
        for scope, s in sums.items()
    }


def _compute_cycle_time(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {
        scope: avg_project_cycle_time(total_days=s["days"], projects=s["count"])
        for scope, s in _completed(ctx).items()
    }


def _compute_time_variance(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {
        scope: delivery_time_variance(
            variance_total=s["variance"], projects=s["with_plan"], excluded=s["no_plan"]
        )
        for scope, s in _completed(ctx).items()
    }


def _compute_cost_overrun(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {
        scope: cost_overrun(direct_cost=s["direct_cost"], budget=s["budget"], projects=s["count"])
        for scope, s in _completed(ctx).items()
    }


def _compute_downtime(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {
        scope: system_downtime(
            downtime_hours=s["downtime"], window_hours=s["window"], projects=s["count"]
        )
        for scope, s in _completed(ctx).items()
    }


def _compute_cpi(ctx: KpiContext) -> dict[Scope, KpiResult]:
    sums = selectors.rollup(
        ctx,
        selectors.in_progress_project_rows(ctx),
        lambda row: {"ev": row["earned_value"], "ac": row["actual_cost"], "count": 1},
    )
    return {
        scope: cost_performance_index(
            earned_value=s["ev"], actual_cost=s["ac"], projects=s["count"]
        )
        for scope, s in sums.items()
    }


def _compute_rework(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {
        scope: rework_rate(
            rework_hours=s["rework_hours"], hours=s["total_hours"], entries=s["entries"]
        )
        for scope, s in selectors.project_hours_in_period(ctx).items()
    }


def _compute_avg_value(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {
        scope: avg_project_value(revenue=s["revenue"], projects=s["count"])
        for scope, s in _completed(ctx).items()
    }


# Declarations ---------------------------------------------------------------------------

register(
    Kpi(
        key="project_gross_margin",
        label="Project gross margin",
        unit="%",
        area="delivery",
        direction="higher",
        band=(Decimal(35), Decimal(55)),
        scopes=("company", "client", "project"),
        compute=_compute_gross_margin,
        formula=project_gross_margin,
        definition=(
            "(Σ revenue − Σ direct cost) / Σ revenue × 100 over projects completed in period."
        ),
    )
)
register(
    Kpi(
        key="integration_success_rate",
        label="Integration success rate",
        unit="%",
        area="delivery",
        direction="higher",
        band=(Decimal(90), None),
        scopes=("company", "client"),
        compute=_compute_success_rate,
        formula=integration_success_rate,
        definition=(
            "Projects closed in period that are completed, on time (actual_end ≤ planned_end), "
            "on budget (direct cost ≤ budget) and met their requirements / projects closed "
            "in period (completed or cancelled) × 100."
        ),
    )
)
register(
    Kpi(
        key="avg_project_cycle_time",
        label="Average project cycle time",
        unit="weeks",
        area="delivery",
        direction="lower",
        band=(Decimal(8), Decimal(12)),
        scopes=("company", "client"),
        compute=_compute_cycle_time,
        formula=avg_project_cycle_time,
        definition="Mean of (actual_end − actual_start) in days / 7 over projects completed "
        "in period.",
    )
)
register(
    Kpi(
        key="delivery_time_variance",
        label="Delivery time variance",
        unit="%",
        area="delivery",
        direction="zero",
        band=(Decimal(-5), Decimal(5)),
        bad_below=Decimal(-10),
        scopes=("company", "client", "project"),
        compute=_compute_time_variance,
        formula=delivery_time_variance,
        definition=(
            "Mean over projects completed in period of (planned days − actual days) / planned "
            "days × 100; negative = late. Projects with 0 planned days are left out (undefined)."
        ),
    )
)
register(
    Kpi(
        key="cost_overrun",
        label="Cost overrun",
        unit="%",
        area="delivery",
        direction="lower",
        band=(None, Decimal(10)),
        scopes=("company", "client", "project"),
        compute=_compute_cost_overrun,
        formula=cost_overrun,
        definition="(Σ direct cost − Σ budget) / Σ budget × 100 over projects completed in period.",
    )
)
register(
    Kpi(
        key="system_downtime",
        label="System downtime during integration",
        unit="%",
        area="delivery",
        direction="lower",
        band=(None, Decimal(3)),
        scopes=("company", "client", "project"),
        compute=_compute_downtime,
        formula=system_downtime,
        definition=(
            "Σ downtime hours inside each project's integration window (00:00 actual_start to "
            "00:00 actual_end, firm time) / Σ window hours × 100, projects completed in period."
        ),
        extra={"exceptional_below": Decimal(1)},
    )
)
register(
    Kpi(
        key="cost_performance_index",
        label="Cost performance index",
        unit="ratio",
        area="delivery",
        direction="higher",
        band=(Decimal("0.95"), Decimal("1.05")),
        scopes=("company", "client", "project"),
        compute=_compute_cpi,
        formula=cost_performance_index,
        definition=(
            "Σ EV / Σ AC over projects in progress on the period end; EV = budget × latest "
            "progress % dated ≤ end (0 when none); AC = direct cost up to end."
        ),
        extra={"exceptional_above": Decimal("1.10")},
    )
)
register(
    Kpi(
        key="rework_rate",
        label="Rework rate",
        unit="%",
        area="delivery",
        direction="lower",
        band=(None, Decimal(5)),
        scopes=("company", "client", "project", "employee"),
        compute=_compute_rework,
        formula=rework_rate,
        definition="Rework hours / all hours logged on projects in period × 100.",
    )
)
register(
    Kpi(
        key="avg_project_value",
        label="Average project value",
        unit="money",
        area="delivery",
        direction="none",
        band=None,
        scopes=("company", "client"),
        compute=_compute_avg_value,
        formula=avg_project_value,
        definition="Mean revenue of projects completed in period.",
    )
)
