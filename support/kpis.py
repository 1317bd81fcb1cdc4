"""Support KPIs (kpis.md "Support"): MTTR, SLA compliance, FCR, escalations, post-integration."""

from __future__ import annotations

from decimal import Decimal

from support import selectors
from support.models import Priority
from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import Scope
from synapse.kpis.registry import Kpi, register
from synapse.kpis.results import KpiResult, mean, percentage

#: kpis.md bands of MTTR per priority: P1 < 4 h, P2 < 8 h, P3 < 24 h, P4 < 80 h.
MTTR_BANDS = {"P1": Decimal(4), "P2": Decimal(8), "P3": Decimal(24), "P4": Decimal(80)}


def mttr_hours(*, total_hours: Decimal, resolved: int) -> KpiResult:
    """Return the mean wall-clock hours opened → resolved: Σ hours / tickets resolved.

    Pauses are included (wall clock, not the SLA clock); a reopened ticket uses its
    last resolution.
    """
    return mean(total_hours, resolved)


def sla_compliance(*, met: int, decided: int) -> KpiResult:
    """Return tickets decided in period that met both targets / tickets decided × 100."""
    return percentage(met, decided, sample_size=decided)


def first_contact_resolution(*, fcr: int, resolved: int) -> KpiResult:
    """Return tickets resolved with ``first_contact_resolved`` / tickets resolved × 100."""
    return percentage(fcr, resolved, sample_size=resolved)


def escalation_rate(*, escalated: int, resolved: int) -> KpiResult:
    """Return tickets resolved in period that were escalated / tickets resolved × 100."""
    return percentage(escalated, resolved, sample_size=resolved)


def post_integration_ticket_ratio(*, tickets: int, users: int, projects: int) -> KpiResult:
    """Return post-integration tickets / Σ users of those projects × 100.

    Tickets linked to a completed project and opened in the 30 days after its
    ``actual_end``, for projects whose window ends in the period; no data when the
    projects have no users.
    """
    result = percentage(tickets, users, sample_size=projects)
    if result.value is None and projects:
        return KpiResult(None, result.numerator, result.denominator, projects, "no users")
    return result


def _resolved(ctx: KpiContext) -> dict[tuple[str, str], dict]:
    return ctx.memo("support:resolved", lambda: selectors.resolved_ticket_totals(ctx))


def _mttr_compute(priority: str | None):
    suffix = "" if priority is None else f"_{priority}"

    def compute(ctx: KpiContext) -> dict[Scope, KpiResult]:
        out = {}
        for (kind, key), row in _resolved(ctx).items():
            resolved = row[f"resolved{suffix}"]
            if resolved:
                out[Scope(kind, key)] = mttr_hours(
                    total_hours=selectors.duration_hours(row[f"duration{suffix}"]),
                    resolved=resolved,
                )
        return out

    return compute


def _sla_compliance(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {
        Scope(kind, key): sla_compliance(met=row["met"], decided=row["decided"])
        for (kind, key), row in selectors.sla_decided_totals(ctx).items()
    }


def _fcr(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {
        Scope(kind, key): first_contact_resolution(fcr=row["fcr"], resolved=row["resolved"])
        for (kind, key), row in _resolved(ctx).items()
    }


def _escalation(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {
        Scope(kind, key): escalation_rate(escalated=row["escalated"], resolved=row["resolved"])
        for (kind, key), row in _resolved(ctx).items()
        if kind in ("company", "client")
    }


def _post_integration(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {
        Scope(kind, key): post_integration_ticket_ratio(**row)
        for (kind, key), row in selectors.post_integration_totals(ctx).items()
    }


register(
    Kpi(
        key="mttr_hours",
        label="Mean time to resolve",
        unit="h",
        area="support",
        direction="lower",
        # kpis.md gives MTTR targets per priority (P1 < 4, P2 < 8, ...); a mean over a
        # mix of priorities has no meaningful single target, so the overall MTTR has no
        # band and the per-priority KPIs carry them.
        band=None,
        scopes=("company", "client", "employee"),
        compute=_mttr_compute(None),
        formula=mttr_hours,
        definition=(
            "Mean wall-clock hours from opened to resolved (pauses included; a reopened "
            "ticket uses its last resolution), tickets resolved in period, all priorities."
        ),
    )
)
for _priority in Priority.values:
    register(
        Kpi(
            key=f"mttr_hours_{_priority.lower()}",
            label=f"Mean time to resolve {_priority}",
            unit="h",
            area="support",
            direction="lower",
            band=(None, MTTR_BANDS[_priority]),
            scopes=("company", "client", "employee"),
            compute=_mttr_compute(_priority),
            formula=mttr_hours,
            definition=(
                f"Mean wall-clock hours from opened to resolved of {_priority} tickets "
                "resolved in period (pauses included; last resolution)."
            ),
        )
    )
register(
    Kpi(
        key="sla_compliance",
        label="SLA compliance",
        unit="%",
        area="support",
        direction="higher",
        band=(Decimal(99), None),
        bad_below=Decimal(95),
        scopes=("company", "client"),
        compute=_sla_compliance,
        formula=sla_compliance,
        definition=(
            "Tickets decided in period that met both response and resolution targets / "
            "tickets decided in period × 100; decided at resolution or at the breach moment."
        ),
    )
)
register(
    Kpi(
        key="first_contact_resolution",
        label="First-contact resolution",
        unit="%",
        area="support",
        direction="higher",
        band=(Decimal(74), None),
        scopes=("company", "client", "employee"),
        compute=_fcr,
        formula=first_contact_resolution,
        definition=(
            "Tickets resolved in period with first_contact_resolved / tickets resolved in "
            "period × 100."
        ),
    )
)
register(
    Kpi(
        key="escalation_rate",
        label="Escalation rate",
        unit="%",
        area="support",
        direction="lower",
        band=(None, Decimal(10)),
        scopes=("company", "client"),
        compute=_escalation,
        formula=escalation_rate,
        definition="Tickets resolved in period that were escalated / tickets resolved × 100.",
    )
)
register(
    Kpi(
        key="post_integration_ticket_ratio",
        label="Post-integration ticket ratio",
        unit="%",
        area="support",
        direction="lower",
        band=(Decimal(1), Decimal(3)),
        scopes=("company", "client", "project"),
        compute=_post_integration,
        formula=post_integration_ticket_ratio,
        definition=(
            "Tickets linked to a project opened in the 30 days after its actual_end, for "
            "completed projects whose window ends in period / Σ those projects' "
            "user_count × 100."
        ),
    )
)
