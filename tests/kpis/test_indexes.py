"""Indexes the KPI gathers rely on at scale (docs/performance.md, EXPLAIN in the migrations)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Sum

from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import SCOPE_KINDS, Period
from tests.schema import index_sql
from timesheets.models import TimeEntry

pytestmark = pytest.mark.django_db


def test_billable_entries_have_a_partial_date_index_covering_employee_and_hours():
    sql = index_sql("entry_billable_date_idx")
    assert "timesheets_timeentry" in sql
    if connection.vendor == "postgresql":
        assert "(date) INCLUDE (employee_id, hours) WHERE billable" in sql
    else:  # SQLite has no INCLUDE: a partial index on the date
        assert sql.endswith('("date") WHERE "billable"')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN of PostgreSQL")
def test_utilization_reads_the_billable_hours_from_the_index_alone():
    ctx = KpiContext(
        period=Period.year(2024),
        as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        kinds=frozenset(SCOPE_KINDS),
    )
    with connection.cursor() as cursor:
        # The test table is tiny and its statistics depend on the tests before: make the
        # planner cost it as the big one it stands for, and take away the two composite
        # indexes that a tiny table's statistics can make look as cheap (the test's
        # transaction rolls the DROP back).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        # A test table is never vacuumed (empty visibility map): earlier tests' rows and
        # statistics can make a plain index scan of the same index look cheaper. What is
        # checked is that the index alone can answer: only an index-only scan is left.
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("DROP INDEX entry_date_employee_idx, entry_employee_date_idx")
        sql, params = (
            TimeEntry.objects.filter(date__gte=ctx.start, date__lte=ctx.end, billable=True)
            .values("employee_id")
            .annotate(billable=Sum("hours"))
            .order_by()
            .query.sql_with_params()
        )
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The shape of billable_hours_by_employee's scan (its joins add username and role).
    assert "Index Only Scan using entry_billable_date_idx" in plan, plan
