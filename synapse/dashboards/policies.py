"""Who sees which dashboard KPI and scope: the only place the dashboards decide it.

Every dashboard page and HTMX fragment (the dashboard, a KPI page, the health pages and
"My numbers") asks these functions, which build on the apps' policies
(``timesheets.policies.visible_usernames`` and ``may_see_money``):

- Scopes (``visible_scopes``): staff their own employee scope; managers their own and
  their direct reports' employee scopes; executives and superusers every scope (the
  company, every client, project and employee).
- KPIs (``kpis_for``): money KPIs — a unit of money, and the margin and revenue KPIs of
  ``MONEY_KEYS`` — for those who may see money only (executives and superusers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synapse.accounts.roles import EXECUTIVE, MANAGER, has_role
from synapse.kpis.periods import COMPANY, Scope
from synapse.kpis.registry import Kpi, kpis_all
from timesheets.policies import may_see_money, visible_usernames

#: KPIs that tell money without a unit of money: margins, revenue shares and ratios.
MONEY_KEYS = frozenset(
    {
        "project_gross_margin",
        "managed_services_gross_margin",
        "net_profit_margin",
        "mrr",
        "new_mrr",
        "expansion_mrr",
        "contraction_mrr",
        "churned_mrr",
        "net_mrr_churn",
        "recurring_revenue_share",
        "customer_lifetime_value",
        "customer_acquisition_cost",
        "clv_cac_ratio",
        "avg_project_value",
        "cost_overrun",
        "cost_performance_index",
    }
)


def kpi_is_money(kpi: Kpi) -> bool:
    """Return whether ``kpi`` tells money (its unit, or a margin or revenue KPI)."""
    return kpi.unit == "money" or kpi.key in MONEY_KEYS


def kpis_for(user: Any) -> list[Kpi]:
    """Return the KPIs ``user`` may see on dashboards (money ones only for those who may
    see money), in the registry's order; which scopes of them is ``visible_scopes``."""
    money = may_see_money(user)
    return [kpi for kpi in kpis_all() if money or not kpi_is_money(kpi)]


def kpi_is_own(kpi: Kpi) -> bool:
    """Return whether ``kpi`` is measured per employee and tells no money: the KPIs of
    one's own numbers (My numbers), whatever one's role."""
    return "employee" in kpi.scopes and not kpi_is_money(kpi)


def has_dashboard(user: Any) -> bool:
    """Return whether ``user`` may open the dashboard: managers (their team's employee
    scopes), executives and superusers (everything); staff have My numbers instead."""
    return has_role(user, MANAGER, EXECUTIVE)


def visible_scopes(user: Any) -> frozenset[str] | None:
    """Return the usernames whose employee scopes ``user`` may see; None: every scope."""
    usernames = visible_usernames(user)
    return None if usernames is None else frozenset(usernames)


@dataclass(frozen=True)
class Reach:
    """What one user may see on the dashboards, read once per request.

    ``usernames``: the employee scopes they may see (None: every scope, the company,
    clients and projects included); ``money``: whether money KPIs are theirs to see;
    ``own``: their own employee scope (None without an employee record).
    """

    usernames: frozenset[str] | None
    money: bool
    own: Scope | None

    @property
    def every_scope(self) -> bool:
        return self.usernames is None

    def kpis(self) -> list[Kpi]:
        """Return the KPIs this user may see, in the registry's order."""
        return [kpi for kpi in kpis_all() if self.kpi_allowed(kpi)]

    def kpi_allowed(self, kpi: Kpi) -> bool:
        """Return whether this user may see ``kpi`` (in some scope it is measured for)."""
        if kpi_is_money(kpi) and not self.money:
            return False
        return self.every_scope or "employee" in kpi.scopes

    def scope_allowed(self, scope: Scope) -> bool:
        """Return whether this user may see KPIs of ``scope``."""
        if self.usernames is None:
            return True
        return scope.kind == "employee" and scope.key in self.usernames

    @property
    def default_scope(self) -> Scope | None:
        """Return the scope a dashboard shows when none is asked: the company for those
        who see every scope, else their own employee scope."""
        return COMPANY if self.every_scope else self.own

    def cache_part(self) -> tuple:
        """Return what of this user shapes a cached fragment (part of its key)."""
        names = None if self.usernames is None else tuple(sorted(self.usernames))
        return (self.money, names)


def own_scope(user: Any) -> Scope | None:
    """Return ``user``'s own employee scope, or None without an employee record."""
    if not getattr(user, "is_authenticated", False):
        return None
    employee = getattr(user, "employee", None)
    return None if employee is None else Scope("employee", user.get_username())


def reach_for(user: Any) -> Reach:
    """Return ``user``'s dashboard reach — one query for staff and managers, none else."""
    return Reach(usernames=visible_scopes(user), money=may_see_money(user), own=own_scope(user))
