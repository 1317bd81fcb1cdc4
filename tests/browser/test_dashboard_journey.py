"""An executive's morning in a real browser: sign in, switch period and scope through
HTMX, open a KPI, drill down, and come back with the browser's Back button."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from synapse.kpis.periods import Period
from synapse.kpis.registry import kpis_all, kpis_for_scope_kind
from tests.dashboards.conftest import MARCH, firm_build, snapshots_build
from tests.factories import EmployeeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "board-room-2025"


@pytest.fixture
def firm_with_exec():
    """Create the firm with February to April 2025 stored, and the executive ``exec``."""
    firm_build(4)
    snapshots_build([Period.month(2025, 2), MARCH, Period.month(2025, 4)])
    user = EmployeeFactory(role="executive", full_name="Erin Exec", user__username="exec").user
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("exec")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/dashboard/$"))


def cards(page) -> list[str]:
    return page.locator("[data-kpi]").evaluate_all("els => els.map(e => e.dataset.kpi)")


def chart_drawn(page, source: str) -> bool:
    """Whether the sparkline of ``source`` is drawn, waiting up to 5 s for it.

    htmx draws charts on its ``load`` event, which fires after the settle delay that
    follows a swap: the new cards are in the page a moment before their charts are.
    """
    try:
        page.wait_for_function(
            "s => !!(window.Chart"
            " && Chart.getChart(document.querySelector(`canvas[data-chart-source='${s}']`)))",
            arg=source,
            timeout=5000,
        )
    except PlaywrightTimeout:
        return False
    return True


def test_executive_switches_period_and_scope_then_drills_down(
    browser_page, firm_with_exec, artifacts
):
    page = browser_page
    sign_in(page)
    assert page.get_by_role("heading", name="Executive dashboard").is_visible()

    page.goto("/dashboard/?grain=month&period=2025-03-01&scope=company")
    assert cards(page) == [kpi.key for kpi in kpis_all()]
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas'))")
    assert chart_drawn(page, "spark-csat")
    # A marker on window survives HTMX swaps and dies with a full page load.
    page.evaluate("window.__noReload = true")
    march_csat = page.locator('[data-kpi="csat"] .value').inner_text()

    # Next period through the stepper: the URL is pushed, the cards change in place.
    page.locator("#kpi-cards-next").click()
    page.wait_for_url(re.compile(r"period=2025-04-01"))
    page.locator(".as-of strong", has_text="Apr 2025").wait_for()
    assert page.evaluate("window.__noReload") is True
    assert page.locator('[data-kpi="csat"] .value').inner_text() != march_csat
    assert chart_drawn(page, "spark-csat")

    # Period picker back to March, then the scope picker to a client.
    page.get_by_label("Period", exact=True).select_option("2025-03-01")
    page.wait_for_url(re.compile(r"period=2025-03-01"))
    # The swap replaces the pickers too: pick the scope only once it has settled.
    page.locator(".as-of strong", has_text="Mar 2025").wait_for()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')"
    )
    page.get_by_label("Scope", exact=True).select_option("client:C001")
    page.wait_for_url(re.compile(r"scope=client%3AC001"))
    page.locator(".as-of", has_text="Client 1").wait_for()
    assert cards(page) == [kpi.key for kpi in kpis_for_scope_kind("client")]
    assert page.evaluate("window.__noReload") is True
    page.screenshot(path=str(artifacts / "dashboard-client.png"), full_page=True)

    # Back returns to the company view of March (HTMX history), still without a reload.
    page.go_back()
    page.wait_for_url(re.compile(r"scope=company"))
    page.locator('[data-kpi="client_retention"]').wait_for()

    # Open a KPI page from its card, then drill into another period through the table.
    page.goto("/dashboard/?grain=month&period=2025-03-01&scope=company")
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
    page.locator('[data-kpi="project_gross_margin"] h3 a').click()
    page.wait_for_url(re.compile(r"/dashboard/kpi/project_gross_margin/"))
    page.wait_for_function(
        "() => window.Chart && Chart.getChart("
        "document.querySelector('canvas[data-chart-kind=trend]'))"
    )
    drill = page.locator("#drilldown")
    assert "Projects completed in the period" in drill.inner_text()
    assert drill.locator("tbody tr").count() == 4
    assert (
        drill.get_by_role("link", name="P000")
        .get_attribute("href")
        .startswith("/admin/projects/project/")
    )
    page.screenshot(path=str(artifacts / "kpi-page.png"), full_page=True)

    page.evaluate("window.__noReload = true")
    page.get_by_role("link", name="Feb 2025", exact=True).first.click()
    page.wait_for_url(re.compile(r"period=2025-02-01"))
    page.locator("#drilldown", has_text="No records behind this value").wait_for()
    assert page.evaluate("window.__noReload") is True


def test_dashboard_reads_well_on_a_phone(chromium, live_server, firm_with_exec, artifacts):
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url, is_mobile=True
    )
    page = context.new_page()
    try:
        sign_in(page)
        page.goto("/dashboard/?grain=month&period=2025-03-01")
        page.wait_for_function(
            "() => window.Chart && Chart.getChart(document.querySelector('canvas'))"
        )
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the dashboard scrolls sideways on a phone"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.screenshot(path=str(artifacts / "dashboard-phone.png"), full_page=False)
    finally:
        context.close()
