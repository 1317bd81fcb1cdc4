"""How KPI values read: tone from direction and band, band text, change text (no DB)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest

from synapse.dashboards import presentation
from synapse.kpis.registry import kpi_get


@pytest.mark.parametrize(
    ("key", "value", "tone"),
    [
        # higher is better, band 35–55: inside good, above good, below bad (no bad line).
        ("project_gross_margin", D(40), "good"),
        ("project_gross_margin", D(60), "good"),
        ("project_gross_margin", D(30), "bad"),
        # CSAT ≥ 85 with "< 75 bad": 80 is a warning, 70 is bad, the edges are inclusive.
        ("csat", D(85), "good"),
        ("csat", D(80), "warn"),
        ("csat", D(75), "warn"),
        ("csat", D("74.99"), "bad"),
        # SLA ≥ 99 with "95–99 warn".
        ("sla_compliance", D(97), "warn"),
        ("sla_compliance", D(94), "bad"),
        # lower is better, ≤ 10: below is good, above bad.
        ("cost_overrun", D(-5), "good"),
        ("cost_overrun", D(12), "bad"),
        # closer to zero, −5…+5 with "worse than −10 is bad".
        ("delivery_time_variance", D(-7), "warn"),
        ("delivery_time_variance", D(-25), "bad"),
        ("delivery_time_variance", D(8), "warn"),
        # inside 75–85: either side is a warning (burnout above, idle below).
        ("billable_utilization", D(80), "good"),
        ("billable_utilization", D(90), "warn"),
        ("billable_utilization", D(60), "warn"),
        # no band: no tone.
        ("avg_project_value", D(1000), "none"),
    ],
)
def test_tone_follows_direction_band_and_bad_thresholds(key, value, tone):
    kpi = kpi_get(key)
    assert presentation.kpi_tone(kpi, value=value, band=kpi.band) == tone


def test_no_value_has_no_tone():
    kpi = kpi_get("csat")
    assert presentation.kpi_tone(kpi, value=None, band=kpi.band) == "none"


def test_tone_uses_the_band_in_force_not_the_default():
    kpi = kpi_get("project_gross_margin")
    assert presentation.kpi_tone(kpi, value=D(40), band=(D(45), D(60))) == "bad"
    assert (
        presentation.kpi_tone(replace(kpi, bad_below=D(30)), value=D(40), band=(D(45), None))
        == "warn"
    )


@pytest.mark.parametrize(
    ("band", "unit", "text"),
    [
        ((D(35), D(55)), "%", "35 to 55 %"),
        ((D(90), None), "%", "≥ 90 %"),
        ((None, D(10)), "%", "≤ 10 %"),
        ((D("0.95"), D("1.05")), "ratio", "0.95 to 1.05 ×"),
        ((D(-5), D(5)), "%", "−5 to 5 %"),
        (None, "money", ""),
    ],
)
def test_band_text(band, unit, text):
    assert presentation.band_text(band, unit) == text


@pytest.mark.parametrize(
    ("current", "previous", "unit", "text"),
    [
        (D("87.5"), D("85.1"), "%", "+2.4 pts"),
        (D(80), D("85.04"), "%", "−5.0 pts"),
        (D(12000), D(13250), "money", "−1,250"),
        (D("1.02"), D("0.97"), "ratio", "+0.05 ×"),
        (D(50), D(50), "%", "±0 pts"),
        (D(50), None, "%", ""),
    ],
)
def test_change_against_the_previous_period(current, previous, unit, text):
    assert presentation.delta_text(current, previous, unit) == text


def test_change_tone_follows_the_direction():
    assert presentation.delta_tone(kpi_get("csat"), current=D(90), previous=D(80)) == "better"
    assert presentation.delta_tone(kpi_get("cost_overrun"), current=D(9), previous=D(3)) == "worse"
    assert (
        presentation.delta_tone(kpi_get("billable_utilization"), current=D(9), previous=D(3)) == ""
    )


@pytest.mark.parametrize(
    ("status", "text"),
    [
        ("within", "✓ Within band"),
        ("above", "▲ Above band"),
        ("below", "▼ Below band"),
        ("no_data", "No data"),
        (None, "No benchmark"),
    ],
)
def test_status_is_words_and_an_icon_not_colour_alone(status, text):
    assert presentation.status_text(status) == text


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (D("85.049"), "%", "85.0"),
        (D("1234567.5"), "money", "1,234,568"),
        (D("0.891"), "ratio", "0.89"),
        (D("-2.24"), "%", "−2.2"),
        (D("-0.04"), "%", "0.0"),
        (None, "%", "—"),
    ],
)
def test_numbers_are_rounded_for_display_only(value, unit, text):
    assert presentation.number_text(value, unit) == text


def test_sample_reads_in_the_singular_and_plural():
    assert presentation.sample_text(kpi_get("project_gross_margin"), 1) == "1 project"
    assert presentation.sample_text(kpi_get("rework_rate"), 1) == "1 time entry"
    assert presentation.sample_text(kpi_get("csat"), 1200) == "1,200 responses"


@pytest.mark.parametrize(
    ("key", "size", "thin"),
    [
        ("project_gross_margin", 4, True),
        ("project_gross_margin", 5, False),
        ("csat", 29, True),
        ("csat", 30, False),
        ("mrr", 1, False),
        ("managed_services_gross_margin", 1, False),
        ("billable_utilization", 1, False),
    ],
)
def test_thin_data_thresholds(key, size, thin):
    assert presentation.sample_is_thin(kpi_get(key), size) is thin
