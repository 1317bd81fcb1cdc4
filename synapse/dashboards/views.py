"""Executive pages: the KPI dashboard, a page per KPI, and client/project/employee health.

Plain function views: parse the query, call the selectors, render. They only read, so
they answer GET and HEAD (``require_safe``: any other method is a 405). A normal request
gets the full page; an HTMX request gets the named partial of the same template.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from projects.models import Client, Project
from synapse.accounts.roles import EXECUTIVE, role_required
from synapse.dashboards import cache as page_cache
from synapse.dashboards import selectors
from synapse.kpis.drilldown import drilldown_get
from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import COMPANY, Scope, local_date
from synapse.kpis.registry import AREAS, Kpi, kpi_get, kpis_for_scope_kind
from timesheets.policies import may_see_money

AREA_TITLES = {
    "delivery": "Delivery",
    "people": "People",
    "support": "Support",
    "clients": "Clients",
    "revenue": "Revenue",
}
DIRECTION_TEXT = {
    "higher": "Higher is better",
    "lower": "Lower is better",
    "inside": "Best inside the band",
    "zero": "Closer to zero is better",
    "none": "No better direction",
}
DRILLDOWN_PAGE_SIZE = 25
CLIENT_KEYS = (
    "mrr",
    "managed_services_gross_margin",
    "sla_compliance",
    "csat",
    "nps",
    "project_gross_margin",
    "first_contact_resolution",
    "mttr_hours",
)
PROJECT_KEYS = (
    "project_gross_margin",
    "cost_performance_index",
    "cost_overrun",
    "delivery_time_variance",
    "system_downtime",
    "post_integration_ticket_ratio",
    "rework_rate",
    "csat",
)
EMPLOYEE_KEYS = (
    "billable_utilization",
    "timesheet_compliance",
    "mttr_hours",
    "first_contact_resolution",
    "rework_rate",
)


def _template(request: HttpRequest, template: str, partial: str) -> str:
    return f"{template}#{partial}" if request.htmx else template


def _params(request: HttpRequest) -> selectors.PageParams:
    return selectors.page_params(request.GET, today=local_date(timezone.now()))


def _picker_context(request: HttpRequest, params: selectors.PageParams) -> dict:
    """Return what the period picker needs: its URL, grains and period choices."""
    today = local_date(timezone.now())
    return {
        "url": request.path,
        "grains": selectors.GRAINS,
        "period_options": selectors.period_choices(params.period, today=today),
        "running": params.period.start <= today <= params.period.end,
    }


def _areas(cards: list[selectors.Card]) -> list[tuple[str, str, list[selectors.Card]]]:
    """Return ``(area, title, cards)`` in the registry's area order, empty areas left out."""
    grouped = [
        (area, AREA_TITLES[area], [c for c in cards if c.kpi.area == area]) for area in AREAS
    ]
    return [group for group in grouped if group[2]]


def _figures_as_of(cards: list[selectors.Card]) -> dict:
    """Return when the shown figures were computed and whether any was computed live."""
    stamps = [c.point.computed_at for c in cards if c.point.computed_at is not None]
    return {
        "computed_at": max(stamps) if stamps else None,
        "live": any(c.is_live for c in cards),
        "missing": all(c.point.source == "missing" for c in cards) if cards else False,
    }


def _fragment_key(
    request: HttpRequest, page: str, params: selectors.PageParams, *parts: object
) -> str | None:
    """Return the cache key of a page's fragment, or ``None`` when it must not be cached.

    Input errors are never cached (the fragment shows them, and the page falls back to
    other parameters). The key holds the version token (``page_cache.page_token``: one
    query), the path, the period, the scope and today's firm-local date.
    """
    if params.errors:
        return None
    today = local_date(timezone.now())
    return page_cache.fragment_key(
        page, request.path, params.grain, params.period.start, params.scope, today, *parts
    )


def _cards_render(
    request: HttpRequest, params: selectors.PageParams, *, gap: object
) -> tuple[str, bool]:
    """Render the dashboard's cards region; return it and whether it may be cached.

    ``gap`` is the timesheet gap already computed for ``params.scope`` (the scope may
    still fall back to the company here, which computes it again).
    """
    options = selectors.scope_options()
    errors = list(params.errors)
    if options.label(params.scope) is None:
        errors.append(f"No such {params.scope.kind} “{params.scope.key}”: showing the company.")
        params = selectors.PageParams(params.period, COMPANY, params.errors)
        gap = _timesheet_gap(params, timezone.now())
    now = timezone.now()
    cards = selectors.kpi_cards(period=params.period, scope=params.scope, as_of=now)
    selectors.card_notes(cards, timesheet_gap=gap)
    as_of = _figures_as_of(cards)
    context = {
        "params": params,
        "errors": errors,
        "options": options,
        "scope_label": options.label(params.scope),
        "areas": _areas(cards),
        "cards": cards,
        "as_of": as_of,
        **_picker_context(request, params),
    }
    html = render_to_string("dashboards/_kpi_cards.html", context)
    # Not only the shown point: a previous period without snapshots is computed live for
    # the change and the sparkline, and records changing it do not change the token.
    live = any(point.source == "live" for card in cards for point in card.series)
    return html, not errors and not live


def _timesheet_gap(params: selectors.PageParams, now: object, token: str | None = None) -> object:
    """Return the utilization card's timesheet gap for the page (``None`` without one).

    The approved weeks are read live on every request (timesheets, not snapshots), so
    the gap is part of the cards' cache key rather than cached. Its working days read
    only holidays and employees, which the version token ``token`` covers
    (``synapse.dashboards.cache``): with a token they are cached under it, keyed also by
    the period, the scope and today's firm-local date (a running period counts up to
    today).
    """
    if "billable_utilization" not in {k.key for k in kpis_for_scope_kind(params.scope.kind)}:
        return None
    period, scope = params.period, params.scope
    if scope.kind not in {"company", "employee"} or period.start > local_date(now):
        return None
    working_days = key = None
    if token is not None:
        today = local_date(now)
        key = page_cache.fragment_key("workdays", token, period.start, period.end, scope, today)
        working_days = page_cache.fragment_get(key)
    if working_days is None:
        working_days = selectors.timesheet_working_days(period=period, scope=scope, as_of=now)
        if key is not None:
            page_cache.fragment_set(key, working_days)
    return selectors.timesheet_gap_share(
        period=period, scope=scope, as_of=now, working_days=working_days
    )


@require_safe
@role_required(EXECUTIVE)
@vary_on_headers("HX-Request")
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show every KPI as a card for the chosen period and scope.

    The cards region is cached as HTML (``synapse.dashboards.cache``) under the page's
    version token and the live timesheet gap (whose working days are cached under the
    token too); the role check above runs first.
    """
    params = _params(request)
    key = html = None
    if params.errors:
        gap = _timesheet_gap(params, timezone.now())
    else:
        token = page_cache.page_token()
        gap = _timesheet_gap(params, timezone.now(), token)
        key = _fragment_key(request, "cards", params, token, gap)
        html = page_cache.fragment_get(key)
    if html is None:
        html, cacheable = _cards_render(request, params, gap=gap)
        if cacheable and key is not None:
            page_cache.fragment_set(key, html)
    context = {"cards_html": mark_safe(html)}  # our own rendered template
    return render(request, _template(request, "dashboards/dashboard.html", "kpi-cards"), context)


def _kpi_detail_render(
    request: HttpRequest, kpi: Kpi, params: selectors.PageParams
) -> tuple[dict, selectors.PageParams, bool]:
    """Render a KPI page's pickers, current value, trend and numbers.

    Return ``({"html", "band_text"}, params, cacheable)``: the parameters after any
    fallback to the company, and whether the fragment may be cached (no input error,
    no point computed live).
    """
    errors = list(params.errors)
    if params.scope.kind not in kpi.scopes:
        errors.append(f"{kpi.label} is not measured per {params.scope.kind}: showing the company.")
        params = selectors.PageParams(params.period, COMPANY, params.errors)
    options = selectors.scope_options(kinds=kpi.scopes)
    if options.label(params.scope) is None:
        errors.append(f"No such {params.scope.kind} “{params.scope.key}”: showing the company.")
        params = selectors.PageParams(params.period, COMPANY, params.errors)
    card = selectors.kpi_cards(
        period=params.period,
        scope=params.scope,
        keys=[kpi.key],
        history=selectors.TREND_PERIODS,
        as_of=timezone.now(),
    )[0]
    context = {
        "kpi": kpi,
        "card": card,
        "params": params,
        "errors": errors,
        "rows": list(reversed(card.series)),
        "options": options,
        "scope_label": options.label(params.scope),
        **_picker_context(request, params),
    }
    entry = {
        "html": render_to_string("dashboards/_kpi_detail_main.html", context),
        "band_text": card.band_text,
    }
    live = any(point.source == "live" for point in card.series)
    return entry, params, not errors and not live


@require_safe
@role_required(EXECUTIVE)
@vary_on_headers("HX-Request")
def kpi_detail(request: HttpRequest, key: str) -> HttpResponse:
    """Show one KPI: definition, 24-period trend with its band, numbers, drill-down.

    Everything but the drill-down is cached as HTML (``synapse.dashboards.cache``)
    under the page's version token; the drill-down lists the records live.
    """
    try:
        kpi = kpi_get(key)
    except KeyError as exc:
        raise Http404(f"No KPI {key!r}") from exc
    params = _params(request)
    cache_key = entry = None
    if not params.errors and params.scope.kind in kpi.scopes:
        cache_key = _fragment_key(request, f"kpi:{key}", params, page_cache.page_token())
        entry = page_cache.fragment_get(cache_key)
    if entry is None:
        entry, params, cacheable = _kpi_detail_render(request, kpi, params)
        if cacheable and cache_key is not None:
            page_cache.fragment_set(cache_key, entry)
    now = timezone.now()
    records = None
    page = None
    records_for = drilldown_get(key)
    if records_for is not None and params.period.start <= local_date(now):
        ctx = KpiContext(
            period=params.period,
            as_of=now,
            kinds=frozenset({params.scope.kind}),
            only=params.scope,
        )
        records = records_for(ctx).for_viewer(sees_money=may_see_money(request.user))
        page = Paginator(records.queryset, DRILLDOWN_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "kpi": kpi,
        "params": params,
        "detail_html": mark_safe(entry["html"]),  # our own rendered template
        "band_text": entry["band_text"],
        "records": records,
        "page": page,
        "url": request.path,
        "direction_text": DIRECTION_TEXT[kpi.direction],
    }
    partial = request.GET.get("partial") == "drilldown" and request.htmx
    name = "drilldown" if partial else "kpi-detail"
    return render(request, _template(request, "dashboards/kpi_detail.html", name), context)


def _health_context(
    request: HttpRequest, scope: Scope, keys: tuple[str, ...]
) -> tuple[selectors.PageParams, dict]:
    params = _params(request)
    params = selectors.PageParams(params.period, scope, params.errors)
    now = timezone.now()
    cards = selectors.kpi_cards(period=params.period, scope=scope, keys=keys, as_of=now)
    gap = None
    if "billable_utilization" in keys:
        gap = selectors.timesheet_gap_share(period=params.period, scope=scope, as_of=now)
    selectors.card_notes(cards, timesheet_gap=gap)
    return params, {
        "params": params,
        "errors": list(params.errors),
        "cards": cards,
        "as_of": _figures_as_of(cards),
        **_picker_context(request, params),
    }


@require_safe
@role_required(EXECUTIVE)
@vary_on_headers("HX-Request")
def client_health(request: HttpRequest, code: str) -> HttpResponse:
    """Show a client's health: MRR, margin, SLA, CSAT/NPS, its projects and contracts."""
    client = get_object_or_404(Client, code=code)
    params, context = _health_context(request, Scope("client", client.code), CLIENT_KEYS)
    context.update(
        client=client,
        title=client.name,
        subtitle=f"Client {client.code} · since {client.became_client_on:%d %b %Y}",
        **selectors.client_health_records(client=client),
    )
    return render(request, _template(request, "dashboards/health.html", "health"), context)


@require_safe
@role_required(EXECUTIVE)
@vary_on_headers("HX-Request")
def project_health(request: HttpRequest, code: str) -> HttpResponse:
    """Show a project's health: margin, CPI, progress, downtime, post-integration tickets."""
    project = get_object_or_404(Project.objects.select_related("client"), code=code)
    params, context = _health_context(request, Scope("project", project.code), PROJECT_KEYS)
    records = selectors.project_health_records(project=project, period=params.period)
    context.update(
        project=project,
        title=f"{project.code} {project.name}",
        subtitle=f"{project.client.name} · {project.get_status_display()}",
        latest_progress=records["progress"][0] if records["progress"] else None,
        **records,
    )
    return render(request, _template(request, "dashboards/health.html", "health"), context)


@require_safe
@role_required(EXECUTIVE)
@vary_on_headers("HX-Request")
def employee_health(request: HttpRequest, username: str) -> HttpResponse:
    """Show an employee's utilization trend, compliance, MTTR and first-contact resolution."""
    employee = selectors.employee_get(username=username)
    if employee is None:
        raise Http404(f"No employee {username!r}")
    scope = Scope("employee", username)
    params, context = _health_context(request, scope, EMPLOYEE_KEYS)
    context.update(
        employee=employee,
        title=employee.full_name,
        subtitle=f"{employee.get_role_display()} · {username}",
        utilization=next((c for c in context["cards"] if c.key == "billable_utilization"), None),
    )
    return render(request, _template(request, "dashboards/health.html", "health"), context)
