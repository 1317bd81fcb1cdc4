"""Each executive page runs a fixed number of queries whatever the size of the data."""

from __future__ import annotations

import pytest

from synapse.kpis.periods import Period
from tests.dashboards.conftest import MARCH, firm_build, snapshots_build

Q = "?grain=month&period=2025-03-01"

# Every page starts with: session, user, the user's employee (role check).
AUTH = 3
PAGES = [
    # + scope picker (clients, projects, employees), snapshots of all cards × 12 months,
    # bands, utilization's timesheet gap (holidays, leave, employees, holidays, weeks).
    ("/dashboard/" + Q, AUTH + 3 + 2 + 5),
    # + scope picker (the kinds the KPI supports: CSAT clients and projects; rework
    # also employees), snapshots × 24 months, bands, drill-down count, drill-down page.
    ("/dashboard/kpi/csat/" + Q, AUTH + 2 + 2 + 2),
    ("/dashboard/kpi/rework_rate/" + Q, AUTH + 3 + 2 + 2),
    # + client, snapshots, bands, its projects, its contracts.
    ("/dashboard/client/C000/" + Q, AUTH + 1 + 2 + 2),
    # + project, snapshots, bands, progress, downtime, tickets.
    ("/dashboard/project/P000/" + Q, AUTH + 1 + 2 + 3),
    # + employee, snapshots, bands, utilization's timesheet gap (five, as above).
    ("/dashboard/employee/staff0/" + Q, AUTH + 1 + 2 + 5),
]


@pytest.mark.parametrize("size", [2, 12])
@pytest.mark.parametrize(("url", "queries"), PAGES)
def test_page_query_count_does_not_grow_with_data(
    exec_client, now, django_assert_num_queries, size, url, queries
):
    firm_build(size)
    snapshots_build([Period.month(2025, 2), MARCH])
    with django_assert_num_queries(queries):
        response = exec_client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("size", [2, 12])
def test_live_fallback_query_count_does_not_grow_with_data(
    exec_client, now, django_assert_num_queries, size
):
    # No snapshots at all: March and February are computed live by the engine, the same
    # 21 grouped queries per period for all company KPIs (bands included; inputs shared
    # through the context's memo), never one per client, project or record.
    firm_build(size)
    with django_assert_num_queries(AUTH + 3 + 2 + 5 + 2 * 21):
        response = exec_client.get("/dashboard/" + Q)
    assert b"some figures computed live" in response.content
