"""The SLA clock: business-hours and 24×7 calendars, pure functions (no ORM, no settings).

kpis.md "Support": the response and resolution clocks run on the policy's calendar —
24×7, or business hours (Mon–Fri, ``day_start``..``day_end`` firm-local wall-clock
time, company holidays excluded). Pauses ("waiting on customer") stop the resolution
clock. A ticket opened outside business hours starts its clocks at the next business
hour, which falls out of measuring only inside the working windows.

Every moment is converted to UTC before any arithmetic: subtracting two aware
datetimes that share a ``ZoneInfo`` compares wall clocks, which is an hour off across a
daylight-saving change. Business windows are built from local dates and wall-clock
hours (``09:00`` local is 08:00 UTC in Berlin winter, 07:00 UTC in summer), so the
working day stays eight local hours on both DST change days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

UTC = dt.UTC
#: A pause: (paused_at, resumed_at); ``None`` as the end means it has not ended.
Interval = tuple[dt.datetime, dt.datetime | None]
#: A stretch of time in which the clock runs: (start, end), ``None`` end = unbounded.
Window = tuple[dt.datetime, dt.datetime | None]

#: Guard against an endless walk (e.g. a calendar whose every day is a holiday).
MAX_DAYS = 366 * 30


@dataclass(frozen=True)
class SlaCalendar:
    """When an SLA clock runs: always (24×7), or business hours in a time zone.

    ``holidays`` are local dates with no business hours. A 24×7 calendar ignores
    ``tz``, ``day_start``, ``day_end`` and ``holidays``.
    """

    business_hours: bool = False
    tz: dt.tzinfo = UTC
    day_start: dt.time = dt.time(9, 0)
    day_end: dt.time = dt.time(17, 0)
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.business_hours and self.day_end <= self.day_start:
            raise ValueError("business day must end after it starts")

    @classmethod
    def always(cls) -> SlaCalendar:
        """Return the 24×7 calendar."""
        return cls(business_hours=False)

    @classmethod
    def business(
        cls,
        *,
        tz: dt.tzinfo,
        day_start: dt.time = dt.time(9, 0),
        day_end: dt.time = dt.time(17, 0),
        holidays: Iterable[dt.date] = (),
    ) -> SlaCalendar:
        """Return the Mon–Fri business-hours calendar in ``tz`` without ``holidays``."""
        return cls(True, tz, day_start, day_end, frozenset(holidays))

    def is_business_day(self, day: dt.date) -> bool:
        """Return whether ``day`` (local) has business hours: a weekday, not a holiday."""
        return day.weekday() < 5 and day not in self.holidays

    def windows(self, start: dt.datetime) -> Iterator[Window]:
        """Yield, in order, the UTC windows in which the clock runs, from ``start`` on.

        The first window is clipped to ``start``; a 24×7 calendar yields one
        unbounded window.
        """
        start = to_utc(start)
        if not self.business_hours:
            yield start, None
            return
        day = start.astimezone(self.tz).date()
        for _ in range(MAX_DAYS):
            if self.is_business_day(day):
                opens = _local(day, self.day_start, self.tz)
                closes = _local(day, self.day_end, self.tz)
                if closes > start:
                    yield max(opens, start), closes
            day += dt.timedelta(days=1)
        raise ValueError(f"no business hours within {MAX_DAYS} days of {start}")


def to_utc(moment: dt.datetime) -> dt.datetime:
    """Return the aware ``moment`` in UTC (a naive datetime is an error)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: SLA moments must be aware")
    return moment.astimezone(UTC)


def _local(day: dt.date, time: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """Return the UTC instant of wall-clock ``time`` on local ``day`` in ``tz``.

    A wall-clock time skipped by a DST change (fold 0) maps to the instant the same
    number of minutes after the change; a repeated one to its first occurrence.
    """
    return dt.datetime.combine(day, time, tzinfo=tz).astimezone(UTC)


def merge_pauses(pauses: Iterable[Interval]) -> list[Interval]:
    """Return ``pauses`` in UTC, sorted, overlaps merged; an open pause absorbs the rest."""
    ordered = sorted(
        ((to_utc(s), None if e is None else to_utc(e)) for s, e in pauses), key=lambda p: p[0]
    )
    merged: list[Interval] = []
    for start, end in ordered:
        if end is not None and end <= start:
            continue
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break
            if start <= last_end:
                merged[-1] = (last_start, None if end is None else max(last_end, end))
                continue
        merged.append((start, end))
    return merged


def running(
    calendar: SlaCalendar, start: dt.datetime, pauses: Iterable[Interval] = ()
) -> Iterator[Window]:
    """Yield the UTC windows in which the clock runs from ``start``: working time minus pauses.

    Iteration ends for good at an open pause (the clock is stopped until it ends).
    """
    merged = merge_pauses(pauses)
    i = 0
    for window_start, window_end in calendar.windows(start):
        cursor = window_start
        while True:
            while i < len(merged) and merged[i][1] is not None and merged[i][1] <= cursor:
                i += 1
            if i == len(merged):
                yield cursor, window_end
                break
            pause_start, pause_end = merged[i]
            if window_end is not None and pause_start >= window_end:
                yield cursor, window_end
                break
            if pause_start > cursor:
                yield cursor, pause_start
            if pause_end is None:
                return
            cursor = max(cursor, pause_end)
            if window_end is not None and cursor >= window_end:
                break


def add_working_time(
    calendar: SlaCalendar,
    start: dt.datetime,
    amount: dt.timedelta,
    pauses: Iterable[Interval] = (),
) -> dt.datetime | None:
    """Return the first moment at which the clock started at ``start`` has run ``amount``.

    Return ``None`` when it never gets there: an open pause stops it for good.
    The result is in UTC; with ``amount`` 0 it is the first running moment.
    """
    remaining = amount
    for window_start, window_end in running(calendar, start, pauses):
        if window_end is None or window_end - window_start >= remaining:
            return window_start + remaining
        remaining -= window_end - window_start
    return None


def add_working_minutes(
    calendar: SlaCalendar,
    start: dt.datetime,
    minutes: int,
    pauses: Iterable[Interval] = (),
) -> dt.datetime | None:
    """Return ``add_working_time`` of ``minutes`` minutes."""
    return add_working_time(calendar, start, dt.timedelta(minutes=minutes), pauses)


def working_time_between(
    calendar: SlaCalendar,
    start: dt.datetime,
    end: dt.datetime,
    pauses: Iterable[Interval] = (),
) -> dt.timedelta:
    """Return how long the clock runs in ``[start, end)``, outside ``pauses``."""
    end = to_utc(end)
    total = dt.timedelta(0)
    for window_start, window_end in running(calendar, start, pauses):
        if window_start >= end:
            break
        stop = end if window_end is None else min(window_end, end)
        total += stop - window_start
    return total


def working_minutes_between(
    calendar: SlaCalendar,
    start: dt.datetime,
    end: dt.datetime,
    pauses: Iterable[Interval] = (),
) -> Decimal:
    """Return ``working_time_between`` in minutes, exactly."""
    spent = working_time_between(calendar, start, end, pauses)
    micro = (spent.days * 86_400 + spent.seconds) * 1_000_000 + spent.microseconds
    return Decimal(micro) / Decimal(60_000_000)


def close_pauses(pauses: Sequence[Interval], at: dt.datetime) -> list[Interval]:
    """Return ``pauses`` with open ones ending at ``at`` and those starting after it dropped."""
    at = to_utc(at)
    out: list[Interval] = []
    for start, end in pauses:
        start_utc = to_utc(start)
        if start_utc >= at:
            continue
        out.append((start_utc, at if end is None else min(to_utc(end), at)))
    return out
