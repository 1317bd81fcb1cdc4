"""The ticket indexes the support KPIs read (EXPLAIN in support/migrations/0006)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from support.selectors import resolved_ticket_totals, sla_decided_totals
from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import SCOPE_KINDS, Period
from tests.factories import TicketFactory
from tests.schema import index_sql

pytestmark = pytest.mark.django_db


def test_resolved_and_decided_moments_have_indexes_covering_the_kpi_inputs():
    resolved = index_sql("ticket_resolved_cover_idx")
    decided = index_sql("ticket_decided_cover_idx")
    if connection.vendor == "postgresql":
        assert resolved.endswith(
            "(resolved_at) INCLUDE (opened_at, priority, client_id, assignee_id, "
            "first_contact_resolved, escalated)"
        )
        assert decided.endswith("(sla_decided_at) INCLUDE (client_id, sla_met)")
    else:  # SQLite has no INCLUDE: a plain index on the moment
        assert resolved.endswith('("resolved_at")')
        assert decided.endswith('("sla_decided_at")')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN of PostgreSQL")
def test_support_kpi_inputs_are_read_from_the_indexes_alone():
    TicketFactory(
        opened_at=dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC),
        resolved_at=dt.datetime(2024, 3, 1, 11, tzinfo=dt.UTC),
    )
    ctx = KpiContext(
        period=Period.year(2024),
        as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        kinds=frozenset(SCOPE_KINDS),
    )
    with CaptureQueriesContext(connection) as captured:
        resolved_ticket_totals(ctx)
        sla_decided_totals(ctx)
    scans = [q["sql"] for q in captured.captured_queries if 'FROM "support_ticket"' in q["sql"]]
    assert len(scans) == 3  # per (client, priority), per (assignee, priority), decided
    plans = []
    with connection.cursor() as cursor:
        # The test table is tiny: make the planner cost it as the big one it stands for.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        for sql in scans:
            cursor.execute("EXPLAIN " + sql)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    assert "Index Only Scan using ticket_resolved_cover_idx" in plans[0]
    assert "Index Only Scan using ticket_resolved_cover_idx" in plans[1]
    assert "Index Only Scan using ticket_decided_cover_idx" in plans[2]
