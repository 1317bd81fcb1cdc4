"""The SLA clock (support.sla): table-driven, no database."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from support.sla import (
    SlaCalendar,
    add_working_minutes,
    close_pauses,
    merge_pauses,
    working_minutes_between,
)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
UTC = dt.UTC


def local(text: str, tz: dt.tzinfo = BERLIN) -> dt.datetime:
    """Return the aware datetime of wall-clock ``text`` in ``tz``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


def utc(text: str) -> dt.datetime:
    return local(text, UTC)


BERLIN_BUSINESS = SlaCalendar.business(tz=BERLIN)
NY_BUSINESS = SlaCalendar.business(tz=NEW_YORK)
CHRISTMAS = SlaCalendar.business(tz=BERLIN, holidays=[dt.date(2024, 12, 25), dt.date(2024, 12, 26)])
ALWAYS = SlaCalendar.always()


@pytest.mark.parametrize(
    ("case", "calendar", "start", "minutes", "expected"),
    [
        ("same day", BERLIN_BUSINESS, local("2025-02-03 10:00"), 120, local("2025-02-03 12:00")),
        (
            "eight hours spill",
            BERLIN_BUSINESS,
            local("2025-02-03 10:00"),
            480,
            local("2025-02-04 10:00"),
        ),
        (
            "ends exactly at close",
            BERLIN_BUSINESS,
            local("2025-02-07 08:00"),
            480,
            local("2025-02-07 17:00"),
        ),
        (
            "opened after hours starts next morning",
            BERLIN_BUSINESS,
            local("2025-02-03 18:00"),
            60,
            local("2025-02-04 10:00"),
        ),
        (
            "opened before hours starts at 09:00",
            BERLIN_BUSINESS,
            local("2025-02-03 06:30"),
            30,
            local("2025-02-03 09:30"),
        ),
        (
            "opened on a Saturday",
            BERLIN_BUSINESS,
            local("2025-02-08 12:00"),
            60,
            local("2025-02-10 10:00"),
        ),
        (
            "Friday into Monday",
            BERLIN_BUSINESS,
            local("2025-02-07 16:00"),
            240,
            local("2025-02-10 12:00"),
        ),
        ("holidays skipped", CHRISTMAS, local("2024-12-24 16:00"), 120, local("2024-12-27 10:00")),
        (
            "opened on a holiday",
            CHRISTMAS,
            local("2024-12-25 10:00"),
            60,
            local("2024-12-27 10:00"),
        ),
        # DST: business hours are local wall-clock hours on both sides of the change.
        (
            "Berlin spring forward",
            BERLIN_BUSINESS,
            local("2025-03-28 16:00"),
            480,
            utc("2025-03-31 14:00"),
        ),
        (
            "Berlin fall back",
            BERLIN_BUSINESS,
            local("2025-10-24 16:00"),
            480,
            utc("2025-10-27 15:00"),
        ),
        (
            "New York spring forward",
            NY_BUSINESS,
            local("2025-03-07 16:00", NEW_YORK),
            480,
            utc("2025-03-10 20:00"),
        ),
        (
            "New York fall back",
            NY_BUSINESS,
            local("2025-10-31 16:00", NEW_YORK),
            480,
            utc("2025-11-03 21:00"),
        ),
        # 24×7 counts elapsed hours: the local clock skips or repeats an hour.
        ("24x7 plain", ALWAYS, utc("2025-02-08 12:00"), 240, utc("2025-02-08 16:00")),
        (
            "24x7 Berlin spring forward",
            ALWAYS,
            local("2025-03-29 23:00"),
            240,
            local("2025-03-30 04:00"),
        ),
        # 02:00 happens twice that night; four hours after 23:00 CEST is the second one,
        # 02:00 CET (written in UTC: Python never equates an ambiguous local time).
        ("24x7 Berlin fall back", ALWAYS, local("2025-10-25 23:00"), 240, utc("2025-10-26 01:00")),
    ],
)
def test_add_working_minutes(case, calendar, start, minutes, expected):
    assert add_working_minutes(calendar, start, minutes) == expected, case


def test_local_results_read_back_as_local_wall_clock():
    due = add_working_minutes(BERLIN_BUSINESS, local("2025-03-28 16:00"), 480)
    assert due.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M %Z") == "2025-03-31 16:00 CEST"
    due = add_working_minutes(BERLIN_BUSINESS, local("2025-10-24 16:00"), 480)
    assert due.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M %Z") == "2025-10-27 16:00 CET"


@pytest.mark.parametrize(
    ("case", "calendar", "start", "end", "pauses", "minutes"),
    [
        (
            "same day",
            BERLIN_BUSINESS,
            local("2025-02-03 10:00"),
            local("2025-02-03 12:00"),
            [],
            120,
        ),
        (
            "empty span",
            BERLIN_BUSINESS,
            local("2025-02-03 12:00"),
            local("2025-02-03 10:00"),
            [],
            0,
        ),
        (
            "weekend skipped",
            BERLIN_BUSINESS,
            local("2025-02-07 16:00"),
            local("2025-02-10 10:00"),
            [],
            120,
        ),
        (
            "opened before hours",
            BERLIN_BUSINESS,
            local("2025-02-03 06:00"),
            local("2025-02-03 10:00"),
            [],
            60,
        ),
        (
            "all outside hours",
            BERLIN_BUSINESS,
            local("2025-02-03 18:00"),
            local("2025-02-04 08:00"),
            [],
            0,
        ),
        (
            "holidays skipped",
            CHRISTMAS,
            local("2024-12-24 16:00"),
            local("2024-12-27 10:00"),
            [],
            120,
        ),
        (
            "Berlin spring week-end, business",
            BERLIN_BUSINESS,
            local("2025-03-28 09:00"),
            local("2025-03-31 17:00"),
            [],
            960,
        ),
        (
            "Berlin fall week-end, business",
            BERLIN_BUSINESS,
            local("2025-10-24 09:00"),
            local("2025-10-27 17:00"),
            [],
            960,
        ),
        (
            "Berlin spring week-end, 24x7 (one hour short)",
            ALWAYS,
            local("2025-03-28 09:00"),
            local("2025-03-31 17:00"),
            [],
            79 * 60,
        ),
        (
            "Berlin fall week-end, 24x7 (one hour long)",
            ALWAYS,
            local("2025-10-24 09:00"),
            local("2025-10-27 17:00"),
            [],
            81 * 60,
        ),
        (
            "New York spring, business",
            NY_BUSINESS,
            local("2025-03-07 09:00", NEW_YORK),
            local("2025-03-10 17:00", NEW_YORK),
            [],
            960,
        ),
        (
            "New York fall, business",
            NY_BUSINESS,
            local("2025-10-31 09:00", NEW_YORK),
            local("2025-11-03 17:00", NEW_YORK),
            [],
            960,
        ),
        (
            "pause across the night",
            BERLIN_BUSINESS,
            local("2025-02-03 10:00"),
            local("2025-02-05 10:00"),
            [(local("2025-02-03 16:00"), local("2025-02-04 11:00"))],
            780,
        ),
        (
            "pause over a weekend, business",
            BERLIN_BUSINESS,
            local("2025-02-07 15:00"),
            local("2025-02-10 12:00"),
            [(local("2025-02-07 16:00"), local("2025-02-10 10:00"))],
            180,
        ),
        (
            "pause over a weekend, 24x7",
            ALWAYS,
            local("2025-02-07 15:00"),
            local("2025-02-10 12:00"),
            [(local("2025-02-07 16:00"), local("2025-02-10 10:00"))],
            180,
        ),
        (
            "overlapping pauses count once",
            ALWAYS,
            utc("2025-02-03 10:00"),
            utc("2025-02-03 20:00"),
            [
                (utc("2025-02-03 11:00"), utc("2025-02-03 13:00")),
                (utc("2025-02-03 12:00"), utc("2025-02-03 14:00")),
            ],
            420,
        ),
        (
            "pause before opening ignored",
            ALWAYS,
            utc("2025-02-03 10:00"),
            utc("2025-02-03 12:00"),
            [(utc("2025-02-03 08:00"), utc("2025-02-03 09:00"))],
            120,
        ),
        (
            "open pause stops the clock",
            ALWAYS,
            utc("2025-02-03 10:00"),
            utc("2025-02-05 10:00"),
            [(utc("2025-02-03 11:00"), None)],
            60,
        ),
    ],
)
def test_working_minutes_between(case, calendar, start, end, pauses, minutes):
    assert working_minutes_between(calendar, start, end, pauses) == Decimal(minutes), case


@pytest.mark.parametrize(
    ("case", "calendar", "pauses", "expected"),
    [
        ("no pause", BERLIN_BUSINESS, [], local("2025-02-06 10:00")),
        (
            "two-day pause pushes it out",
            BERLIN_BUSINESS,
            [(local("2025-02-03 12:00"), local("2025-02-05 12:00"))],
            local("2025-02-10 10:00"),
        ),
        (
            "open pause before target: never",
            BERLIN_BUSINESS,
            [(local("2025-02-04 12:00"), None)],
            None,
        ),
        (
            "open pause after target: no effect",
            BERLIN_BUSINESS,
            [(local("2025-02-06 12:00"), None)],
            local("2025-02-06 10:00"),
        ),
        (
            "pause outside hours: no effect",
            BERLIN_BUSINESS,
            [(local("2025-02-03 18:00"), local("2025-02-04 08:30"))],
            local("2025-02-06 10:00"),
        ),
        (
            "24x7 pause",
            ALWAYS,
            [(local("2025-02-03 12:00"), local("2025-02-03 14:00"))],
            local("2025-02-04 12:00"),
        ),
    ],
)
def test_add_working_minutes_with_pauses(case, calendar, pauses, expected):
    got = add_working_minutes(calendar, local("2025-02-03 10:00"), 24 * 60, pauses)
    assert got == expected, case


def test_merge_pauses_sorts_merges_and_stops_at_an_open_pause():
    merged = merge_pauses(
        [
            (utc("2025-02-03 15:00"), None),
            (utc("2025-02-03 12:00"), utc("2025-02-03 13:00")),
            (utc("2025-02-03 10:00"), utc("2025-02-03 12:30")),
            (utc("2025-02-03 16:00"), utc("2025-02-03 17:00")),
        ]
    )
    assert merged == [
        (utc("2025-02-03 10:00"), utc("2025-02-03 13:00")),
        (utc("2025-02-03 15:00"), None),
    ]


def test_close_pauses_ends_open_pauses_at_resolution():
    resolved = utc("2025-02-03 18:00")
    pauses = [
        (utc("2025-02-03 10:00"), None),
        (utc("2025-02-03 19:00"), utc("2025-02-03 20:00")),
    ]
    assert close_pauses(pauses, resolved) == [(utc("2025-02-03 10:00"), resolved)]


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        add_working_minutes(ALWAYS, dt.datetime(2025, 2, 3, 10, 0), 60)  # noqa: DTZ001


def test_business_day_must_end_after_it_starts():
    with pytest.raises(ValueError, match="end after"):
        SlaCalendar.business(tz=BERLIN, day_start=dt.time(17), day_end=dt.time(9))


def test_custom_business_day():
    calendar = SlaCalendar.business(tz=BERLIN, day_start=dt.time(8), day_end=dt.time(20))
    assert add_working_minutes(calendar, local("2025-02-03 19:00"), 120) == local(
        "2025-02-04 09:00"
    )
