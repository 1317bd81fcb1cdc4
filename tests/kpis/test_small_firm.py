"""The spec's example firm: imported through import_data, every expected value via kpi_report."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from tests.paths import SMALL_FIRM

pytestmark = pytest.mark.django_db


def test_small_firm_example_gives_every_expected_kpi_value():
    expected = json.loads((SMALL_FIRM / "expected.json").read_text())
    call_command("import_data", str(SMALL_FIRM), stdout=io.StringIO(), stderr=io.StringIO())
    start, end = expected["period"]
    out = io.StringIO()
    call_command(
        "kpi_report", "--start", start, "--end", end, "--scope", expected["scope"], stdout=out
    )
    report = json.loads(out.getvalue())

    assert report["start"] == start and report["end"] == end
    actual = {key: report["kpis"][key]["value"] for key in expected["values"]}
    # kpi_report rounds to 4 decimals, as expected.json is written.
    assert actual == expected["values"]
