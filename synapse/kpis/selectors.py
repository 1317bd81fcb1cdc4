"""Reads of stored KPI data: snapshots, snapshot runs and who gets KPI alerts."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from synapse.accounts.roles import leavers_q
from synapse.kpis.models import KpiRun, KpiSnapshot
from synapse.kpis.periods import Period, Scope


def kpi_run_last_success_at(*, kind: str = KpiRun.Kind.NIGHTLY) -> dt.datetime | None:
    """Return when the last successful run of ``kind`` started (``None`` if none ever did)."""
    return (
        KpiRun.objects.filter(kind=kind, status=KpiRun.Status.SUCCEEDED)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )


def kpi_snapshots_for_period(*, period: Period) -> QuerySet[KpiSnapshot]:
    """Return the stored snapshots of one period (every KPI and scope) of its grain."""
    return KpiSnapshot.objects.filter(grain=period.grain, period_start=period.start)


def kpi_snapshot_series(*, key: str, grain: str, scope: Scope) -> QuerySet[KpiSnapshot]:
    """Return the history of one KPI for one scope at one grain, oldest period first."""
    return KpiSnapshot.objects.filter(
        key=key, grain=grain, scope_kind=scope.kind, scope_key=scope.key
    ).order_by("period_start")


def executive_emails() -> list[str]:
    """Return the email addresses of active executives, each once, sorted.

    An executive is a user in the group ``executive`` or whose employee role is
    ``executive``; the user's email is used, else the employee's. Leavers get nothing,
    even before their account is deactivated (``synapse.accounts.roles``).
    """
    rows = (
        get_user_model()
        .objects.filter(Q(groups__name="executive") | Q(employee__role="executive"))
        .filter(is_active=True)
        .exclude(leavers_q(prefix="employee__"))
        .values_list("email", "employee__email")
        .distinct()
    )
    return sorted(
        {user_email or employee_email for user_email, employee_email in rows} - {"", None}
    )
