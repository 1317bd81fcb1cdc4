"""Reads behind the KPI endpoints: the live report and the snapshots a caller may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from projects.models import Client, Project
from synapse.dates import DATE_RANGE_MESSAGE, date_in_range
from synapse.kpis.engine import kpis_compute
from synapse.kpis.models import KpiSnapshot
from synapse.kpis.periods import Period, Scope
from timesheets.models import Employee
from timesheets.policies import visible_usernames


def kpi_report_build(*, start: dt.date, end: dt.date, scope: Scope) -> dict[str, Any]:
    """Return every KPI for the period and scope, in the JSON shape of ``kpi_report``."""
    values = kpis_compute(period=Period(start, end), scope=scope)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "scope": str(scope),
        "kpis": {key: value.as_json() for key, value in values.items()},
    }


def scope_exists(scope: Scope) -> bool:
    """Return whether the client, project or employee a scope names exists."""
    if scope.kind == "client":
        return Client.objects.filter(code=scope.key).exists()
    if scope.kind == "project":
        return Project.objects.filter(code=scope.key).exists()
    if scope.kind == "employee":
        return Employee.objects.filter(user__username=scope.key).exists()
    return True


def kpi_query_errors(*, start: dt.date, end: dt.date, scope_text: str) -> dict[str, str]:
    """Return the problems of a live KPI query, per parameter (empty when it is fine)."""
    errors: dict[str, str] = {}
    for name, day in (("start", start), ("end", end)):
        # Periods are read in firm time down to the day after the end: the calendar's
        # edges (year 1 and 9999) would overflow.
        if not date_in_range(day):
            errors[name] = f"{day}: {DATE_RANGE_MESSAGE}"
    if "end" not in errors and "start" not in errors and end < start:
        errors["end"] = f"{end} is before start {start}"
    try:
        scope = Scope.parse(scope_text)
    except ValueError as exc:
        errors["scope"] = str(exc)
    else:
        if not scope_exists(scope):
            errors["scope"] = f"unknown scope {scope}: no such {scope.kind}"
    return errors


def kpi_scope_allowed(*, user: Any, scope: Scope) -> bool:
    """Return whether ``user`` may read KPIs of ``scope`` (staff: own; managers: team)."""
    usernames = visible_usernames(user)
    if usernames is None:
        return True
    return scope.kind == "employee" and scope.key in usernames


def kpi_snapshots_visible(*, user: Any) -> QuerySet[KpiSnapshot]:
    """Return the snapshots ``user`` may read: all, or their own (and team's) employee scopes."""
    snapshots = KpiSnapshot.objects.all()
    usernames = visible_usernames(user)
    if usernames is None:
        return snapshots
    return snapshots.filter(scope_kind="employee", scope_key__in=usernames)
