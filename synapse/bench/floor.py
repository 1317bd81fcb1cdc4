"""The practical floor of the snapshot recompute: the same aggregates as hand-written SQL.

For the periods the backfill computes, ``floor_run`` runs the grouped aggregates a
careful person would write by hand for the KPI inputs of kpis.md, one statement per
input and scope kind, over the same tables and with the same filters as the engine
(the people inputs for all periods at once, as the engine gathers them):
completed/closed projects with their labour cost, billable value, expenses and
clipped downtime; projects in progress with earned value and actual cost; hours on
projects; billable hours, leave and compliant days per employee; resolved and decided
tickets; post-integration tickets; CSAT, NPS and invitations; client counts, MRR,
managed-services revenue and cost; overheads. Results are fetched (so the database
does the work) and summed per scope in Python like the engine does, but nothing is
written. ISO weeks only run the utilization inputs, as the snapshots only store
utilization per week.

The time zone is the bench's firm time zone (``TIME_ZONE``; UTC by default): local
dates of datetimes are computed in SQL with it on PostgreSQL, and on SQLite (which
stores UTC and has no zone database) only UTC is exact, which is what the bench runs.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import connection

from synapse.kpis.periods import Period, local_midnight

WINDOW_DAYS = 30


def _vendor_sql() -> dict[str, str]:
    """Return the few expressions that differ between PostgreSQL and SQLite."""
    if connection.vendor == "postgresql":
        return {
            "hours": "EXTRACT(EPOCH FROM ({b} - {a})) / 3600.0",
            "least": "LEAST",
            "greatest": "GREATEST",
            "weekday": "EXTRACT(ISODOW FROM {d}) < 6",
            "local_date": "({t} AT TIME ZONE %s)::date",
            "add_days": "({d} + %s)",
            "trunc_week": "date_trunc('week', {d})::date",
            "trunc_month": "date_trunc('month', {d})::date",
        }
    return {
        "hours": "(julianday({b}) - julianday({a})) * 24.0",
        "least": "MIN",
        "greatest": "MAX",
        "weekday": "strftime('%%w', {d}) NOT IN ('0', '6')",
        "local_date": "date({t})",
        "add_days": "date({d}, '+' || %s || ' days')",
        "trunc_week": (
            "date({d}, '-' || ((CAST(strftime('%%w', {d}) AS INTEGER) + 6) %% 7) || ' days')"
        ),
        "trunc_month": "strftime('%%Y-%%m-01', {d})",
    }


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _dt(moment: dt.datetime) -> object:
    return connection.ops.adapt_datetimefield_value(moment)


def _tz_params(sql_part: str) -> list:
    return [settings.TIME_ZONE] if connection.vendor == "postgresql" and "%s" in sql_part else []


def floor_run(periods: list[Period], *, as_of: dt.datetime) -> int:
    """Run the hand-written aggregates of every period in ``periods``; return the number
    of rows fetched.

    The people, survey and project-hours inputs are gathered for all the periods at
    once, as the engine gathers them in a snapshot run (``KpiContext.summed``): one
    statement per input grouped by ISO week for the weeks, and by calendar month for
    the months, quarters and years, whose sums are then added up per period and scope.
    The other areas run their statements period by period, as the engine does.
    """
    fetched = (
        len(people_inputs(periods, as_of=as_of))
        + len(surveys_inputs(periods, as_of=as_of))
        + len(hours_inputs(periods, as_of=as_of))
    )
    for period in periods:
        if period.grain != "week":
            fetched += _delivery(period, as_of) + _support(period, as_of) + _revenue(period, as_of)
    return fetched


def _bounds(period: Period, as_of: dt.datetime) -> tuple[dt.date, dt.date, object, object]:
    end = min(period.end, as_of.date())
    end_dt = min(local_midnight(period.end + dt.timedelta(days=1)), as_of)
    return period.start, end, _dt(local_midnight(period.start)), _dt(end_dt)


def people_inputs(periods: list[Period], *, as_of: dt.datetime) -> dict[tuple, list]:
    """Return the people KPIs' inputs of ``periods`` by (period, employee id): billable
    hours, leave (capped hours, full days) and, but for weeks, compliant days (hours as
    stored: hundredths); with the employees and holidays read once per group of periods."""
    out: dict[tuple, list] = {}
    weeks = [p for p in periods if p.grain == "week"]
    tiled = [p for p in periods if p.grain != "week"]
    for grain, group in (("week", weeks), ("month", tiled)):
        if not group:
            continue
        start = min(p.start for p in group)
        end = min(max(p.end for p in group), as_of.date())
        sums = _people_by_bucket(grain, start, end, compliance=grain == "month")
        # The periods each bucket (a week, or a month) adds up into.
        into: dict[dt.date, list[Period]] = defaultdict(list)
        for period in group:
            bucket = period.start
            while bucket <= period.end:
                into[bucket].append(period)
                bucket = Period.containing(grain, bucket).end + dt.timedelta(days=1)
        for (bucket, employee), values in sums.items():
            for period in into[bucket]:
                row = out.setdefault((period, employee), [Decimal(0), Decimal(0), 0, 0])
                for i, value in enumerate(values):
                    row[i] += value
    return out


def _people_by_bucket(
    grain: str, start: dt.date, end: dt.date, *, compliance: bool
) -> dict[tuple[dt.date, int], list]:
    """Return [billable hours, capped leave hours, full leave days, compliant days] per
    (start of the ``grain`` period, employee id) over ``[start, end]``."""
    v = _vendor_sql()
    bucket_t = v[f"trunc_{grain}"].format(d="t.date")
    bucket_l = v[f"trunc_{grain}"].format(d="l.date")
    bucket_d = v[f"trunc_{grain}"].format(d="d.date")
    weekday_t = v["weekday"].format(d="t.date")
    weekday_l = v["weekday"].format(d="l.date")
    employed = (
        "{x}.date >= e.employed_from AND (e.employed_until IS NULL OR {x}.date <= e.employed_until)"
    )
    sums: dict[tuple[dt.date, int], list] = {}

    def add(rows: list[tuple], *slots: int) -> None:
        for bucket, employee, *values in rows:
            row = sums.setdefault((_date(bucket), employee), [Decimal(0), Decimal(0), 0, 0])
            for slot, value in zip(slots, values, strict=True):
                row[slot] += Decimal(str(value)) if slot < 2 else value

    add(
        _rows(
            f"SELECT {bucket_t}, t.employee_id, SUM(t.hours) FROM timesheets_timeentry t "
            "WHERE t.date >= %s AND t.date <= %s AND t.billable GROUP BY 1, 2",
            [start, end],
        ),
        0,
    )
    _rows(
        "SELECT e.id, u.username, e.role, e.hours_per_day, e.employed_from, "
        "e.employed_until FROM timesheets_employee e JOIN auth_user u ON u.id = e.user_id "
        "WHERE e.employed_from <= %s AND (e.employed_until IS NULL OR e.employed_until >= %s)",
        [end, start],
    )
    _rows("SELECT date FROM timesheets_holiday WHERE date >= %s AND date <= %s", [start, end])
    add(
        _rows(
            f"SELECT {bucket_l}, l.employee_id, SUM({v['least']}(l.hours, e.hours_per_day)), "
            "SUM(CASE WHEN l.hours >= e.hours_per_day THEN 1 ELSE 0 END) "
            "FROM timesheets_leave l JOIN timesheets_employee e ON e.id = l.employee_id "
            f"WHERE l.date >= %s AND l.date <= %s AND {weekday_l} AND {employed.format(x='l')} "
            "AND NOT EXISTS (SELECT 1 FROM timesheets_holiday h WHERE h.date = l.date) "
            "GROUP BY 1, 2",
            [start, end],
        ),
        1,
        2,
    )
    if compliance:
        add(
            _rows(
                f"SELECT {bucket_d}, d.employee_id, COUNT(*) FROM ("
                "  SELECT t.employee_id, t.date, SUM(t.hours) AS logged "
                "  FROM timesheets_timeentry t JOIN timesheets_employee e ON e.id = t.employee_id "
                f"  WHERE t.date >= %s AND t.date <= %s AND {weekday_t} "
                f"  AND {employed.format(x='t')} "
                "  AND NOT EXISTS (SELECT 1 FROM timesheets_holiday h WHERE h.date = t.date) "
                "  GROUP BY t.employee_id, t.date) d "
                "JOIN timesheets_employee e ON e.id = d.employee_id "
                "LEFT JOIN timesheets_leave l ON l.employee_id = d.employee_id AND l.date = d.date "
                "WHERE COALESCE(l.hours, 0) < e.hours_per_day "
                "AND d.logged + COALESCE(l.hours, 0) >= e.hours_per_day GROUP BY 1, 2",
                [start, end],
            ),
            3,
        )
    return sums


def _delivery(period: Period, as_of: dt.datetime) -> int:
    start, end, _, _ = _bounds(period, as_of)
    v = _vendor_sql()
    clipped = v["hours"].format(
        a=f"{v['greatest']}(d.started_at, p.window_start)",
        b=f"{v['least']}(d.ended_at, p.window_end)",
    )
    # Correlated sums per project: each one an index range scan on (project_id, date).
    closed = _rows(
        "SELECT p.code, c.code, p.status, p.billing, p.revenue, p.budget, p.requirements_met, "
        "  p.planned_start, p.planned_end, p.actual_start, p.actual_end, "
        "  (SELECT SUM(t.cost) FROM timesheets_timeentry t WHERE t.project_id = p.id), "
        "  (SELECT SUM(t.bill_value) FROM timesheets_timeentry t WHERE t.project_id = p.id), "
        "  (SELECT SUM(x.amount) FROM projects_projectexpense x WHERE x.project_id = p.id), "
        f"  (SELECT SUM({clipped}) FROM projects_downtime d WHERE d.project_id = p.id "
        "   AND d.started_at < p.window_end AND d.ended_at > p.window_start) "
        "FROM projects_project p JOIN projects_client c ON c.id = p.client_id "
        "WHERE p.status IN ('completed', 'cancelled') AND p.actual_end >= %s "
        "AND p.actual_end <= %s",
        [start, end],
    )
    totals: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    for row in closed:
        fixed = row[3] == "fixed"
        revenue = Decimal(row[4] or 0) if fixed else Decimal(row[12] or 0)
        cost = Decimal(row[11] or 0) + Decimal(row[13] or 0)
        for scope in (("company", ""), ("client", row[1]), ("project", row[0])):
            sums = totals[scope]
            sums[0] += 1
            sums[1] += revenue
            sums[2] += cost
            sums[3] += Decimal(row[5])
    in_progress = _rows(
        "SELECT p.code, c.code, p.budget, "
        "  (SELECT g.percent_complete FROM projects_projectprogress g "
        "   WHERE g.project_id = p.id AND g.date <= %s ORDER BY g.date DESC LIMIT 1), "
        "  (SELECT SUM(t.cost) FROM timesheets_timeentry t "
        "   WHERE t.project_id = p.id AND t.date <= %s), "
        "  (SELECT SUM(x.amount) FROM projects_projectexpense x "
        "   WHERE x.project_id = p.id AND x.date <= %s) "
        "FROM projects_project p JOIN projects_client c ON c.id = p.client_id "
        "WHERE p.actual_start <= %s AND NOT (p.status IN ('completed', 'cancelled') "
        "  AND p.actual_end IS NOT NULL AND p.actual_end <= %s)",
        [end, end, end, end, end],
    )
    return len(closed) + len(in_progress)


def hours_inputs(periods: list[Period], *, as_of: dt.datetime) -> dict[tuple, list]:
    """Return the hours on projects of the months, quarters and years in ``periods`` by
    (period, scope kind, key): [hours, rework hours, entries] (hours as stored).

    One statement for all the periods, grouped by (month, project, client, employee), as
    the engine gathers them in a snapshot run, rolled up per period and scope here.
    """
    tiled = [p for p in periods if p.grain != "week"]
    if not tiled:
        return {}
    start = min(p.start for p in tiled)
    end = min(max(p.end for p in tiled), as_of.date())
    bucket = _vendor_sql()["trunc_month"].format(d="t.date")
    rows = _rows(
        f"SELECT {bucket}, p.code, c.code, u.username, SUM(t.hours), "
        "SUM(CASE WHEN t.activity = 'rework' THEN t.hours ELSE 0 END), COUNT(*) "
        "FROM timesheets_timeentry t JOIN projects_project p ON p.id = t.project_id "
        "JOIN projects_client c ON c.id = p.client_id "
        "JOIN timesheets_employee e ON e.id = t.employee_id JOIN auth_user u ON u.id = e.user_id "
        "WHERE t.date >= %s AND t.date <= %s GROUP BY 1, 2, 3, 4",
        [start, end],
    )
    into = _months_into(tiled)
    out: dict[tuple, list] = {}
    for month, project, client, username, *sums in rows:
        for period in into[_date(month)]:
            for key in (("company", ""), ("client", client), ("project", project),
                        ("employee", username)):  # fmt: skip
                row = out.setdefault((period, *key), [0, 0, 0])
                for i, value in enumerate(sums):
                    row[i] += value
    return out


def _months_into(periods: list[Period]) -> dict[dt.date, list[Period]]:
    """Return, per month start, the periods of ``periods`` that month lies in."""
    into: dict[dt.date, list[Period]] = defaultdict(list)
    for period in periods:
        month = period.start
        while month <= period.end:
            into[month].append(period)
            month = Period.containing("month", month).end + dt.timedelta(days=1)
    return into


def _support(period: Period, as_of: dt.datetime) -> int:
    start, end, start_dt, end_dt = _bounds(period, as_of)
    v = _vendor_sql()
    duration = v["hours"].format(a="t.opened_at", b="t.resolved_at")
    per_priority = ", ".join(
        f"SUM(CASE WHEN t.priority = '{p}' THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN t.priority = '{p}' THEN {duration} ELSE 0 END)"
        for p in ("P1", "P2", "P3", "P4")
    )
    resolved_sql = (
        f"SELECT {{key}} COUNT(*), SUM({duration}), "
        "SUM(CASE WHEN t.first_contact_resolved THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN t.escalated THEN 1 ELSE 0 END), {per_priority} "
        "FROM support_ticket t {join} WHERE t.resolved_at >= %s AND t.resolved_at < %s {group}"
    )
    groups = (
        ("", "", ""),
        ("c.code,", "JOIN projects_client c ON c.id = t.client_id", "GROUP BY c.code"),
        ("u.username,", "JOIN timesheets_employee e ON e.id = t.assignee_id "
         "JOIN auth_user u ON u.id = e.user_id", "GROUP BY u.username"),
    )  # fmt: skip
    fetched = 0
    for key, join, group in groups:
        sql = resolved_sql.format(key=key, join=join, group=group)
        fetched += len(_rows(sql, [start_dt, end_dt]))
    decided_sql = (
        "SELECT {key} COUNT(*), SUM(CASE WHEN t.sla_met THEN 1 ELSE 0 END) "
        "FROM support_ticket t {join} WHERE t.sla_decided_at >= %s AND t.sla_decided_at < %s "
        "{group}"
    )
    for key, join, group in groups[:2]:
        sql = decided_sql.format(key=key, join=join, group=group)
        fetched += len(_rows(sql, [start_dt, end_dt]))
    opened_day = v["local_date"].format(t="t.opened_at")
    window_end = v["add_days"].format(d="p.actual_end")
    sql = (
        f"SELECT p.code, c.code, p.user_count, COUNT(t.id) FROM projects_project p "
        "JOIN projects_client c ON c.id = p.client_id "
        "LEFT JOIN support_ticket t ON t.project_id = p.id "
        f"  AND {opened_day} > p.actual_end AND {opened_day} <= {window_end} "
        "WHERE p.status = 'completed' AND p.actual_end >= %s AND p.actual_end <= %s "
        "GROUP BY p.code, c.code, p.user_count"
    )
    window = dt.timedelta(days=WINDOW_DAYS)
    params = [
        *_tz_params(opened_day),
        *_tz_params(opened_day),
        WINDOW_DAYS,
        start - window,
        end - window,
    ]
    fetched += len(_rows(sql, params))
    return fetched


def surveys_inputs(periods: list[Period], *, as_of: dt.datetime) -> dict[tuple, list[int]]:
    """Return the survey KPIs' inputs of the months, quarters and years in ``periods`` by
    (period, kpi, scope kind, key): [responses, good or promoters, detractors], and the
    invitations and responses counts under (period, "invitations" / "responses", "", "").

    Four statements for all the periods, grouped by firm-local month (as the engine
    gathers them in a snapshot run), summed per period and scope here.
    """
    tiled = [p for p in periods if p.grain != "week"]
    if not tiled:
        return {}
    start = local_midnight(min(p.start for p in tiled))
    end = min(local_midnight(max(p.end for p in tiled) + dt.timedelta(days=1)), as_of)
    v = _vendor_sql()
    local = v["local_date"].format(t="{t}")
    bucket = v["trunc_month"].format(d=local)
    scores = (
        f"SELECT {bucket.format(t='r.responded_at')}, c.code, p.code, COUNT(*), "
        "SUM(CASE WHEN r.score >= {good} THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN r.score <= 6 THEN 1 ELSE 0 END) "
        "FROM surveys_surveyresponse r LEFT JOIN projects_client c ON c.id = r.client_id "
        "LEFT JOIN projects_project p ON p.id = r.project_id "
        "WHERE r.kind = %s AND r.responded_at >= %s AND r.responded_at < %s GROUP BY 1, 2, 3"
    )
    into = _months_into(tiled)
    out: dict[tuple, list[int]] = {}

    def add(key: tuple, month: object, counts: tuple) -> None:
        for period in into[_date(month)]:
            row = out.setdefault((period, *key), [0] * len(counts))
            for i, count in enumerate(counts):
                row[i] += count or 0

    tz = _tz_params(local)
    for kind, good in (("csat", 4), ("nps", 9)):
        sql = scores.format(good=good)
        for month, client, project, *counts in _rows(sql, [*tz, kind, _dt(start), _dt(end)]):
            add((kind, "company", ""), month, counts)
            if client is not None:
                add((kind, "client", client), month, counts)
            if project is not None and kind == "csat":
                add((kind, "project", project), month, counts)
    for name, table, column in (
        ("invitations", "surveys_surveyinvitation", "sent_at"),
        ("responses", "surveys_surveyresponse", "responded_at"),
    ):
        sql = (
            f"SELECT {bucket.format(t=column)}, COUNT(*) FROM {table} "
            f"WHERE {column} >= %s AND {column} < %s GROUP BY 1"
        )
        for month, count in _rows(sql, [*tz, _dt(start), _dt(end)]):
            add((name, "", ""), month, (count,))
    return out


def _revenue(period: Period, as_of: dt.datetime) -> int:
    start, end, _, _ = _bounds(period, as_of)
    opening = start - dt.timedelta(days=1)
    active = "(became_client_on <= %s AND (churned_on IS NULL OR churned_on > %s))"
    fetched = len(
        _rows(
            f"SELECT SUM(CASE WHEN {active} THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {active} AND {active} THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {active} THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN became_client_on > %s AND {active} THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN became_client_on >= %s AND became_client_on <= %s THEN 1 ELSE 0 END) "
            "FROM projects_client",
            [start, start, start, start, end, end, end, end, start, end, end, start, end],
        )
    )
    contract_active = "(k.start_date <= %s AND (k.end_date IS NULL OR k.end_date >= %s))"
    fetched += len(
        _rows(
            f"SELECT c.code, SUM(CASE WHEN {contract_active} THEN k.monthly_fee ELSE 0 END), "
            f"SUM(CASE WHEN {contract_active} THEN k.monthly_fee ELSE 0 END), "
            f"SUM(CASE WHEN {contract_active} THEN 1 ELSE 0 END) "
            "FROM projects_contract k JOIN projects_client c ON c.id = k.client_id "
            f"WHERE {contract_active} OR {contract_active} GROUP BY c.code",
            [opening, opening, end, end, end, end, opening, opening, end, end],
        )
    )
    contracts = _rows(
        "SELECT c.code, k.monthly_fee, k.start_date, k.end_date FROM projects_contract k "
        "JOIN projects_client c ON c.id = k.client_id "
        "WHERE k.start_date <= %s AND (k.end_date IS NULL OR k.end_date >= %s)",
        [end, start],
    )
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for code, fee, first, last in contracts:
        revenue[code] += _prorated(Decimal(fee), _date(first), _date(last), start, end)
    fetched += len(contracts)
    fetched += len(
        _rows(
            "SELECT c.code, SUM(t.cost) FROM timesheets_timeentry t "
            "JOIN projects_contract k ON k.id = t.cost_contract_id "
            "JOIN projects_client c ON c.id = k.client_id "
            "WHERE t.cost_contract_id IS NOT NULL AND t.date >= %s AND t.date <= %s "
            "GROUP BY c.code",
            [start, end],
        )
    )
    fetched += len(
        _rows(
            "SELECT category, SUM(amount) FROM projects_overhead "
            "WHERE month >= %s AND month <= %s GROUP BY category",
            [start.replace(day=1), end],
        )
    )
    return fetched


def _date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _prorated(
    fee: Decimal, first: dt.date | None, last: dt.date | None, start: dt.date, end: dt.date
) -> Decimal:
    """Return ``fee`` pro-rated by the contract's active days in each month of the period."""
    total = Decimal(0)
    month = start.replace(day=1)
    while month <= end:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        days_in_month = (following - month).days
        lo = max(month, start, first or month)
        hi = min(following - dt.timedelta(days=1), end, last or end)
        if hi >= lo:
            total += fee * (hi - lo).days / days_in_month + fee / days_in_month
        month = following
    return total
