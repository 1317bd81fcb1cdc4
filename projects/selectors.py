"""Reads of project data for KPIs and pages.

The delivery gathers work per project: one query returns a row per project of
interest (closed in the period, or in progress on its end) with its totals
(labour cost, billable value, expenses, clipped downtime, latest progress)
computed by correlated subqueries, so the number of queries does not depend on
the number of projects or clients. Those per-project rows are then rolled up to
the client and company scopes in Python (a loop over aggregated project rows,
never over time entries or expenses).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least

from projects.models import Downtime, Project, ProjectExpense, ProjectProgress
from synapse.fields import FixedPointField, MoneyField
from synapse.kpis.engine import KpiContext, by_period, period_bucket
from synapse.kpis.periods import COMPANY, Period, Scope
from timesheets.models import TimeEntry

CLOSED = (Project.Status.COMPLETED, Project.Status.CANCELLED)
ZERO = Decimal(0)
HOUR = dt.timedelta(hours=1)


def projects_closed_in_period(ctx: KpiContext) -> QuerySet[Project]:
    """Return projects closed in the period: completed or cancelled, ``actual_end`` in it."""
    return Project.objects.filter(
        status__in=CLOSED, actual_end__gte=ctx.start, actual_end__lte=ctx.end
    )


def projects_in_progress_on_end(ctx: KpiContext) -> QuerySet[Project]:
    """Return projects in progress on ``ctx.end``: started on or before it and not closed
    (completed or cancelled) on or before it."""
    return Project.objects.filter(actual_start__lte=ctx.end).exclude(
        status__in=CLOSED, actual_end__lte=ctx.end
    )


def _project_sum(model: type, column: str, output: FixedPointField, **filters: Any) -> Coalesce:
    """Return Σ ``column`` of ``model`` rows of the outer project (0 when none), a subquery."""
    rows = (
        model.objects.filter(project=OuterRef("pk"), **filters)
        .order_by()
        .values("project")
        .annotate(total=Sum(column))
        .values("total")[:1]
    )
    return Coalesce(Subquery(rows), Value(0), output_field=output)


def _clipped_downtime() -> Subquery:
    """Return Σ downtime of the outer project clipped to its window, as a duration subquery.

    Each interval is clipped with Greatest/Least to [window_start, window_end) and the
    difference of two datetimes is a portable duration (microseconds on SQLite, an
    interval on PostgreSQL); intervals that do not overlap the window are filtered out.
    """
    clipped = ExpressionWrapper(
        Least(F("ended_at"), F("project__window_end"))
        - Greatest(F("started_at"), F("project__window_start")),
        output_field=DurationField(),
    )
    rows = (
        Downtime.objects.filter(
            project=OuterRef("pk"),
            started_at__lt=F("project__window_end"),
            ended_at__gt=F("project__window_start"),
        )
        .order_by()
        .values("project")
        .annotate(total=Sum(clipped))
        .values("total")[:1]
    )
    return Subquery(rows, output_field=DurationField())


def _duration_hours(value: dt.timedelta | None) -> Decimal:
    """Return a duration in hours as an exact Decimal (None is 0)."""
    if value is None:
        return ZERO
    return Decimal(value // dt.timedelta(microseconds=1)) / Decimal(3_600_000_000)


def closed_project_rows(ctx: KpiContext) -> list[dict]:
    """Return one row per project closed in the period (narrowed to ``ctx.only``).

    Each row holds ``code``, ``client_code``, ``status``, ``requirements_met``,
    ``revenue`` (fixed: the contract value; time and materials: Σ billable value of
    all its time entries, whenever dated), ``direct_cost`` (Σ labour cost of all its
    time entries + Σ its expenses, whenever dated), ``budget``, ``planned_days``
    (planned_end − planned_start), ``actual_days`` (actual_end − actual_start),
    ``on_time`` (actual_end ≤ planned_end), ``downtime_hours`` (downtime clipped to
    the window [00:00 actual_start, 00:00 actual_end) firm time, stored on the project
    as ``window_start``/``window_end``) and ``window_hours`` (actual days × 24, as
    kpis.md defines it, even when a DST change makes the window 1 h shorter or
    longer). One query, memoized on ``ctx``.
    """
    return ctx.memo("projects.closed_project_rows", lambda: _closed_project_rows(ctx))


def _closed_project_rows(ctx: KpiContext) -> list[dict]:
    queryset = ctx.narrow(projects_closed_in_period(ctx), client="client__code", project="code")
    rows = (
        queryset.order_by()
        .annotate(
            labour_cost=_project_sum(TimeEntry, "cost", MoneyField()),
            bill_total=_project_sum(TimeEntry, "bill_value", MoneyField()),
            expense_total=_project_sum(ProjectExpense, "amount", MoneyField()),
            downtime=_clipped_downtime(),
        )
        .values(
            "code",
            "client__code",
            "status",
            "billing",
            "revenue",
            "budget",
            "requirements_met",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "labour_cost",
            "bill_total",
            "expense_total",
            "downtime",
        )
    )
    out = []
    for row in rows:
        fixed = row["billing"] == Project.Billing.FIXED
        actual_days = (row["actual_end"] - row["actual_start"]).days
        out.append(
            {
                "code": row["code"],
                "client_code": row["client__code"],
                "status": row["status"],
                "requirements_met": row["requirements_met"],
                "revenue": (row["revenue"] or ZERO) if fixed else row["bill_total"],
                "direct_cost": row["labour_cost"] + row["expense_total"],
                "budget": row["budget"],
                "planned_days": (row["planned_end"] - row["planned_start"]).days,
                "actual_days": actual_days,
                "on_time": row["actual_end"] <= row["planned_end"],
                "downtime_hours": _duration_hours(row["downtime"]),
                "window_hours": Decimal(actual_days * 24),
            }
        )
    return out


def rollup(
    ctx: KpiContext,
    rows: Iterable[dict],
    measures: Callable[[dict], dict[str, Any]],
    *,
    always_company: bool = False,
) -> dict[Scope, dict]:
    """Sum ``measures(row)`` of per-project rows into the company, client and project
    scopes that ``ctx`` wants; with ``always_company`` the company is present even
    when there are no rows (all measures 0)."""
    out: dict[Scope, dict] = {}
    for row in rows:
        values = measures(row)
        scopes = []
        if ctx.wants("company"):
            scopes.append(COMPANY)
        if ctx.wants("client"):
            scopes.append(Scope("client", row["client_code"]))
        if ctx.wants("project"):
            scopes.append(Scope("project", row["code"]))
        for scope in scopes:
            totals = out.setdefault(scope, dict.fromkeys(values, 0))
            for name, value in values.items():
                totals[name] += value
    if always_company and ctx.wants("company") and COMPANY not in out:
        out[COMPANY] = dict.fromkeys(measures(_EMPTY_ROW), 0)
    return out


_EMPTY_ROW: dict[str, Any] = {
    "status": "",
    "requirements_met": False,
    "revenue": ZERO,
    "direct_cost": ZERO,
    "budget": ZERO,
    "planned_days": 0,
    "actual_days": 0,
    "on_time": False,
    "downtime_hours": ZERO,
    "window_hours": ZERO,
}


def completed_project_totals(ctx: KpiContext) -> dict[Scope, dict]:
    """Return totals of the projects completed in the period, per scope.

    Completed in period: status ``completed`` and ``actual_end`` in
    ``[ctx.start, ctx.end]`` (cancelled projects are left out). For each scope of the
    kinds ``ctx`` wants — ``company``, ``client:<code>`` (the project's client),
    ``project:<code>`` — a dict with:

    - ``count``: number of those projects (int);
    - ``revenue``: Σ project revenue — ``fixed``: the project's ``revenue`` field;
      ``time_and_materials``: Σ ``bill_value`` of ALL its time entries, whenever dated;
    - ``direct_cost``: Σ ``cost`` of all its time entries + Σ ``amount`` of all its
      expenses, whenever dated;
    - ``budget``: Σ ``budget``.

    Money is Decimal, exact to the cent. Clients and projects with no completed project
    are absent; the company is always present when wanted (zeros when empty).
    Narrowed to ``ctx.only``; one query for the whole call, memoized on ``ctx``.
    """
    return ctx.memo(
        "projects.completed_project_totals",
        lambda: rollup(
            ctx,
            (r for r in closed_project_rows(ctx) if r["status"] == Project.Status.COMPLETED),
            lambda r: {
                "count": 1,
                "revenue": r["revenue"],
                "direct_cost": r["direct_cost"],
                "budget": r["budget"],
            },
            always_company=True,
        ),
    )


def in_progress_project_rows(ctx: KpiContext) -> list[dict]:
    """Return one row per project in progress on ``ctx.end`` (narrowed to ``ctx.only``).

    Each row holds ``code``, ``client_code``, ``earned_value`` (budget × the latest
    progress percent dated ≤ end / 100, 0 with no progress report; exact Decimal) and
    ``actual_cost`` (Σ labour cost of its time entries + Σ its expenses dated ≤ end).
    One query.
    """
    queryset = ctx.narrow(projects_in_progress_on_end(ctx), client="client__code", project="code")
    latest_percent = Subquery(
        ProjectProgress.objects.filter(project=OuterRef("pk"), date__lte=ctx.end)
        .order_by("-date")
        .values("percent_complete")[:1],
        output_field=FixedPointField(),
    )
    rows = (
        queryset.order_by()
        .annotate(
            percent=latest_percent,
            labour_cost=_project_sum(TimeEntry, "cost", MoneyField(), date__lte=ctx.end),
            expense_total=_project_sum(ProjectExpense, "amount", MoneyField(), date__lte=ctx.end),
        )
        .values("code", "client__code", "budget", "percent", "labour_cost", "expense_total")
    )
    return [
        {
            "code": row["code"],
            "client_code": row["client__code"],
            "earned_value": row["budget"] * (row["percent"] or ZERO) / 100,
            "actual_cost": row["labour_cost"] + row["expense_total"],
        }
        for row in rows
    ]


_HOURS = ("total_hours", "rework_hours", "entries")


def _project_hours(ctx: KpiContext, periods: tuple[Period, ...]) -> dict[Period, list[tuple]]:
    """Return, per period, the rows (bucket, project code, client code, username, total
    hours, rework hours, entries) of the time entries on a project dated in it — one
    query grouped by (period, project, employee)."""
    start, end = ctx.span(periods)
    entries = TimeEntry.objects.filter(project__isnull=False, date__gte=start, date__lte=end)
    entries = ctx.narrow(
        entries,
        client="project__client__code",
        project="project__code",
        employee="employee__user__username",
    )
    rows = (
        entries.annotate(bucket=period_bucket("date", periods))
        .values("bucket", "project__code", "project__client__code", "employee__user__username")
        .annotate(
            total_hours=Sum("hours", default=0),
            rework_hours=Sum("hours", filter=Q(activity=TimeEntry.Activity.REWORK), default=0),
            entries=Count("pk"),
        )
        .values_list(
            "bucket",
            "project__code",
            "project__client__code",
            "employee__user__username",
            *_HOURS,
        )
        .order_by()
    )
    return by_period(rows, periods, bucket=0)


def _project_hours_rollup(ctx: KpiContext, found: list[list[tuple]]) -> dict[Scope, dict]:
    """Add the grouped rows of one or more periods up to every scope wanted. The loop
    runs over the grouped rows (projects × employees who logged on them), never over the
    time entries; sums of hours are exact Decimals, so the roll-up equals grouped SQL.
    Sums are kept under (kind, key) tuples, made scopes once at the end."""
    wanted = [
        (kind, i) for kind, i in (("client", 2), ("project", 1), ("employee", 3)) if ctx.wants(kind)
    ]
    company = ctx.wants("company")
    sums: dict[tuple[str, object], list] = {}
    for rows in found:
        for row in rows:
            keys = [(kind, row[i]) for kind, i in wanted]
            if company:
                keys.append(("company", ""))
            total, rework, count = row[4:]
            for key in keys:
                totals = sums.get(key)
                if totals is None:
                    sums[key] = [total, rework, count]
                else:
                    totals[0] += total
                    totals[1] += rework
                    totals[2] += count
    return {
        Scope(kind, str(key)): {"total_hours": total, "rework_hours": rework, "entries": count}
        for (kind, key), (total, rework, count) in sums.items()
    }


def project_hours_in_period(ctx: KpiContext) -> dict[Scope, dict]:
    """Return ``total_hours``, ``rework_hours`` and ``entries`` (count) of time entries on a
    project dated in the period, per company, client (the project's), project and
    employee scope wanted.

    One query grouped by (project, employee) — with the project's client and the
    employee's username — rolled up in Python to every scope wanted
    (``_project_hours_rollup``): one scan of the period's entries instead of one per
    scope kind; in a snapshot run one scan grouped by calendar month for all its months,
    quarters and years (``KpiContext.summed``).
    """
    return ctx.summed(
        "projects.project_hours", _project_hours, lambda found: _project_hours_rollup(ctx, found)
    )
