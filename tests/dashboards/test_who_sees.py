"""Who sees which dashboard: staff their own numbers, managers their team, no money below
executives (``synapse.dashboards.policies``)."""

from __future__ import annotations

import re

import pytest

from synapse.dashboards.policies import kpi_is_money
from synapse.kpis.periods import Period
from synapse.kpis.registry import kpis_all
from tests.dashboards.conftest import MARCH, firm_build, snapshots_build
from tests.factories import EmployeeFactory
from timesheets.models import Employee

MARCH_Q = "?grain=month&period=2025-03-01"
HTMX = {"HX-Request": "true"}
#: The KPIs of one's own numbers: measured per employee, not money.
OWN_KEYS = [k.key for k in kpis_all() if "employee" in k.scopes and not kpi_is_money(k)]


def kpi_keys(response) -> list[str]:
    return re.findall(r'data-kpi="([^"]+)"', response.content.decode())


def scope_values(response) -> list[str]:
    return re.findall(
        r'<option value="((?:company|client|project|employee)[^"]*)"', (response.content.decode())
    )


@pytest.fixture
def team(firm):
    """Return a manager whose direct reports are staff0 and staff1 (staff2 is not)."""
    manager = EmployeeFactory(role="manager", user__username="boss", full_name="Bea Boss")
    Employee.objects.filter(user__username__in=["staff0", "staff1"]).update(manager=manager)
    return manager


def test_money_kpis_are_the_ones_the_policy_names():
    money = {k.key for k in kpis_all() if kpi_is_money(k)}
    assert {"mrr", "project_gross_margin", "cost_performance_index", "clv_cac_ratio"} <= money
    assert not money & {"billable_utilization", "rework_rate", "csat", "mttr_hours"}


# --------------------------------------------------------------------------- staff


def test_staff_see_their_own_numbers_of_the_last_complete_month(client, firm):
    client.force_login(firm["employees"][0].user)
    response = client.get("/dashboard/me/")
    assert response.status_code == 200
    assert kpi_keys(response) == OWN_KEYS
    html = response.content.decode()
    assert "<strong>Mar 2025</strong>" in html and "Staff 0" in html
    assert 'href="/dashboard/me/"' in html  # the nav links it
    assert not any(kpi_is_money(k) for k in kpis_all() if k.key in kpi_keys(response))


def test_my_numbers_take_the_period_picker_and_answer_htmx(client, firm):
    client.force_login(firm["employees"][0].user)
    response = client.get("/dashboard/me/?grain=month&period=2025-02-01", headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="my-numbers"' in html and "<strong>Feb 2025</strong>" in html


def test_my_numbers_ignore_a_scope_in_the_url(client, firm):
    client.force_login(firm["employees"][0].user)
    html = client.get("/dashboard/me/" + MARCH_Q + "&scope=employee:staff1").content.decode()
    assert "Staff 0" in html and "Staff 1" not in html


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/",
        "/dashboard/kpi/mrr/",
        "/dashboard/kpi/rework_rate/" + MARCH_Q + "&scope=employee:staff1",
        "/dashboard/kpi/rework_rate/" + MARCH_Q + "&scope=company",
        "/dashboard/employee/staff0/",
    ],
)
def test_staff_are_refused_everything_but_their_own(client, firm, url):
    client.force_login(firm["employees"][0].user)
    assert client.get(url).status_code == 403


def test_staff_open_a_kpi_page_of_their_own_scope(client, firm):
    client.force_login(firm["employees"][0].user)
    response = client.get("/dashboard/kpi/rework_rate/" + MARCH_Q)
    html = response.content.decode()
    assert response.status_code == 200
    assert scope_values(response) == ["employee:staff0"]
    assert '<a href="/dashboard/me/' in html  # the breadcrumb leads back to My numbers


def test_an_account_without_an_employee_record_has_no_numbers(client, firm, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))
    assert client.get("/dashboard/me/").status_code == 403


# --------------------------------------------------------------------------- managers


def test_a_managers_dashboard_offers_exactly_them_and_their_reports(client, team):
    client.force_login(team.user)
    response = client.get("/dashboard/" + MARCH_Q)
    assert response.status_code == 200
    assert sorted(scope_values(response)) == ["employee:boss", "employee:staff0", "employee:staff1"]
    assert "Whole company" not in response.content.decode()
    assert 'value="employee:boss" selected' in response.content.decode()  # their own first
    keys = kpi_keys(response)
    assert keys and set(keys) <= set(OWN_KEYS)


def test_a_manager_picks_a_report_by_htmx(client, team):
    client.force_login(team.user)
    response = client.get("/dashboard/" + MARCH_Q + "&scope=employee:staff1", headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'value="employee:staff1" selected' in html
    assert kpi_keys(response) == OWN_KEYS


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/" + MARCH_Q + "&scope=company",
        "/dashboard/" + MARCH_Q + "&scope=client:C000",
        "/dashboard/" + MARCH_Q + "&scope=project:P000",
        "/dashboard/" + MARCH_Q + "&scope=employee:staff2",
        "/dashboard/" + MARCH_Q + "&scope=employee:nobody",
        "/dashboard/" + MARCH_Q + "&scope=not-a-scope",
        "/dashboard/kpi/mrr/" + MARCH_Q,
        "/dashboard/kpi/project_gross_margin/" + MARCH_Q,
        "/dashboard/kpi/csat/" + MARCH_Q,
        "/dashboard/kpi/rework_rate/" + MARCH_Q + "&scope=company",
        "/dashboard/kpi/rework_rate/" + MARCH_Q + "&scope=employee:staff2",
        "/dashboard/employee/staff2/",
        "/dashboard/employee/nobody/",
        "/dashboard/client/C000/",
        "/dashboard/project/P000/",
    ],
)
def test_a_manager_is_refused_company_money_and_strangers(client, team, url):
    client.force_login(team.user)
    assert client.get(url).status_code == 403
    assert client.get(url, headers=HTMX).status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/kpi/rework_rate/" + MARCH_Q,
        "/dashboard/kpi/billable_utilization/" + MARCH_Q + "&scope=employee:staff0",
        "/dashboard/employee/staff1/" + MARCH_Q,
        "/dashboard/employee/boss/" + MARCH_Q,
        "/dashboard/me/",
    ],
)
def test_a_manager_opens_their_own_and_their_reports_pages(client, team, url):
    client.force_login(team.user)
    assert client.get(url).status_code == 200


def test_a_managers_kpi_page_offers_only_their_team(client, team):
    client.force_login(team.user)
    response = client.get("/dashboard/kpi/rework_rate/" + MARCH_Q + "&scope=employee:staff0")
    assert sorted(scope_values(response)) == ["employee:boss", "employee:staff0", "employee:staff1"]


def test_a_managers_drilldown_lists_only_the_scope_asked_for(client, team):
    client.force_login(team.user)
    url = "/dashboard/kpi/rework_rate/" + MARCH_Q + "&scope=employee:staff0"
    html = client.get(url).content.decode()
    drilldown = html[html.index('id="drilldown"') :]
    assert "Staff 0" in drilldown
    assert "Staff 1" not in drilldown and "Staff 2" not in drilldown


def test_a_manager_and_an_executive_never_share_a_cached_fragment(client, exec_client, team):
    assert "Whole company" in exec_client.get("/dashboard/" + MARCH_Q).content.decode()
    client.force_login(team.user)
    html = client.get("/dashboard/" + MARCH_Q + "&scope=employee:staff0").content.decode()
    assert "Whole company" not in html and 'data-kpi="mrr"' not in html


# --------------------------------------------------------------------------- executives


def test_executives_still_see_every_kpi_and_scope(exec_client, team):
    response = exec_client.get("/dashboard/" + MARCH_Q)
    assert kpi_keys(response) == [k.key for k in kpis_all()]
    values = scope_values(response)
    assert "company" in values and "client:C000" in values and "employee:staff2" in values
    assert exec_client.get("/dashboard/employee/staff2/" + MARCH_Q).status_code == 200
    assert exec_client.get("/dashboard/kpi/mrr/" + MARCH_Q).status_code == 200


# --------------------------------------------------------------------------- queries

# The session and the user with their employee record; the stored points of every card
# (12 months, one query); the bands; utilization's timesheet gap (holidays, employees,
# approved weeks).
MY_NUMBERS_QUERIES = 2 + 1 + 1 + 3


@pytest.mark.parametrize("size", [2, 12])
def test_my_numbers_query_count_does_not_grow_with_data(
    client, db, now, django_assert_num_queries, size
):
    made = firm_build(size)
    snapshots_build([Period.month(2025, 2), MARCH])
    client.force_login(made["employees"][0].user)
    with django_assert_num_queries(MY_NUMBERS_QUERIES):
        response = client.get("/dashboard/me/")
    assert response.status_code == 200
    assert "computed live" not in response.content.decode()


# A manager's dashboard: the session and the user; the employees they see (the policy);
# the cache token; the timesheet gap (holidays, employees, approved weeks); the scope
# picker (their employees only); the snapshots of the cards; the bands.
MANAGER_DASHBOARD_QUERIES = 2 + 1 + 1 + 3 + 1 + 1 + 1


@pytest.mark.parametrize("size", [2, 12])
def test_a_managers_dashboard_query_count_does_not_grow_with_data(
    client, db, now, django_assert_num_queries, size
):
    made = firm_build(size)
    snapshots_build([Period.month(2025, 2), MARCH])
    manager = EmployeeFactory(role="manager", user__username="boss")
    Employee.objects.filter(pk__in=[e.pk for e in made["employees"]]).update(manager=manager)
    client.force_login(manager.user)
    with django_assert_num_queries(MANAGER_DASHBOARD_QUERIES):
        response = client.get("/dashboard/" + MARCH_Q + "&scope=employee:staff1")
    assert response.status_code == 200
    assert len(scope_values(response)) == size + 1
