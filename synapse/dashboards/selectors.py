"""Reads behind the executive pages: KPI points from snapshots, live fallbacks, pickers.

Pages read stored snapshots in bulk: one query returns every card's current, previous
and sparkline points for a scope and grain (``kpi_points``). A period the nightly job
has not stored yet is computed live by the engine and marked so. The number of
queries of a page therefore does not depend on the amount of data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from projects.models import Client, Contract, Downtime, Project, ProjectProgress
from support.models import Ticket
from synapse.dashboards import presentation
from synapse.dates import DATE_RANGE_MESSAGE, date_in_range
from synapse.kpis.engine import KpiContext, bands_in_force, kpis_compute
from synapse.kpis.models import KpiSnapshot
from synapse.kpis.periods import COMPANY, Period, Scope, local_date
from synapse.kpis.registry import Kpi, kpi_get, kpis_all
from timesheets import selectors as time_selectors
from timesheets.models import Employee, Timesheet

Band = tuple[Decimal | None, Decimal | None]

#: Grains the pickers offer (snapshots are stored for these).
GRAINS = ("month", "quarter", "year")
#: Periods in a card's sparkline and on a KPI page's trend chart.
SPARKLINE_PERIODS = 12
TREND_PERIODS = 24
HUNDRED = Decimal(100)


# --------------------------------------------------------------------------- params


@dataclass(frozen=True)
class PageParams:
    """What a dashboard page shows: a period of a grain and a scope, with input errors."""

    period: Period
    scope: Scope
    errors: tuple[str, ...] = ()

    @property
    def grain(self) -> str:
        return self.period.grain

    def query(self, **changes: str) -> dict[str, str]:
        """Return the query parameters of this view (``grain``, ``period``, ``scope``)."""
        params = {
            "grain": self.grain,
            "period": self.period.start.isoformat(),
            "scope": str(self.scope),
        }
        params.update(changes)
        return params


def page_params(query: Mapping[str, str], *, today: dt.date) -> PageParams:
    """Return the period and scope asked for by ``grain``, ``period`` and ``scope``.

    ``period`` is any date inside the wanted period (normally its first day, ISO). The
    default is the period of ``grain`` (default month) containing ``today``: the
    running period, counted up to now, so the board sees this month as it stands.
    Bad input is reported in ``errors`` and replaced by the default.
    """
    errors = []
    grain = query.get("grain") or "month"
    if grain not in GRAINS:
        errors.append(f"Unknown period length “{grain}”: showing months.")
        grain = "month"
    day = today
    if query.get("period"):
        try:
            asked = dt.date.fromisoformat(query["period"])
        except ValueError:
            errors.append(f"“{query['period']}” is not a date (YYYY-MM-DD): showing today.")
        else:
            if date_in_range(asked):
                day = asked
            else:
                errors.append(f"{asked.isoformat()}: {DATE_RANGE_MESSAGE} Showing today.")
    scope = COMPANY
    if query.get("scope"):
        try:
            scope = Scope.parse(query["scope"])
        except ValueError:
            errors.append(f"Unknown scope “{query['scope']}”: showing the company.")
    return PageParams(Period.containing(grain, day), scope, tuple(errors))


def periods_back(period: Period, count: int) -> list[Period]:
    """Return ``count`` consecutive periods ending with ``period``, oldest first."""
    periods = [period]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return periods[::-1]


def period_choices(period: Period, *, today: dt.date, count: int = 24) -> list[Period]:
    """Return the periods the picker offers, newest first: ``count`` periods up to the
    running one, plus ``period`` when it lies outside them."""
    choices = periods_back(Period.containing(period.grain, today), count)[::-1]
    if period not in choices:
        choices.append(period)
        choices.sort(reverse=True)
    return choices


# --------------------------------------------------------------------------- points


@dataclass(frozen=True)
class Point:
    """One KPI value of one period for the page's scope, and where it came from.

    ``source`` is ``snapshot`` (stored by the nightly job; a stored period without a
    row for this scope is "no data"), ``live`` (computed now: no snapshot yet) or
    ``missing`` (neither stored nor computed: history not backfilled, or a future
    period).
    """

    period: Period
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    sample_size: int = 0
    status: str | None = "no_data"
    band: Band | None = None
    reason: str = ""
    source: str = "missing"
    computed_at: dt.datetime | None = None

    @property
    def has_data(self) -> bool:
        return self.value is not None


def _band_of(row: KpiSnapshot) -> Band | None:
    if row.band_low is None and row.band_high is None:
        return None
    return (row.band_low, row.band_high)


def _point_of(row: KpiSnapshot, period: Period) -> Point:
    return Point(
        period=period,
        value=row.value,
        numerator=row.numerator,
        denominator=row.denominator,
        sample_size=row.sample_size,
        status=row.status or None,
        band=_band_of(row),
        reason=row.reason,
        source="snapshot",
        computed_at=row.computed_at,
    )


def kpi_points(
    *, keys: Iterable[str], scope: Scope, periods: list[Period]
) -> dict[str, dict[dt.date, Point]]:
    """Return the stored points of ``keys`` for ``scope`` in ``periods`` — one query.

    The query also reads the company rows of the same KPIs and periods: the engine
    always stores a company value, so a period with a company row but no row for a
    client, project or employee was computed and had no data for that scope (a
    ``no_data`` snapshot point), while a period with neither was never stored (left
    out here, to be computed live or shown as missing).
    """
    keys = list(keys)
    by_start = {p.start: p for p in periods}
    grain = periods[0].grain
    rows = KpiSnapshot.objects.filter(
        grain=grain, period_start__in=list(by_start), key__in=keys
    ).filter(Q(scope_kind=scope.kind, scope_key=scope.key) | Q(scope_kind="company"))
    own: dict[str, dict[dt.date, Point]] = {key: {} for key in keys}
    stored: dict[str, dict[dt.date, KpiSnapshot]] = {key: {} for key in keys}
    for row in rows.order_by():
        period = by_start[row.period_start]
        if row.scope_kind == scope.kind and row.scope_key == scope.key:
            own[row.key][row.period_start] = _point_of(row, period)
        if row.scope_kind == "company":
            stored[row.key][row.period_start] = row
    for key in keys:
        for start, company_row in stored[key].items():
            if start not in own[key]:
                own[key][start] = Point(
                    period=by_start[start],
                    band=_band_of(company_row),
                    status="no_data" if _band_of(company_row) else None,
                    reason="no data for this scope in period",
                    source="snapshot",
                    computed_at=company_row.computed_at,
                )
    return own


def kpi_points_live(
    *, kpis: list[Kpi], period: Period, scope: Scope, as_of: dt.datetime
) -> dict[str, Point]:
    """Return ``kpis`` computed now by the engine for one period and scope."""
    if not kpis or period.start > local_date(as_of):
        return {}
    values = kpis_compute(period=period, scope=scope, as_of=as_of, keys=[k.key for k in kpis])
    return {
        key: Point(
            period=period,
            value=value.result.value,
            numerator=value.result.numerator,
            denominator=value.result.denominator,
            sample_size=value.result.sample_size,
            status=value.status,
            band=value.band,
            reason=value.result.reason,
            source="live",
            computed_at=as_of,
        )
        for key, value in values.items()
    }


# --------------------------------------------------------------------------- cards


@dataclass
class Card:
    """A KPI as the dashboard shows it: the period's point, the one before and a trend."""

    kpi: Kpi
    point: Point
    previous: Point
    series: list[Point]
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.kpi.key

    @property
    def band(self) -> Band | None:
        return self.point.band

    @property
    def tone(self) -> str:
        return presentation.kpi_tone(self.kpi, value=self.point.value, band=self.band)

    @property
    def status(self) -> str | None:
        if self.point.value is None:
            return "no_data"
        return self.point.status

    @property
    def status_text(self) -> str:
        return presentation.status_text(self.status)

    @property
    def value_text(self) -> str:
        return presentation.number_text(self.point.value, self.kpi.unit)

    @property
    def unit_text(self) -> str:
        return presentation.unit_text(self.kpi.unit)

    @property
    def band_text(self) -> str:
        return presentation.band_text(self.band, self.kpi.unit)

    @property
    def delta_text(self) -> str:
        return presentation.delta_text(self.point.value, self.previous.value, self.kpi.unit)

    @property
    def delta_direction(self) -> str:
        return presentation.delta_direction(self.point.value, self.previous.value)

    @property
    def delta_tone(self) -> str:
        return presentation.delta_tone(
            self.kpi, current=self.point.value, previous=self.previous.value
        )

    @property
    def sample_text(self) -> str:
        if self.point.source == "missing" or self.point.value is None:
            return ""
        return presentation.sample_text(self.kpi, self.point.sample_size)

    @property
    def is_live(self) -> bool:
        return self.point.source == "live"

    def chart(self) -> dict:
        """Return the sparkline/trend data for the chart script (numbers as floats)."""
        return series_chart(self.kpi, self.series)


def series_chart(kpi: Kpi, points: list[Point]) -> dict:
    """Return a chart's data: labels, values and the band of the last point, as JSON-able."""
    band = next((p.band for p in reversed(points) if p.band), None)
    return {
        "label": kpi.label,
        "unit": kpi.unit,
        "labels": [p.period.label for p in points],
        "values": [None if p.value is None else float(p.value) for p in points],
        "band": None if band is None else [None if b is None else float(b) for b in band],
    }


def kpi_cards(
    *,
    period: Period,
    scope: Scope,
    keys: Iterable[str] | None = None,
    history: int = SPARKLINE_PERIODS,
    as_of: dt.datetime | None = None,
) -> list[Card]:
    """Return a card for every KPI (or those in ``keys``) that supports ``scope``.

    Queries: one for the stored points of all cards (``history`` periods each), one
    for the bands in force; and, only when the period or the one before has no
    snapshot yet, the engine's bounded queries to compute those live.
    """
    as_of = as_of or timezone.now()
    kpis = [kpi_get(k) for k in keys] if keys is not None else kpis_all()
    kpis = [kpi for kpi in kpis if scope.kind in kpi.scopes]
    if not kpis:
        return []
    periods = periods_back(period, max(history, 2))
    stored = kpi_points(keys=[k.key for k in kpis], scope=scope, periods=periods)
    bands = bands_in_force()
    for target in (periods[-1], periods[-2]):
        missing = [kpi for kpi in kpis if target.start not in stored[kpi.key]]
        for key, point in kpi_points_live(
            kpis=missing, period=target, scope=scope, as_of=as_of
        ).items():
            stored[key][target.start] = point
    cards = []
    for kpi in kpis:
        band = bands.get(kpi.key)
        series = [
            stored[kpi.key].get(p.start)
            or Point(period=p, band=band, status="no_data" if band else None)
            for p in periods
        ]
        cards.append(Card(kpi=kpi, point=series[-1], previous=series[-2], series=series))
    return cards


def card_notes(cards: list[Card], *, timesheet_gap: Decimal | None) -> None:
    """Add the thin-data warnings to ``cards`` (in place).

    A value resting on few records says so (``presentation.sample_is_thin``: CSAT and
    NPS under ``THIN_RESPONSES`` responses, other ratios under ``THIN_SAMPLE``);
    utilization says what share of its working days have no approved timesheet.
    """
    for card in cards:
        point = card.point
        if point.value is None:
            continue
        if presentation.sample_is_thin(card.kpi, point.sample_size):
            sample = presentation.sample_text(card.kpi, point.sample_size)
            if card.key in presentation.SURVEY_KEYS:
                card.notes.append(f"Only {sample}: read with care")
            else:
                card.notes.append(f"Thin data: {sample}")
        if card.key == "billable_utilization" and timesheet_gap is not None and timesheet_gap:
            card.notes.append(
                f"{presentation.number_text(timesheet_gap, '%')} % of working days lack an "
                "approved timesheet"
            )


def timesheet_working_days(
    *, period: Period, scope: Scope, as_of: dt.datetime
) -> tuple[int, tuple[dt.date, ...]]:
    """Return the working days the timesheet gap counts, and the weekday holidays.

    ``(expected, holidays)``: the working days are those of utilization's available
    hours (as ``timesheets.selectors.employees_days``: weekdays in the period — up to
    today for a running one — and the employment, less holidays; company scope: staff
    and managers; leave does not matter here, so it is not read). Two queries:
    holidays, employees. They read only holidays and employees (dates and roles), so
    the dashboard caches them under its version token (``synapse.dashboards.cache``).
    """
    ctx = KpiContext(period=period, as_of=as_of, kinds=frozenset({scope.kind}), only=scope)
    holidays = time_selectors.holidays_on_weekdays(ctx)
    employees = time_selectors.employees_in_period(ctx)
    if scope.kind == "company":
        employees = employees.filter(role__in=time_selectors.COMPANY_ROLES)
    start, end = ctx.start, ctx.end  # (properties: read once)
    expected = sum(
        time_selectors.employment_working_days(start, end, hired, left, holidays)
        for hired, left in employees.values_list("employed_from", "employed_until").order_by()
    )
    return expected, tuple(holidays)


def timesheet_gap_share(
    *,
    period: Period,
    scope: Scope,
    as_of: dt.datetime,
    working_days: tuple[int, tuple[dt.date, ...]] | None = None,
) -> Decimal | None:
    """Return the share (0–100) of working days not covered by an approved timesheet.

    An approximation from ``Timesheet`` rows, cheap at any size: the working days are
    ``timesheet_working_days`` (given as ``working_days`` when the caller has them,
    e.g. from the cache; else read here); a day counts as covered when its employee's
    week has an approved timesheet. Employment that starts or ends inside a week is not
    clipped from the covered days, so the share can be slightly low for such weeks.
    ``None`` when the scope is not the company or an employee, or there are no working
    days. One query (approved weeks), plus two for the working days when not given. The
    approved weeks are read on every request (timesheets are approved at any time).
    """
    if scope.kind not in {"company", "employee"} or period.start > local_date(as_of):
        return None
    if working_days is None:
        working_days = timesheet_working_days(period=period, scope=scope, as_of=as_of)
    expected, holidays = working_days
    if not expected:
        return None
    ctx = KpiContext(period=period, as_of=as_of, kinds=frozenset({scope.kind}), only=scope)
    start, end = ctx.start, ctx.end
    holidays = set(holidays)
    approved = Timesheet.objects.filter(
        status=Timesheet.Status.APPROVED,
        week_start__gte=start - dt.timedelta(days=6),
        week_start__lte=end,
    )
    approved = ctx.narrow(approved, employee="employee__user__username")
    if scope.kind == "company":
        approved = approved.filter(employee__role__in=time_selectors.COMPANY_ROLES)
    covered = 0
    for row in approved.values("week_start").annotate(sheets=Count("pk")).order_by():
        days = [row["week_start"] + dt.timedelta(days=i) for i in range(5)]
        working = sum(1 for d in days if start <= d <= end and d not in holidays)
        covered += row["sheets"] * working
    gap = (Decimal(expected) - Decimal(covered)) / Decimal(expected) * HUNDRED
    return max(gap, Decimal(0))


# --------------------------------------------------------------------------- pickers


@dataclass(frozen=True)
class ScopeOptions:
    """The scopes the picker offers: ``(value, label)`` pairs per kind."""

    clients: list[tuple[str, str]]
    projects: list[tuple[str, str]]
    employees: list[tuple[str, str]]
    company: bool = True

    def label(self, scope: Scope) -> str | None:
        """Return the label of ``scope`` ("Company" …), ``None`` when it is not offered."""
        if scope.kind == "company":
            return "Whole company" if self.company else None
        found = dict(getattr(self, f"{scope.kind}s"))
        return found.get(str(scope))


def scope_options(
    kinds: Iterable[str] = ("client", "project", "employee"),
    *,
    usernames: Iterable[str] | None = None,
) -> ScopeOptions:
    """Return every client, project and employee as a scope choice, for the scope
    ``kinds`` asked for (the others empty) — one query per kind.

    ``usernames``: only these employees, and neither the company, clients nor projects
    (a viewer who sees only some employees' scopes: ``dashboards.policies``).
    """
    kinds = set(kinds)
    if usernames is not None:
        kinds &= {"employee"}
    clients = projects = employees = []
    if "client" in kinds:
        rows = Client.objects.order_by("name").values_list("code", "name")
        clients = [(f"client:{code}", f"{name} ({code})") for code, name in rows]
    if "project" in kinds:
        rows = Project.objects.order_by("code").values_list("code", "name")
        projects = [(f"project:{code}", f"{code} {name}") for code, name in rows]
    if "employee" in kinds:
        rows = Employee.objects.order_by("full_name")
        if usernames is not None:
            rows = rows.filter(user__username__in=list(usernames))
        rows = rows.values_list("user__username", "full_name")
        employees = [(f"employee:{user}", name) for user, name in rows]
    return ScopeOptions(
        clients=clients, projects=projects, employees=employees, company=usernames is None
    )


# --------------------------------------------------------------------------- health pages


def client_health_records(*, client: Client) -> dict:
    """Return a client's projects (latest first) and contracts — two queries."""
    return {
        "projects": list(
            Project.objects.filter(client=client).order_by("-planned_start", "code")[:50]
        ),
        "contracts": list(Contract.objects.filter(client=client).order_by("-start_date")),
    }


def project_health_records(*, project: Project, period: Period) -> dict:
    """Return a project's progress reports, downtimes and tickets — three queries."""
    return {
        "progress": list(ProjectProgress.objects.filter(project=project).order_by("-date")[:12]),
        "downtimes": list(Downtime.objects.filter(project=project).order_by("-started_at")[:20]),
        "tickets": list(
            Ticket.objects.filter(project=project)
            .select_related("assignee")
            .order_by("-opened_at")[:20]
        ),
    }


def employee_get(*, username: str) -> Employee | None:
    """Return the employee signing in as ``username`` (with the user), or ``None``."""
    return Employee.objects.select_related("user").filter(user__username=username).first()
