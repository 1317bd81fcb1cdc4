"""A snapshot run gathers some KPI inputs once for all its periods (``KpiContext.summed``
and ``batched``): on a generated firm with every kind of record, each period's values in
a run are exactly those of the period computed alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from synapse.bench.generator import FirmGenerator
from synapse.kpis.engine import RunBatch, bands_in_force, kpis_compute_all_scopes
from synapse.kpis.periods import local_midnight
from synapse.kpis.snapshots import backfill_periods, snapshot_kpis
from tests.bench.firms import SMALL_FIRM


@pytest.mark.django_db
def test_each_period_of_a_run_is_the_period_computed_alone(tmp_path: Path) -> None:
    generator = FirmGenerator(SMALL_FIRM)
    generator.write()
    generator.refresh_derived()
    generator.write_time_entries(tmp_path / "time_entries.csv")
    call_command("import_data", str(tmp_path), verbosity=0)
    # A clock inside the last month: the running week, month, quarter and year count up
    # to it.
    as_of = local_midnight(dt.date(2025, 3, 20)) + dt.timedelta(hours=15)
    periods = backfill_periods(start=SMALL_FIRM.start, end=SMALL_FIRM.end, today=as_of.date())
    bands = bands_in_force()
    batch = RunBatch(periods=periods)

    def values(period, batch):
        keys = [kpi.key for kpi in snapshot_kpis(grain=period.grain)]
        found = kpis_compute_all_scopes(
            period=period, as_of=as_of, keys=keys, bands=bands, batch=batch
        )
        return {(v.kpi.key, v.scope): v.result for v in found}

    together = {period: values(period, batch) for period in periods}
    with_data = 0
    for period in periods:
        alone = values(period, None)
        assert together[period] == alone, period
        with_data += sum(1 for result in alone.values() if result.value is not None)
    # The firm gives real values of the batched inputs' KPIs.
    keys = {key for found in together.values() for (key, _), r in found.items() if r.value}
    assert {"billable_utilization", "timesheet_compliance", "csat", "nps"} <= keys
    assert "survey_response_rate" in keys
    assert with_data > 500
    # … with fewer statements: the batched inputs are read once, not once per period.
    with CaptureQueriesContext(connection) as run_queries:
        batch = RunBatch(periods=periods)
        for period in periods:
            values(period, batch)
    with CaptureQueriesContext(connection) as alone_queries:
        for period in periods:
            values(period, None)
    assert len(run_queries) * 1.5 < len(alone_queries)
