"""Each executive page runs a fixed number of queries whatever the size of the data."""

from __future__ import annotations

import pytest

from synapse.kpis.periods import Period
from tests.dashboards.conftest import MARCH, firm_build, snapshots_build

Q = "?grain=month&period=2025-03-01"

# Every page starts with: the session, then the user with their employee record (one
# query: synapse.security.backends.ModelBackend.get_user), which the role check reads.
AUTH = 2
# The dashboard and KPI pages read their cache version token (synapse.dashboards.cache).
TOKEN = 1
# Utilization's timesheet gap, live on every dashboard request of the company or an
# employee: holidays, employees, approved weeks. The dashboard caches the working days
# (holidays, employees) under its version token: on a warm request only the approved
# weeks are read (GAP_WARM).
GAP = 3
GAP_WARM = 1
PAGES = [
    # First request (cache miss): + token, gap, scope picker (clients, projects,
    # employees), snapshots of all cards × 12 months, bands.
    ("/dashboard/" + Q, AUTH + TOKEN + GAP + 3 + 2),
    # + token, scope picker (the kinds the KPI supports: CSAT clients and projects; rework
    # also employees), snapshots × 24 months, bands, drill-down count, drill-down page.
    ("/dashboard/kpi/csat/" + Q, AUTH + TOKEN + 2 + 2 + 2),
    ("/dashboard/kpi/rework_rate/" + Q, AUTH + TOKEN + 3 + 2 + 2),
    # + client, snapshots, bands, its projects, its contracts.
    ("/dashboard/client/C000/" + Q, AUTH + 1 + 2 + 2),
    # + project, snapshots, bands, progress, downtime, tickets.
    ("/dashboard/project/P000/" + Q, AUTH + 1 + 2 + 3),
    # + employee, snapshots, bands, utilization's timesheet gap (as above).
    ("/dashboard/employee/staff0/" + Q, AUTH + 1 + 2 + GAP),
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
    # A live figure is never cached: the second request computes again (only the gap's
    # working days come from the cache).
    for gap in (GAP, GAP_WARM):
        with django_assert_num_queries(AUTH + TOKEN + gap + 3 + 2 + 2 * 21):
            response = exec_client.get("/dashboard/" + Q)
        assert b"some figures computed live" in response.content


CACHED_PAGES = [
    # Second request (cache hit): the token and what is live — the timesheet gap's
    # approved weeks on the dashboard, the drill-down (count and page) on a KPI page.
    ("/dashboard/" + Q, AUTH + TOKEN + GAP_WARM),
    ("/dashboard/" + Q + "&scope=client:C001", AUTH + TOKEN),
    ("/dashboard/kpi/csat/" + Q, AUTH + TOKEN + 2),
    ("/dashboard/kpi/rework_rate/" + Q, AUTH + TOKEN + 2),
]


@pytest.mark.parametrize("size", [2, 12])
@pytest.mark.parametrize(("url", "queries"), CACHED_PAGES)
def test_cached_page_query_count_does_not_grow_with_data(
    exec_client, now, django_assert_num_queries, size, url, queries
):
    firm_build(size)
    snapshots_build([Period.month(2025, 2), MARCH])
    first = exec_client.get(url)
    with django_assert_num_queries(queries):
        second = exec_client.get(url)
    assert second.status_code == 200
    # The same page (the CSRF token in <body> is masked afresh on every request).
    main = second.content.decode().index("<main")
    assert second.content.decode()[main:] == first.content.decode()[main:]
