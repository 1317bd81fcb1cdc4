"""Revenue and relationship KPIs (kpis.md "Revenue and relationships").

Formulas are pure functions of sums and counts; the ``_compute`` functions fetch those
inputs once per KPI run through ``ctx.memo`` from ``projects.revenue_selectors`` (and
``projects.selectors.completed_project_totals`` for projects completed in the period),
so all fourteen KPIs of a period cost a handful of grouped queries whatever the number
of clients.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from projects import revenue_selectors as selectors
from projects.selectors import completed_project_totals
from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import COMPANY, Scope
from synapse.kpis.registry import Kpi, register
from synapse.kpis.results import HUNDRED, KpiResult, margin, percentage, ratio

ZERO = Decimal(0)

# --- Formulas -------------------------------------------------------------------------


def client_retention(*, at_start: int, retained: int) -> KpiResult:
    """Return clients active on ``start`` still active on ``end`` / clients active on
    ``start`` × 100.

    This is the usual (E − N) / S × 100 where N counts only the new clients still active
    on ``end``: a client that joined and left inside the period is neither in S nor
    retained, so it changes nothing.
    """
    if at_start == 0:
        return KpiResult(None, ZERO, ZERO, 0, "no client active on the first day")
    return percentage(retained, at_start, sample_size=at_start)


def logo_churn_rate(*, at_start: int, retained: int, months: int) -> KpiResult:
    """Return (clients active on ``start`` − those still active on ``end``) / clients
    active on ``start`` × 100 / calendar months in the period (= (100 − retention) / months).

    The numerator is the clients lost, the denominator S × months.
    """
    if at_start == 0:
        return KpiResult(None, ZERO, ZERO, 0, "no client active on the first day")
    return percentage(at_start - retained, at_start * months, sample_size=at_start)


def mrr(*, closing: Decimal, contracts: int) -> KpiResult:
    """Return closing MRR: Σ monthly fees of contracts active on ``end``."""
    return KpiResult(closing, closing, None, contracts)


@dataclass(frozen=True)
class MrrMovements:
    """Opening and closing MRR and the per-client movements between them, summed.

    ``opening + new + expansion − contraction − churned = closing`` always holds.
    """

    opening: Decimal = ZERO
    closing: Decimal = ZERO
    new: Decimal = ZERO
    expansion: Decimal = ZERO
    contraction: Decimal = ZERO
    churned: Decimal = ZERO
    clients_opening: int = 0
    clients_closing: int = 0
    clients_new: int = 0
    clients_expansion: int = 0
    clients_contraction: int = 0
    clients_churned: int = 0


def mrr_movements(pairs: Iterable[tuple[Decimal, Decimal]]) -> MrrMovements:
    """Return the MRR movements of per-client (opening, closing) MRR pairs, summed.

    Per client: 0 → x is new (x), x → 0 churned (x), up is expansion (the increase),
    down contraction (the decrease); unchanged is no movement.
    """
    names = ("opening", "closing", "new", "expansion", "contraction", "churned")
    totals = dict.fromkeys(names, ZERO)
    counts = dict.fromkeys(names, 0)
    for opening, closing in pairs:
        totals["opening"] += opening
        totals["closing"] += closing
        counts["opening"] += opening > 0
        counts["closing"] += closing > 0
        if opening == 0 and closing > 0:
            movement, amount = "new", closing
        elif opening > 0 and closing == 0:
            movement, amount = "churned", opening
        elif closing > opening:
            movement, amount = "expansion", closing - opening
        elif closing < opening:
            movement, amount = "contraction", opening - closing
        else:
            continue
        totals[movement] += amount
        counts[movement] += 1
    return MrrMovements(**totals, **{f"clients_{name}": n for name, n in counts.items()})


def mrr_movement(*, amount: Decimal, clients: int) -> KpiResult:
    """Return one summed MRR movement (new, expansion, contraction or churned)."""
    return KpiResult(amount, amount, None, clients)


def net_mrr_churn(
    *, churned: Decimal, contraction: Decimal, expansion: Decimal, opening: Decimal, clients: int
) -> KpiResult:
    """Return (churned + contraction − expansion) / opening MRR × 100; no data when the
    opening MRR is 0."""
    if opening == 0:
        return KpiResult(None, churned + contraction - expansion, ZERO, 0, "no opening MRR")
    return percentage(churned + contraction - expansion, opening, sample_size=clients)


def managed_services_gross_margin(*, revenue: Decimal, cost: Decimal, contracts: int) -> KpiResult:
    """Return (managed-services revenue − managed-services cost) / revenue × 100."""
    if revenue == 0:
        return KpiResult(None, revenue - cost, ZERO, contracts, "no managed-services revenue")
    return margin(revenue, cost, sample_size=contracts)


def recurring_revenue_share(
    *, managed_services_revenue: Decimal, project_revenue: Decimal, sample_size: int
) -> KpiResult:
    """Return managed-services revenue / (managed-services revenue + revenue of projects
    completed in period) × 100."""
    total = managed_services_revenue + project_revenue
    if total == 0:
        return KpiResult(None, ZERO, ZERO, sample_size, "no revenue in period")
    return percentage(managed_services_revenue, total, sample_size=sample_size)


def arpa(*, closing_mrr: Decimal, paying_clients: int) -> Decimal | None:
    """Return average revenue per account: closing MRR / clients with closing MRR > 0."""
    if paying_clients == 0:
        return None
    return closing_mrr / paying_clients


def customer_lifetime_value(
    *,
    arpa: Decimal | None,
    gross_margin: Decimal | None,
    monthly_churn: Decimal | None,
    clients: int,
) -> KpiResult:
    """Return ARPA × managed-services gross margin / monthly logo churn.

    ``gross_margin`` and ``monthly_churn`` are percentages (40 for 40 %, 2 for 2 %/month)
    and enter as fractions: 2,000 × 0.40 / 0.02 = 40,000. The numerator is the monthly
    gross profit per account (ARPA × margin), the denominator the monthly churn as a
    fraction. Zero churn makes the lifetime unbounded: ``None`` with that reason.
    """
    if arpa is None:
        return KpiResult(None, reason="no client with a closing MRR")
    if gross_margin is None:
        return KpiResult(None, reason="no managed-services revenue (gross margin undefined)")
    if monthly_churn is None:
        return KpiResult(None, reason="no client active on the first day (churn undefined)")
    profit_per_account = arpa * gross_margin / HUNDRED
    if monthly_churn == 0:
        return KpiResult(
            None,
            profit_per_account,
            ZERO,
            clients,
            "zero logo churn: the customer lifetime, and so its value, is unbounded",
        )
    churn = monthly_churn / HUNDRED
    return KpiResult(profit_per_account / churn, profit_per_account, churn, clients)


def customer_acquisition_cost(*, sales_marketing: Decimal, acquired: int) -> KpiResult:
    """Return sales and marketing overheads of the months in period / clients with
    ``became_client_on`` in period (whether or not still active)."""
    if acquired == 0:
        return KpiResult(None, sales_marketing, ZERO, 0, "no client acquired in period")
    return ratio(sales_marketing, acquired, sample_size=acquired)


def clv_cac_ratio(*, clv: Decimal | None, cac: Decimal | None) -> KpiResult:
    """Return customer lifetime value / customer acquisition cost; ``None`` when either
    is undefined or the acquisition cost is 0."""
    if clv is None or cac is None:
        return KpiResult(None, clv, cac, 0, "lifetime value or acquisition cost undefined")
    if cac == 0:
        return KpiResult(None, clv, cac, 0, "zero acquisition cost")
    return ratio(clv, cac, sample_size=1)


def net_profit_margin(
    *, revenue: Decimal, direct_cost: Decimal, overheads: Decimal, sample_size: int
) -> KpiResult:
    """Return (R − C − O) / R × 100: R = managed-services revenue + revenue of projects
    completed in period, C = managed-services cost + direct cost of those projects,
    O = all overheads of the months in period."""
    if revenue == 0:
        return KpiResult(None, -direct_cost - overheads, ZERO, sample_size, "no revenue")
    return percentage(revenue - direct_cost - overheads, revenue, sample_size=sample_size)


# --- Inputs, shared between the KPIs of one run ----------------------------------------


def _completed_projects(ctx: KpiContext) -> dict:
    """Return the company totals (count, revenue, direct_cost) of projects completed in
    period (``projects.selectors.completed_project_totals``)."""
    totals = completed_project_totals(ctx).get(COMPANY)
    return totals or {"count": 0, "revenue": ZERO, "direct_cost": ZERO, "budget": ZERO}


def _clients(ctx: KpiContext) -> selectors.ClientCounts:
    return ctx.memo("revenue.clients", lambda: selectors.clients_counts(ctx))


def _mrr_by_client(ctx: KpiContext) -> dict[str, selectors.ClientMrr]:
    return ctx.memo("revenue.mrr_by_client", lambda: selectors.contracts_mrr_by_client(ctx))


def _movements(ctx: KpiContext) -> MrrMovements | None:
    rows = _mrr_by_client(ctx)
    if not rows:
        return None
    return mrr_movements((row.opening, row.closing) for row in rows.values())


def _managed_services(ctx: KpiContext) -> dict[Scope, selectors.ManagedServices]:
    return ctx.memo("revenue.managed_services", lambda: selectors.managed_services_totals(ctx))


def _overheads(ctx: KpiContext) -> selectors.Overheads:
    return ctx.memo("revenue.overheads", lambda: selectors.overheads_totals(ctx))


NO_CONTRACT = KpiResult(None, reason="no contract active on the opening or closing day")

# --- Compute functions -----------------------------------------------------------------


def months_counted(ctx: KpiContext) -> int:
    """Return the calendar months touched by the part of the period counted, start → end.

    kpis.md "As of": a period that has not ended yet is the part of it up to now, so a
    quarter reported on 14 February is a two-month period (January and February).
    """
    start, end = ctx.start, ctx.end
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _client_retention(ctx: KpiContext) -> dict[Scope, KpiResult]:
    counts = _clients(ctx)
    return {COMPANY: client_retention(at_start=counts.at_start, retained=counts.retained)}


def _logo_churn_rate(ctx: KpiContext) -> dict[Scope, KpiResult]:
    counts = _clients(ctx)
    return {
        COMPANY: logo_churn_rate(
            at_start=counts.at_start, retained=counts.retained, months=months_counted(ctx)
        )
    }


def _mrr(ctx: KpiContext) -> dict[Scope, KpiResult]:
    rows = _mrr_by_client(ctx)
    out: dict[Scope, KpiResult] = {}
    if ctx.wants("company"):
        out[COMPANY] = (
            mrr(
                closing=sum((row.closing for row in rows.values()), ZERO),
                contracts=sum(row.contracts for row in rows.values()),
            )
            if rows
            else NO_CONTRACT
        )
    if ctx.wants("client"):
        for code, row in rows.items():
            out[Scope("client", code)] = mrr(closing=row.closing, contracts=row.contracts)
    return out


def _movement_compute(name: str) -> Callable[[KpiContext], dict[Scope, KpiResult]]:
    def compute(ctx: KpiContext) -> dict[Scope, KpiResult]:
        movements = _movements(ctx)
        if movements is None:
            return {COMPANY: NO_CONTRACT}
        return {
            COMPANY: mrr_movement(
                amount=getattr(movements, name), clients=getattr(movements, f"clients_{name}")
            )
        }

    return compute


def _net_mrr_churn(ctx: KpiContext) -> dict[Scope, KpiResult]:
    movements = _movements(ctx)
    if movements is None:
        return {COMPANY: NO_CONTRACT}
    return {
        COMPANY: net_mrr_churn(
            churned=movements.churned,
            contraction=movements.contraction,
            expansion=movements.expansion,
            opening=movements.opening,
            clients=movements.clients_opening,
        )
    }


def _managed_services_gross_margin(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {
        scope: managed_services_gross_margin(
            revenue=totals.revenue, cost=totals.cost, contracts=totals.contracts
        )
        for scope, totals in _managed_services(ctx).items()
    }


def _company_managed_services(ctx: KpiContext) -> selectors.ManagedServices:
    return _managed_services(ctx)[COMPANY]


def _customer_lifetime_value(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {COMPANY: _clv(ctx)}


def _clv(ctx: KpiContext) -> KpiResult:
    movements = _movements(ctx) or MrrMovements()
    services = _company_managed_services(ctx)
    counts = _clients(ctx)
    gross_margin = managed_services_gross_margin(
        revenue=services.revenue, cost=services.cost, contracts=services.contracts
    ).value
    churn = logo_churn_rate(
        at_start=counts.at_start, retained=counts.retained, months=months_counted(ctx)
    ).value
    return customer_lifetime_value(
        arpa=arpa(closing_mrr=movements.closing, paying_clients=movements.clients_closing),
        gross_margin=gross_margin,
        monthly_churn=churn,
        clients=movements.clients_closing,
    )


def _cac(ctx: KpiContext) -> KpiResult:
    return customer_acquisition_cost(
        sales_marketing=_overheads(ctx).sales_marketing, acquired=_clients(ctx).acquired
    )


def _customer_acquisition_cost(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {COMPANY: _cac(ctx)}


def _clv_cac_ratio(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {COMPANY: clv_cac_ratio(clv=_clv(ctx).value, cac=_cac(ctx).value)}


def _recurring_revenue_share(ctx: KpiContext) -> dict[Scope, KpiResult]:
    services = _company_managed_services(ctx)
    projects = _completed_projects(ctx)
    return {
        COMPANY: recurring_revenue_share(
            managed_services_revenue=services.revenue,
            project_revenue=projects["revenue"],
            sample_size=services.contracts + projects["count"],
        )
    }


def _net_profit_margin(ctx: KpiContext) -> dict[Scope, KpiResult]:
    services = _company_managed_services(ctx)
    projects = _completed_projects(ctx)
    return {
        COMPANY: net_profit_margin(
            revenue=services.revenue + projects["revenue"],
            direct_cost=services.cost + projects["direct_cost"],
            overheads=_overheads(ctx).total,
            sample_size=services.contracts + projects["count"],
        )
    }


# --- Declarations ----------------------------------------------------------------------


def _band(low: int | None, high: int | None) -> tuple[Decimal | None, Decimal | None]:
    return (None if low is None else Decimal(low), None if high is None else Decimal(high))


register(
    Kpi(
        key="client_retention",
        label="Client retention",
        unit="%",
        area="revenue",
        direction="higher",
        band=_band(90, None),
        scopes=("company",),
        compute=_client_retention,
        formula=client_retention,
        definition=(
            "Clients active on the first day and still active on the last / clients active "
            "on the first day × 100 ((E − N) / S, N = new clients still active at the end)."
        ),
    )
)
register(
    Kpi(
        key="mrr",
        label="Monthly recurring revenue",
        unit="money",
        area="revenue",
        direction="higher",
        band=None,
        scopes=("company", "client"),
        compute=_mrr,
        formula=mrr,
        definition=(
            "Closing MRR: Σ monthly fees of contracts active on the last day (today for a "
            "running period). Target: growth ≥ 20 % a year."
        ),
        extra={"growth_target_per_year": Decimal(20)},
    )
)
register(
    Kpi(
        key="new_mrr",
        label="New MRR",
        unit="money",
        area="revenue",
        direction="higher",
        band=None,
        scopes=("company",),
        compute=_movement_compute("new"),
        formula=mrr_movement,
        definition=(
            "Per client, opening MRR (day before the period) → closing MRR: 0 → x; "
            "summed over clients."
        ),
    )
)
register(
    Kpi(
        key="expansion_mrr",
        label="Expansion MRR",
        unit="money",
        area="revenue",
        direction="higher",
        band=None,
        scopes=("company",),
        compute=_movement_compute("expansion"),
        formula=mrr_movement,
        definition=(
            "Per client, opening MRR (day before the period) → closing MRR: up (the increase); "
            "summed over clients."
        ),
    )
)
register(
    Kpi(
        key="contraction_mrr",
        label="Contraction MRR",
        unit="money",
        area="revenue",
        direction="lower",
        band=None,
        scopes=("company",),
        compute=_movement_compute("contraction"),
        formula=mrr_movement,
        definition=(
            "Per client, opening MRR (day before the period) → closing MRR: down (the decrease); "
            "summed over clients."
        ),
    )
)
register(
    Kpi(
        key="churned_mrr",
        label="Churned MRR",
        unit="money",
        area="revenue",
        direction="lower",
        band=None,
        scopes=("company",),
        compute=_movement_compute("churned"),
        formula=mrr_movement,
        definition=(
            "Per client, opening MRR (day before the period) → closing MRR: x → 0; "
            "summed over clients."
        ),
    )
)
register(
    Kpi(
        key="net_mrr_churn",
        label="Net MRR churn",
        unit="%",
        area="revenue",
        direction="lower",
        band=_band(None, 1),
        scopes=("company",),
        compute=_net_mrr_churn,
        formula=net_mrr_churn,
        definition="(Churned + contraction − expansion MRR) / opening MRR × 100.",
    )
)
register(
    Kpi(
        key="managed_services_gross_margin",
        label="Managed-services gross margin",
        unit="%",
        area="revenue",
        direction="higher",
        band=_band(40, 50),
        scopes=("company", "client"),
        compute=_managed_services_gross_margin,
        formula=managed_services_gross_margin,
        definition=(
            "(Managed-services revenue − managed-services cost) / managed-services revenue "
            "× 100; revenue = monthly fees pro-rated by active days in each calendar month, "
            "cost = labour cost of time entries attributed to a contract."
        ),
    )
)
register(
    Kpi(
        key="recurring_revenue_share",
        label="Recurring revenue share",
        unit="%",
        area="revenue",
        direction="higher",
        band=_band(60, None),
        scopes=("company",),
        compute=_recurring_revenue_share,
        formula=recurring_revenue_share,
        definition=(
            "Managed-services revenue / (managed-services revenue + revenue of projects "
            "completed in period) × 100. Top performers > 75."
        ),
    )
)
register(
    Kpi(
        key="logo_churn_rate",
        label="Logo churn rate",
        unit="%/month",
        area="revenue",
        direction="lower",
        band=_band(None, 1),
        scopes=("company",),
        compute=_logo_churn_rate,
        formula=logo_churn_rate,
        definition=(
            "(Clients active on the first day − those still active on the last) / clients "
            "active on the first day × 100, divided by the calendar months in the period "
            "(up to today for a running period)."
        ),
    )
)
register(
    Kpi(
        key="customer_lifetime_value",
        label="Customer lifetime value",
        unit="money",
        area="revenue",
        direction="higher",
        band=None,
        scopes=("company",),
        compute=_customer_lifetime_value,
        formula=customer_lifetime_value,
        definition=(
            "ARPA × managed-services gross margin / monthly logo churn; ARPA = closing MRR / "
            "clients with closing MRR > 0. Undefined (null) at zero churn."
        ),
    )
)
register(
    Kpi(
        key="customer_acquisition_cost",
        label="Customer acquisition cost",
        unit="money",
        area="revenue",
        direction="lower",
        band=None,
        scopes=("company",),
        compute=_customer_acquisition_cost,
        formula=customer_acquisition_cost,
        definition=(
            "Sales and marketing overheads of the months in the period (months whose first "
            "day is in it) / clients that became clients in the period."
        ),
    )
)
register(
    Kpi(
        key="clv_cac_ratio",
        label="CLV / CAC",
        unit="ratio",
        area="revenue",
        direction="higher",
        band=_band(3, None),
        scopes=("company",),
        compute=_clv_cac_ratio,
        formula=clv_cac_ratio,
        definition="Customer lifetime value / customer acquisition cost.",
    )
)
register(
    Kpi(
        key="net_profit_margin",
        label="Net profit margin",
        unit="%",
        area="revenue",
        direction="higher",
        band=_band(8, 15),
        scopes=("company",),
        compute=_net_profit_margin,
        formula=net_profit_margin,
        definition=(
            "(R − C − O) / R × 100: R = managed-services revenue + revenue of projects "
            "completed in period, C = managed-services cost + direct cost of those "
            "projects, O = all overheads of the months in period (months whose first day "
            "is in it). Top performers > 15."
        ),
    )
)
