"""KPI pages: the dashboard, a page per KPI, client/project/employee health, My numbers.

Plain function views: parse the query, call the selectors, render. They only read, so
they answer GET and HEAD (``require_safe``: any other method is a 405). A normal request
gets the full page; an HTMX request gets the named partial of the same template.

Which KPIs and scopes a user sees is ``synapse.dashboards.policies`` (read once per
request as a ``Reach``): executives and superusers everything; managers their own and
their direct reports' employee scopes, staff their own, neither any money KPI. A scope
asked for that the user may not see is a 403; none asked is their default scope.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from projects.models import Client, Project
from synapse.accounts.roles import EXECUTIVE, MANAGER, STAFF, role_required
from synapse.dashboards import cache as page_cache
from synapse.dashboards import policies, selectors
from synapse.kpis.drilldown import drilldown_get
from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import COMPANY, Scope, local_date
from synapse.kpis.registry import AREAS, Kpi, kpi_get, kpis_for_scope_kind

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


SCOPE_DENIED = "You may see the numbers of yourself and your direct reports only."
KPI_DENIED = "This KPI is not one your role may see."
NO_EMPLOYEE = "Your account has no employee record, so it has no numbers of its own."


def _template(request: HttpRequest, template: str, partial: str) -> str:
    return f"{template}#{partial}" if request.htmx else template


def _params(request: HttpRequest) -> selectors.PageParams:
    return selectors.page_params(request.GET, today=local_date(timezone.now()))


def _visible_params(
    request: HttpRequest, reach: policies.Reach, *, kinds: frozenset[str] | None = None
) -> selectors.PageParams:
    """Return the page's parameters with a scope ``reach`` may see.

    Those who see every scope get the parameters as asked. For the others no scope
    asked means their own employee scope (when the page offers employee scopes,
    ``kinds``); a scope they may not see — the company, a client, a project, someone
    else's employee scope, or a scope that does not parse — is refused with a 403.
    """
    params = _params(request)
    if reach.every_scope:
        return params
    if request.GET.get("scope"):
        if not reach.scope_allowed(params.scope):
            raise PermissionDenied(SCOPE_DENIED)
        return params
    if reach.own is None or (kinds is not None and "employee" not in kinds):
        raise PermissionDenied(SCOPE_DENIED)
    return selectors.PageParams(params.period, reach.own, params.errors)


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
    request: HttpRequest, params: selectors.PageParams, *, gap: object, reach: policies.Reach
) -> tuple[str, bool]:
    """Render the dashboard's cards region; return it and whether it may be cached.

    ``gap`` is the timesheet gap already computed for ``params.scope`` (the scope may
    still fall back to the company here, which computes it again). Only the KPIs and
    scopes ``reach`` may see are shown and offered.
    """
    options = selectors.scope_options(usernames=reach.usernames)
    errors = list(params.errors)
    if options.label(params.scope) is None and not reach.every_scope:
        raise PermissionDenied(SCOPE_DENIED)  # never the company fallback below
    if options.label(params.scope) is None:
        errors.append(f"No such {params.scope.kind} “{params.scope.key}”: showing the company.")
        params = selectors.PageParams(params.period, COMPANY, params.errors)
        gap = _timesheet_gap(params, timezone.now())
    now = timezone.now()
    keys = [kpi.key for kpi in reach.kpis()]
    cards = selectors.kpi_cards(period=params.period, scope=params.scope, keys=keys, as_of=now)
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
@role_required(MANAGER, EXECUTIVE)
@vary_on_headers("HX-Request")
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show every KPI the user may see as a card for the chosen period and scope.

    Executives: every KPI and scope. Managers: their own and their direct reports'
    employee scopes (their own by default), no money KPI.

    The cards region is cached as HTML (``synapse.dashboards.cache``) under the page's
    version token, the viewer's reach and the live timesheet gap (whose working days are
    cached under the token too); the role and scope checks run first.
    """
    reach = policies.reach_for(request.user)
    params = _visible_params(request, reach)
    key = html = None
    if params.errors:
        gap = _timesheet_gap(params, timezone.now())
    else:
        token = page_cache.page_token()
        gap = _timesheet_gap(params, timezone.now(), token)
        key = _fragment_key(request, "cards", params, token, gap, reach.cache_part())
        html = page_cache.fragment_get(key)
    if html is None:
        html, cacheable = _cards_render(request, params, gap=gap, reach=reach)
        if cacheable and key is not None:
            page_cache.fragment_set(key, html)
    context = {
        "cards_html": mark_safe(html),  # our own rendered template
        "every_scope": reach.every_scope,
    }
    return render(request, _template(request, "dashboards/dashboard.html", "kpi-cards"), context)


def _kpi_detail_render(
    request: HttpRequest, kpi: Kpi, params: selectors.PageParams, reach: policies.Reach
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
    options = selectors.scope_options(kinds=kpi.scopes, usernames=reach.usernames)
    if options.label(params.scope) is None and not reach.every_scope:
        raise PermissionDenied(SCOPE_DENIED)  # never the company fallback below
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
@role_required(STAFF, MANAGER, EXECUTIVE)
@vary_on_headers("HX-Request")
def kpi_detail(request: HttpRequest, key: str) -> HttpResponse:
    """Show one KPI: definition, 24-period trend with its band, numbers, drill-down.

    Executives: every KPI and scope. Managers and staff: KPIs measured per employee
    and not money, for the employee scopes they may see (their own by default).

    Everything but the drill-down is cached as HTML (``synapse.dashboards.cache``)
    under the page's version token and the viewer's reach; the drill-down lists the
    records live.
    """
    try:
        kpi = kpi_get(key)
    except KeyError as exc:
        raise Http404(f"No KPI {key!r}") from exc
    reach = policies.reach_for(request.user)
    if not reach.kpi_allowed(kpi):
        raise PermissionDenied(KPI_DENIED)
    params = _visible_params(request, reach, kinds=kpi.scopes)
    cache_key = entry = None
    if not params.errors and params.scope.kind in kpi.scopes:
        token = page_cache.page_token()
        cache_key = _fragment_key(request, f"kpi:{key}", params, token, reach.cache_part())
        entry = page_cache.fragment_get(cache_key)
    if entry is None:
        entry, params, cacheable = _kpi_detail_render(request, kpi, params, reach)
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
        records = records_for(ctx).for_viewer(sees_money=reach.money)
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
        **_back_link(request),
    }
    partial = request.GET.get("partial") == "drilldown" and request.htmx
    name = "drilldown" if partial else "kpi-detail"
    return render(request, _template(request, "dashboards/kpi_detail.html", name), context)


def _back_link(request: HttpRequest) -> dict[str, str]:
    """Return where a KPI page's breadcrumb leads back to: the dashboard, or My numbers
    for staff (who have no dashboard)."""
    if policies.has_dashboard(request.user):
        return {"back_url": reverse("dashboards:dashboard"), "back_label": "Dashboard"}
    return {"back_url": reverse("dashboards:me"), "back_label": "My numbers"}


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
@role_required(MANAGER, EXECUTIVE)
@vary_on_headers("HX-Request")
def employee_health(request: HttpRequest, username: str) -> HttpResponse:
    """Show an employee's utilization trend, compliance, MTTR and first-contact resolution.

    Executives: anyone's; managers: their own and their direct reports' (others are a
    403, whether or not they exist).
    """
    reach = policies.reach_for(request.user)
    scope = Scope("employee", username)
    if not reach.scope_allowed(scope):
        raise PermissionDenied(SCOPE_DENIED)
    employee = selectors.employee_get(username=username)
    if employee is None:
        raise Http404(f"No employee {username!r}")
    keys = tuple(key for key in EMPLOYEE_KEYS if reach.kpi_allowed(kpi_get(key)))
    params, context = _health_context(request, scope, keys)
    context.update(
        employee=employee,
        title=employee.full_name,
        subtitle=f"{employee.get_role_display()} · {username}",
        utilization=next((c for c in context["cards"] if c.key == "billable_utilization"), None),
    )
    return render(request, _template(request, "dashboards/health.html", "health"), context)


@require_safe
@role_required(STAFF, MANAGER, EXECUTIVE)
@vary_on_headers("HX-Request")
def my_numbers(request: HttpRequest) -> HttpResponse:
    """Show the signed-in employee's own KPIs: every one measured per employee that is
    not money, for the last complete month by default (or the period picked).

    Read from snapshots like the dashboard (``selectors.kpi_cards``), with the timesheet
    gap under utilization: a fixed number of queries. Not cached: it is one person's.
    """
    scope = policies.own_scope(request.user)
    if scope is None:
        raise PermissionDenied(NO_EMPLOYEE)
    params = _params(request)
    period = params.period if request.GET.get("period") else params.period.previous()
    params = selectors.PageParams(period, scope, params.errors)
    now = timezone.now()
    keys = [k.key for k in policies.kpis_for(request.user) if policies.kpi_is_own(k)]
    cards = selectors.kpi_cards(period=period, scope=scope, keys=keys, as_of=now)
    gap = selectors.timesheet_gap_share(period=period, scope=scope, as_of=now)
    selectors.card_notes(cards, timesheet_gap=gap)
    context = {
        "params": params,
        "errors": list(params.errors),
        "areas": _areas(cards),
        "cards": cards,
        "as_of": _figures_as_of(cards),
        "scope_label": request.user.employee.full_name,
        **_picker_context(request, params),
    }
    return render(request, _template(request, "dashboards/me.html", "my-numbers"), context)
