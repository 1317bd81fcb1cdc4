"""Calendar helpers for the demo: holidays, working days and the business-hours clock.

The generator places ticket responses and resolutions on the SLA policy's calendar
so that most tickets meet their targets and a few breach them; the SLA service then
measures them independently (``support.services``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from synapse.kpis.periods import firm_tz

BUSINESS_START = dt.time(9, 0)
BUSINESS_END = dt.time(17, 0)


def days_between(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """Yield every date from ``first`` to ``last``, both inclusive."""
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def month_start(day: dt.date) -> dt.date:
    """Return the first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """Return the first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    day = add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1)
    while day.weekday() != weekday:
        day -= dt.timedelta(days=1)
    return day


def _first_weekday(year: int, month: int, weekday: int) -> dt.date:
    day = dt.date(year, month, 1)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    return day


def company_holidays(year: int) -> list[tuple[dt.date, str]]:
    """Return the firm's holidays of ``year``; one on a weekend moves to the next weekday."""
    fixed = [
        (dt.date(year, 1, 1), "New Year's Day"),
        (_first_weekday(year, 5, 0), "May Day"),
        (_last_weekday(year, 5, 0), "Spring holiday"),
        (_last_weekday(year, 8, 0), "Summer holiday"),
        (dt.date(year, 12, 25), "Christmas Day"),
        (dt.date(year, 12, 26), "Boxing Day"),
    ]
    out: list[tuple[dt.date, str]] = []
    taken: set[dt.date] = set()
    for day, name in fixed:
        while day.weekday() >= 5 or day in taken:
            day += dt.timedelta(days=1)
        taken.add(day)
        out.append((day, name))
    return out


def at_local(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    """Return the aware firm-local datetime of ``day`` at ``hour:minute``."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=firm_tz())


class BusinessClock:
    """Mon–Fri 09:00–17:00 firm time, company holidays excluded."""

    def __init__(self, holidays: set[dt.date]) -> None:
        self.holidays = holidays

    def is_business_day(self, day: dt.date) -> bool:
        """Return whether ``day`` is a weekday that is not a company holiday."""
        return day.weekday() < 5 and day not in self.holidays

    def next_business_moment(self, moment: dt.datetime) -> dt.datetime:
        """Return ``moment`` if it is inside business hours, else the next opening."""
        local = moment.astimezone(firm_tz())
        day = local.date()
        while True:
            if self.is_business_day(day):
                opens = dt.datetime.combine(day, BUSINESS_START, tzinfo=firm_tz())
                closes = dt.datetime.combine(day, BUSINESS_END, tzinfo=firm_tz())
                if local < opens:
                    return opens
                if local < closes:
                    return local
            day += dt.timedelta(days=1)
            local = dt.datetime.combine(day, dt.time(0, 0), tzinfo=firm_tz())

    def add(self, moment: dt.datetime, minutes: float) -> dt.datetime:
        """Return the moment ``minutes`` business minutes after ``moment``."""
        current = self.next_business_moment(moment)
        remaining = dt.timedelta(minutes=minutes)
        while True:
            closes = dt.datetime.combine(current.date(), BUSINESS_END, tzinfo=firm_tz())
            left_today = closes - current
            if remaining <= left_today:
                return current + remaining
            remaining -= left_today
            current = self.next_business_moment(closes + dt.timedelta(minutes=1))


def clock_add(clock: BusinessClock | None, moment: dt.datetime, minutes: float) -> dt.datetime:
    """Return ``minutes`` after ``moment`` on ``clock`` (``None`` is the 24×7 clock)."""
    if clock is None:
        return moment + dt.timedelta(minutes=minutes)
    return clock.add(moment, minutes)
