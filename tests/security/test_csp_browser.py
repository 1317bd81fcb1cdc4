"""In Chromium: the CSP blocks nothing on the pages (htmx, Chart.js and the grid still work)."""

from __future__ import annotations

import re

import pytest

from synapse.kpis.periods import Period
from tests.dashboards.conftest import MARCH, firm_build, snapshots_build
from tests.factories import EmployeeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "board-room-2025"
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", e => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def test_pages_run_under_the_csp_without_violations(browser_page):
    firm_build(4)
    snapshots_build([Period.month(2025, 2), MARCH, Period.month(2025, 4)])
    user = EmployeeFactory(role="executive", user__username="exec").user
    user.set_password(PASSWORD)
    user.save()
    page = browser_page
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda m: console.append(m.text))

    page.goto("/accounts/login/")
    assert page.evaluate("window.__csp") == []
    page.get_by_label("Username").fill("exec")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/dashboard/$"))

    page.goto("/dashboard/?grain=month&period=2025-03-01&scope=company")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas'))")
    # An HTMX swap (the period picker) under the policy.
    page.goto("/dashboard/?grain=quarter&period=2025-01-01&scope=company")
    page.wait_for_function("() => window.htmx !== undefined")
    for url in ("/timesheet/", "/tickets/"):
        page.goto(url)
        assert page.evaluate("window.__csp") == [], url
    assert not [text for text in console if "Content Security Policy" in text]

    # The API docs: Swagger UI starts from a same-origin script (no inline script).
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert [v for v in page.evaluate("window.__csp") if v.startswith("script-src")] == []
