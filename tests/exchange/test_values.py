"""Cell values of the CSV format: parsing is strict, formatting is canonical and round-trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings

from synapse.exchange.schemas import LEAVE, TIME_ENTRIES
from synapse.values import (
    format_value,
    parse_boolean,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_month,
)
from timesheets.forms import parse_hours


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("FALSE", False), ("1", True), ("0", False), ("yes", True), ("No", False)],
)
def test_booleans_accept_true_false_one_zero_yes_no(text, value):
    assert parse_boolean(text) is value


@pytest.mark.parametrize("text", ["y", "2", "truthy", "on"])
def test_other_booleans_are_refused(text):
    with pytest.raises(ValueError, match="not a boolean"):
        parse_boolean(text)


@pytest.mark.parametrize(
    ("text", "value"), [("6", Decimal(6)), ("7.50", Decimal("7.5")), ("-3.25", Decimal("-3.25"))]
)
def test_decimals_use_a_point(text, value):
    assert parse_decimal(text) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [("7,5", "not a decimal"), ("1e3", "not a decimal"), ("abc", "not a decimal")],
)
def test_bad_decimals_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        parse_decimal(text)


def test_a_decimal_finer_than_a_cent_is_refused_not_rounded():
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        parse_decimal("10.005")


@pytest.mark.parametrize("text", ["2025-02-30", "03/02/2025", "20250203", "2025-W06-1"])
def test_dates_are_yyyy_mm_dd_only(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_a_month_is_its_first_day():
    assert parse_month("2025-02") == dt.date(2025, 2, 1)
    with pytest.raises(ValueError):
        parse_month("2025-13")


@override_settings(TIME_ZONE="Europe/Berlin")
def test_a_datetime_without_offset_is_firm_local_time():
    moment = parse_datetime("2025-02-03T09:30:00")
    assert moment == dt.datetime(2025, 2, 3, 8, 30, tzinfo=dt.UTC)


def test_a_datetime_with_z_or_offset_keeps_its_instant():
    assert parse_datetime("2025-02-03T09:30:00Z") == dt.datetime(2025, 2, 3, 9, 30, tzinfo=dt.UTC)
    assert parse_datetime("2025-02-03T09:30:00+02:00") == dt.datetime(
        2025, 2, 3, 7, 30, tzinfo=dt.UTC
    )


def test_a_date_alone_is_not_a_datetime():
    with pytest.raises(ValueError, match="not a datetime"):
        parse_datetime("2025-02-03")


def test_canonical_formats():
    assert format_value(Decimal("50"), parse_decimal) == "50.00"
    assert format_value(True, parse_boolean) == "true"
    assert format_value(None, parse_date) == ""
    assert format_value(dt.date(2025, 1, 1), parse_month) == "2025-01"
    berlin = dt.datetime.fromisoformat("2025-02-03T09:30:00+01:00")
    assert format_value(berlin, parse_datetime) == "2025-02-03T08:30:00Z"
    assert parse_datetime(format_value(berlin, parse_datetime)) == berlin


def test_the_timesheet_form_parses_hours_as_the_import_does():
    assert TIME_ENTRIES.by_name["hours"].parse is parse_hours
    assert LEAVE.by_name["hours"].parse is parse_hours
