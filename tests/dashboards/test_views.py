"""The executive pages: permissions, full pages and HTMX partials, KPI keys, live fallback."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from synapse.kpis.models import KpiSnapshot
from synapse.kpis.registry import kpis_all, kpis_for_scope_kind
from tests.factories import EmployeeFactory

MARCH_Q = "?grain=month&period=2025-03-01"
HTMX = {"HX-Request": "true"}

PAGES = [
    "/dashboard/",
    "/dashboard/kpi/csat/",
    "/dashboard/client/C000/",
    "/dashboard/project/P000/",
    "/dashboard/employee/staff0/",
]


def kpi_keys(response) -> list[str]:
    return re.findall(r'data-kpi="([^"]+)"', response.content.decode())


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_sign_in(client, firm, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("role", "url"),
    [("staff", url) for url in PAGES] + [("manager", url) for url in PAGES[1:]],
)
def test_staff_and_managers_cannot_open_what_is_not_theirs(client, firm, role, url):
    # Managers open the dashboard for their team (tests/dashboards/test_who_sees.py), but
    # not a KPI without employee scope, a client, a project, or a stranger's page.
    client.force_login(EmployeeFactory(role=role).user)
    assert client.get(url).status_code == 403


def test_superuser_opens_the_dashboard(client, firm, django_user_model):
    client.force_login(
        django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-1")
    )
    assert client.get("/dashboard/" + MARCH_Q).status_code == 200


def test_dashboard_shows_every_kpi_grouped_by_area(exec_client, firm):
    response = exec_client.get("/dashboard/" + MARCH_Q)
    assert response.status_code == 200
    assert kpi_keys(response) == [kpi.key for kpi in kpis_all()]
    html = response.content.decode()
    for title in ("Delivery", "People", "Support", "Clients", "Revenue"):
        assert f">{title}</h2>" in html
    assert 'id="kpi-cards"' in html and 'aria-live="polite"' in html
    assert "<html" in html
    assert response["Vary"].count("HX-Request") == 1


def test_card_reads_value_band_status_change_and_sample(exec_client, firm):
    html = exec_client.get("/dashboard/" + MARCH_Q).content.decode()
    card = html[html.index('data-kpi="csat"') : html.index('data-kpi="nps"')]
    # Three CSAT responses in March: 4, 5, 4 → all good → 100 %.
    assert ">100.0<" in card
    assert "✓ Within band" in card and "Band ≥ 85 %" in card
    assert "n = 3 responses" in card
    assert "Only 3 responses: read with care" in card
    assert 'data-chart-source="spark-csat"' in card
    assert '<script id="spark-csat" type="application/json">' in card
    # February had no responses: no change to show.
    assert "No change to show vs Feb 2025" in card


def test_htmx_request_returns_the_cards_partial_only(exec_client, firm):
    response = exec_client.get("/dashboard/" + MARCH_Q, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="kpi-cards"')
    assert "<html" not in html and "Executive dashboard" not in html
    assert len(kpi_keys(response)) == len(kpis_all())


def test_scope_picker_narrows_to_the_kpis_of_a_client(exec_client, firm):
    response = exec_client.get("/dashboard/" + MARCH_Q + "&scope=client:C001", headers=HTMX)
    assert kpi_keys(response) == [kpi.key for kpi in kpis_for_scope_kind("client")]
    assert "client_retention" not in kpi_keys(response)
    assert 'value="client:C001" selected' in response.content.decode()


def test_employee_scope_shows_people_and_support_kpis(exec_client, firm):
    response = exec_client.get("/dashboard/" + MARCH_Q + "&scope=employee:staff1")
    keys = kpi_keys(response)
    assert "billable_utilization" in keys and "mttr_hours" in keys
    assert "mrr" not in keys


def test_period_picker_and_steppers_link_to_the_neighbours(exec_client, firm):
    html = exec_client.get("/dashboard/" + MARCH_Q).content.decode()
    assert 'href="/dashboard/?grain=month&amp;period=2025-02-01&amp;scope=company"' in html
    assert 'hx-get="/dashboard/?grain=month&amp;period=2025-04-01&amp;scope=company"' in html
    assert 'hx-push-url="true"' in html
    assert '<option value="2025-03-01" selected>Mar 2025</option>' in html
    assert 'label for="kpi-cards-scope"' in html


def test_quarter_grain_reads_the_quarter_containing_the_date(exec_client, firm):
    html = exec_client.get("/dashboard/?grain=quarter&period=2025-03-01").content.decode()
    assert "<strong>Q1 2025</strong>" in html


def test_a_period_without_snapshots_is_computed_live_and_says_so(exec_client, firm):
    KpiSnapshot.objects.filter(period_start="2025-03-01").delete()
    html = exec_client.get("/dashboard/" + MARCH_Q).content.decode()
    assert "some figures computed live" in html
    card = html[html.index('data-kpi="csat"') : html.index('data-kpi="nps"')]
    assert "computed live" in card and ">100.0<" in card


def test_the_default_period_is_the_running_month(exec_client, firm):
    html = exec_client.get("/dashboard/").content.decode()
    assert "<strong>Apr 2025</strong> · to date" in html


def test_bad_input_is_reported_and_replaced_by_the_default(exec_client, firm):
    response = exec_client.get("/dashboard/?grain=decade&period=soon&scope=galaxy:far")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Unknown period length" in html and "is not a date" in html
    assert "Unknown scope" in html
    assert "<strong>Apr 2025</strong>" in html


def test_unknown_client_scope_falls_back_to_the_company(exec_client, firm):
    html = exec_client.get("/dashboard/" + MARCH_Q + "&scope=client:NOPE").content.decode()
    assert "No such client “NOPE”" in html
    assert 'data-kpi="client_retention"' in html


def test_kpi_page_shows_definition_trend_numbers_and_records(exec_client, firm):
    response = exec_client.get("/dashboard/kpi/project_gross_margin/" + MARCH_Q)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-kpi="project_gross_margin"' in html
    assert "over projects completed in period" in html or "completed in period" in html
    assert 'data-chart-kind="trend"' in html
    assert '<script id="trend-project_gross_margin" type="application/json">' in html
    assert html.count('<tr class="selected" aria-current="true">') == 1
    assert "Projects completed in the period" in html and "3 records" in html
    for code in ("P000", "P001", "P002"):
        assert f">{code}</a>" in html
    assert "/admin/projects/project/" in html


def test_kpi_page_htmx_returns_the_detail_partial(exec_client, firm):
    response = exec_client.get("/dashboard/kpi/csat/" + MARCH_Q, headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="kpi-detail"')
    assert "<html" not in html and 'id="drilldown"' in html


def test_kpi_page_drilldown_partial_pages_the_records(exec_client, now):
    from tests.dashboards.conftest import MARCH, firm_build, snapshots_build

    firm_build(10)  # 30 time entries on projects in March
    snapshots_build([MARCH])
    url = "/dashboard/kpi/rework_rate/" + MARCH_Q
    first = exec_client.get(url).content.decode()
    assert "30 records" in first and "Page 1 of 2" in first
    response = exec_client.get(url + "&scope=company&page=2&partial=drilldown", headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="drilldown"')
    assert "Page 2 of 2" in html
    assert html.count("/admin/timesheets/timeentry/") == 5


def test_unknown_kpi_is_404(exec_client, firm):
    assert exec_client.get("/dashboard/kpi/happiness/").status_code == 404


def test_kpi_page_for_an_unsupported_scope_falls_back_to_the_company(exec_client, firm):
    html = exec_client.get("/dashboard/kpi/mrr/" + MARCH_Q + "&scope=employee:staff0").content
    assert "is not measured per employee" in html.decode()


@pytest.mark.parametrize(
    ("url", "keys"),
    [
        ("/dashboard/client/C000/", ["mrr", "sla_compliance", "csat", "nps"]),
        ("/dashboard/project/P000/", ["project_gross_margin", "cost_performance_index"]),
        ("/dashboard/employee/staff0/", ["billable_utilization", "mttr_hours"]),
    ],
)
def test_health_pages_show_their_kpis_and_htmx_partial(exec_client, firm, url, keys):
    response = exec_client.get(url + MARCH_Q)
    assert response.status_code == 200
    found = kpi_keys(response)
    assert all(key in found for key in keys)
    partial = exec_client.get(url + MARCH_Q, headers=HTMX).content.decode()
    assert partial.lstrip().startswith('<div id="health"') and "<html" not in partial


def test_client_health_lists_contracts_and_projects(exec_client, firm):
    html = exec_client.get("/dashboard/client/C000/" + MARCH_Q).content.decode()
    assert "MS-" in html and ">P000</a>" in html
    assert "5,000" in html


def test_employee_health_draws_the_utilization_trend(exec_client, firm):
    html = exec_client.get("/dashboard/employee/staff0/" + MARCH_Q).content.decode()
    assert '<script id="trend-billable_utilization" type="application/json">' in html


@pytest.mark.parametrize(
    "url", ["/dashboard/client/NOPE/", "/dashboard/project/NOPE/", "/dashboard/employee/nope/"]
)
def test_health_page_of_an_unknown_record_is_404(exec_client, firm, url):
    assert exec_client.get(url).status_code == 404


def test_kpi_page_scope_picker_offers_only_the_kpis_scopes(exec_client, firm):
    html = exec_client.get("/dashboard/kpi/csat/" + MARCH_Q + "&scope=project:P001").content
    html = html.decode()
    assert '<optgroup label="Clients">' in html and '<optgroup label="Projects">' in html
    assert '<optgroup label="Employees">' not in html
    assert 'value="project:P001" selected' in html
    assert "CSAT responses received in the period" in html and "1 record<" in html


def test_card_without_data_says_why(exec_client, firm):
    html = exec_client.get("/dashboard/" + MARCH_Q).content.decode()
    card = html[html.index('data-kpi="nps"') : html.index('data-kpi="survey_response_rate"')]
    assert "No data" in card and "No NPS responses" in card


def test_utilization_says_what_share_of_days_lack_an_approved_timesheet(exec_client, firm):
    from timesheets.models import Timesheet

    # staff0 has approved timesheets for two of March 2025's weeks (3 and 10 March):
    # 10 of its 21 working days are covered.
    staff = firm["employees"][0]
    for monday in ("2025-03-03", "2025-03-10"):
        Timesheet.objects.create(employee=staff, week_start=monday, status="approved")
    html = exec_client.get("/dashboard/employee/staff0/" + MARCH_Q).content.decode()
    card = html[html.index('data-kpi="billable_utilization"') :]
    assert "52.4 % of working days lack an approved timesheet" in card
    company = exec_client.get("/dashboard/" + MARCH_Q).content.decode()
    # Company: 3 staff × 21 working days, 10 covered → 84.1 %.
    assert "84.1 % of working days lack an approved timesheet" in company
