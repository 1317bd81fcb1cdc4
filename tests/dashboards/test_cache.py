"""Cached fragments of the executive pages: hits, invalidation, permissions, what stays live."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse

from projects.models import Client
from support.models import Ticket
from synapse.dashboards import cache as page_cache
from synapse.dashboards import selectors
from synapse.kpis.engine import KpiContext
from synapse.kpis.models import KpiBand
from synapse.kpis.periods import COMPANY, Period, Scope
from synapse.kpis.snapshots import snapshots_backfill
from tests.dashboards.conftest import MARCH, NOW
from tests.factories import (
    ClientFactory,
    EmployeeFactory,
    HolidayFactory,
    LeaveFactory,
    TicketFactory,
)
from timesheets import selectors as time_selectors
from timesheets.models import Employee, Holiday, Timesheet

Q = "?grain=month&period=2025-03-01"
HTMX = {"HX-Request": "true"}
DASHBOARD = "/dashboard/" + Q
KPI_PAGE = "/dashboard/kpi/sla_compliance/" + Q


def card_of(html: str, key: str) -> str:
    start = html.index(f'data-kpi="{key}"')
    return html[start : html.index("</article>", start)]


def renders():
    """Patch the selector that builds the cards and return the mock counting its calls."""
    return mock.patch.object(selectors, "kpi_cards", wraps=selectors.kpi_cards)


def test_second_request_is_served_from_the_cache_without_rendering(exec_client, firm):
    with renders() as kpi_cards:
        first = exec_client.get(DASHBOARD, headers=HTMX).content
        second = exec_client.get(DASHBOARD, headers=HTMX).content
        kpi_page = [exec_client.get(KPI_PAGE, headers=HTMX).content for _ in range(2)]
    assert kpi_cards.call_count == 2  # once for the dashboard, once for the KPI page
    assert second == first
    assert kpi_page[0] == kpi_page[1]


def test_cards_with_a_previous_period_computed_live_are_not_cached(exec_client, firm):
    from synapse.kpis.models import KpiSnapshot

    deleted, _ = KpiSnapshot.objects.filter(
        grain="month", period_start=dt.date(2025, 2, 1), scope_kind="company"
    ).delete()
    assert deleted
    with renders() as kpi_cards:
        exec_client.get(DASHBOARD, headers=HTMX)
        exec_client.get(DASHBOARD, headers=HTMX)
    # February (the change and the sparkline's last-but-one point) is computed live.
    assert kpi_cards.call_count == 2


def test_each_period_scope_and_grain_has_its_own_fragment(exec_client, firm):
    march = exec_client.get(DASHBOARD, headers=HTMX).content.decode()
    february = exec_client.get("/dashboard/?grain=month&period=2025-02-01", headers=HTMX)
    client = exec_client.get(DASHBOARD + "&scope=client:C001", headers=HTMX).content.decode()
    quarter = exec_client.get("/dashboard/?grain=quarter&period=2025-03-01", headers=HTMX)
    assert "<strong>Mar 2025</strong>" in march
    assert "<strong>Feb 2025</strong>" in february.content.decode()
    assert 'value="client:C001" selected' in client and "client_retention" not in client
    assert "<strong>Q1 2025</strong>" in quarter.content.decode()


def test_a_snapshot_rewrite_shows_on_the_next_request(exec_client, firm, now):
    before = card_of(exec_client.get(DASHBOARD).content.decode(), "sla_compliance")
    kpi_before = exec_client.get(KPI_PAGE).content.decode()
    assert "No data" in before
    # A ticket decided in March, then the snapshot job recomputes March (a run).
    TicketFactory(
        client=firm["clients"][0],
        opened_at=dt.datetime(2025, 3, 11, 9, 0, tzinfo=dt.UTC),
        first_response_at=dt.datetime(2025, 3, 11, 9, 10, tzinfo=dt.UTC),
        resolved_at=dt.datetime(2025, 3, 11, 10, 0, tzinfo=dt.UTC),
        status=Ticket.Status.RESOLVED,
    )
    from support.services import tickets_sla_refresh

    tickets_sla_refresh(Ticket.objects.all())
    assert Ticket.objects.filter(sla_decided_at__isnull=False).exists()
    cached = card_of(exec_client.get(DASHBOARD).content.decode(), "sla_compliance")
    assert cached == before  # no run yet: the stored snapshot still says "no data"
    snapshots_backfill(start=MARCH.start, end=MARCH.end, as_of=NOW)
    after = card_of(exec_client.get(DASHBOARD).content.decode(), "sla_compliance")
    assert "No data" not in after and "n = " in after
    kpi_after = exec_client.get(KPI_PAGE).content.decode()
    assert kpi_after != kpi_before


def test_a_band_edit_shows_on_the_next_request(exec_client, firm):
    # May 2025 has not started: its cards are "not computed yet" with the band in force.
    url = "/dashboard/?grain=month&period=2025-05-01"
    assert "Band ≥ 85 %" in card_of(exec_client.get(url).content.decode(), "csat")
    band = KpiBand.objects.get(key="csat")
    band.low = Decimal("90")
    band.save()
    assert "Band ≥ 90 %" in card_of(exec_client.get(url).content.decode(), "csat")


def test_a_new_or_renamed_client_shows_in_the_picker_on_the_next_request(exec_client, firm):
    assert "Zeta Works" not in exec_client.get(DASHBOARD).content.decode()
    ClientFactory(code="C900", name="Zeta Works")
    html = exec_client.get(DASHBOARD).content.decode()
    assert '<option value="client:C900">Zeta Works (C900)</option>' in html
    Client.objects.filter(code="C900").update(name="Zeta Renamed")  # no signal, no save()
    html = exec_client.get(DASHBOARD).content.decode()
    assert "Zeta Renamed (C900)" in html and "Zeta Works" not in html
    kpi = exec_client.get("/dashboard/kpi/csat/" + Q).content.decode()
    assert "Zeta Renamed (C900)" in kpi


def test_a_scope_added_after_a_cached_error_page_is_found(exec_client, firm):
    missing = exec_client.get(DASHBOARD + "&scope=client:C900").content.decode()
    assert "No such client “C900”" in missing
    ClientFactory(code="C900", name="Zeta Works")
    found = exec_client.get(DASHBOARD + "&scope=client:C900").content.decode()
    assert "No such client" not in found and 'value="client:C900" selected' in found


@pytest.mark.parametrize("url", [DASHBOARD, KPI_PAGE])
def test_permissions_are_checked_before_the_cache(client, exec_client, firm, url):
    assert exec_client.get(url).status_code == 200  # the fragment is now cached
    client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    client.force_login(EmployeeFactory(role="staff").user)
    assert client.get(url).status_code == 403
    # A manager opens the dashboard, scoped to themselves: never the executive fragment.
    client.force_login(EmployeeFactory(role="manager").user)
    response = client.get(url)
    if url == DASHBOARD:
        assert response.status_code == 200
        assert "Whole company" not in response.content.decode()
        assert 'data-kpi="mrr"' not in response.content.decode()
    else:
        assert response.status_code == 403


def test_nothing_per_user_is_shared_through_the_cache(client, firm):
    executives = [
        EmployeeFactory(role="executive", full_name=name, user__first_name=name)
        for name in ("Erin Exec", "Otto Other")
    ]
    pages = []
    for executive in executives:
        client.force_login(executive.user)
        pages.append(client.get(DASHBOARD).content.decode())
    who = [page.split('<span class="who">')[1].split("</span>")[0] for page in pages]
    assert "Erin Exec" in who[0] and "Otto Other" in who[1]
    tokens = [page.split('"X-CSRFToken": "')[1].split('"')[0] for page in pages]
    assert tokens[0] != tokens[1]
    cards = [page[page.index('<div id="kpi-cards"') :] for page in pages]
    assert cards[0] == cards[1]


def test_the_timesheet_gap_stays_live(exec_client, firm):
    note = "% of working days lack an approved timesheet"
    before = card_of(exec_client.get(DASHBOARD).content.decode(), "billable_utilization")
    assert f"100.0 {note}" in before
    Timesheet.objects.create(
        employee=firm["employees"][0], week_start="2025-03-03", status="approved"
    )
    after = card_of(exec_client.get(DASHBOARD).content.decode(), "billable_utilization")
    # 3 staff × 21 working days, 5 now covered → 92.1 %.
    assert f"92.1 {note}" in after


def test_the_gap_s_cached_working_days_follow_employments_roles_and_holidays(exec_client, firm):
    # The dashboard caches the gap's working days under the version token: a change of
    # employment dates, role or holidays (bulk updates: no signal, no save()) changes the
    # token, so the next request counts them afresh.
    note = "% of working days lack an approved timesheet"

    def gap_text() -> str:
        return card_of(exec_client.get(DASHBOARD).content.decode(), "billable_utilization")

    staff = firm["employees"]
    Timesheet.objects.create(employee=staff[0], week_start="2025-03-03", status="approved")
    assert f"92.1 {note}" in gap_text()  # 3 staff × 21 working days, 5 covered
    Employee.objects.filter(pk=staff[1].pk).update(employed_until=dt.date(2025, 3, 14))
    assert f"90.4 {note}" in gap_text()  # 21 + 10 + 21 = 52 days, 5 covered
    Holiday.objects.bulk_create([Holiday(date=dt.date(2025, 3, 20), name="Thursday off")])
    assert f"90.0 {note}" in gap_text()  # 20 + 10 + 20 = 50
    Employee.objects.filter(pk=staff[2].pk).update(role="executive")
    assert f"83.3 {note}" in gap_text()  # 20 + 10 = 30 (executives do not count)


def test_the_drilldown_stays_live(exec_client, firm):
    assert "1 record" not in exec_client.get(KPI_PAGE).content.decode()
    TicketFactory(
        client=firm["clients"][0],
        opened_at=dt.datetime(2025, 3, 11, 9, 0, tzinfo=dt.UTC),
        resolved_at=dt.datetime(2025, 3, 11, 10, 0, tzinfo=dt.UTC),
        status=Ticket.Status.RESOLVED,
        sla_decided_at=dt.datetime(2025, 3, 11, 10, 0, tzinfo=dt.UTC),
        sla_met=True,
    )
    html = exec_client.get(KPI_PAGE).content.decode()
    assert "· 1 record<" in html


def test_a_cache_failure_renders_the_page(exec_client, firm):
    with (
        mock.patch.object(page_cache.cache, "get", side_effect=ConnectionError("down")),
        mock.patch.object(page_cache.cache, "set", side_effect=ConnectionError("down")),
    ):
        response = exec_client.get(DASHBOARD)
    assert response.status_code == 200 and 'data-kpi="csat"' in response.content.decode()


def test_the_token_changes_with_runs_bands_and_names(db, now):
    first = page_cache.page_token()
    assert page_cache.page_token() == first
    client = ClientFactory(code="C1", name="One")
    second = page_cache.page_token()
    assert second != first
    Client.objects.filter(pk=client.pk).update(name="Uno")
    third = page_cache.page_token()
    assert third != second
    KpiBand.objects.filter(key="csat").update(low=Decimal("90"))  # no signal, no save()
    fourth = page_cache.page_token()
    assert fourth != third
    snapshots_backfill(start=MARCH.start, end=MARCH.start, keys=["csat"], as_of=NOW)
    assert page_cache.page_token() != fourth


def test_timesheet_gap_counts_the_working_days_of_utilization(db, now):
    # Holidays, leave and an employment starting mid-month: the gap's working days are
    # those of utilization's available hours (timesheets.selectors.employees_days).
    staff = EmployeeFactory(role="staff", user__username="s1", employed_from=dt.date(2020, 1, 1))
    late = EmployeeFactory(role="manager", user__username="s2", employed_from=dt.date(2025, 3, 17))
    EmployeeFactory(role="executive", user__username="boss", employed_from=dt.date(2020, 1, 1))
    HolidayFactory(date=dt.date(2025, 3, 14))
    HolidayFactory(date=dt.date(2025, 3, 15))  # a Saturday: not a working day anyway
    LeaveFactory(employee=staff, date=dt.date(2025, 3, 20), hours=Decimal(8))
    Timesheet.objects.create(employee=late, week_start=dt.date(2025, 3, 17), status="approved")
    for scope, employee in ((COMPANY, None), (Scope("employee", "s2"), late)):
        ctx = KpiContext(period=MARCH, as_of=NOW, kinds=frozenset({scope.kind}), only=scope)
        people = [
            p
            for p in time_selectors.employees_days(ctx).values()
            if p.counts_for_company or employee is not None
        ]
        expected = sum(p.working_days for p in people)
        gap = selectors.timesheet_gap_share(period=MARCH, scope=scope, as_of=NOW)
        assert gap == (Decimal(expected) - 5) / Decimal(expected) * 100
    # March 2025: 21 weekdays less the holiday on Friday 14th = 20 for s1; s2 from the
    # 17th: 11. Company: 31 days, 5 covered.
    assert selectors.timesheet_gap_share(period=MARCH, scope=COMPANY, as_of=NOW) == (
        Decimal(26) / Decimal(31) * 100
    )
    assert (
        selectors.timesheet_gap_share(period=Period.month(2025, 6), scope=COMPANY, as_of=NOW)
        is None
    )


def _settings_in_a_child(**env: str) -> list[str]:
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.CACHES['default']['BACKEND']); print(settings.SESSION_ENGINE)"
    )
    result = subprocess.run(  # our own interpreter and settings
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "synapse.settings", **env},
    )
    return result.stdout.split()


def test_the_cache_comes_from_the_environment():
    assert _settings_in_a_child(SYNAPSE_CACHE_URL="") == [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.contrib.sessions.backends.db",
    ]
    assert _settings_in_a_child(SYNAPSE_CACHE_URL="redis://127.0.0.1:6379/1") == [
        "django.core.cache.backends.redis.RedisCache",
        "django.contrib.sessions.backends.db",
    ]


def test_fragments_live_in_their_own_bounded_cache(exec_client, firm):
    from django.core.cache import caches

    exec_client.get(DASHBOARD, headers=HTMX)
    # Local-memory caches keep their entries in ``_cache``: the fragments never crowd the
    # default cache (survey rate-limit counters).
    assert len(caches["dashboards"]._cache) >= 1
    assert len(caches["default"]._cache) == 0
    assert caches["dashboards"]._max_entries == 200
