"""Periods and scopes: the two coordinates of every KPI value (kpis.md "Conventions")."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.conf import settings

GRAINS = ("week", "month", "quarter", "year", "custom")
SCOPE_KINDS = ("company", "client", "project", "employee")


def firm_tz() -> zoneinfo.ZoneInfo:
    """Return the firm's time zone (setting ``TIME_ZONE``)."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: dt.date) -> dt.datetime:
    """Return the aware datetime of 00:00 firm time on ``day``."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=firm_tz())


def local_date(moment: dt.datetime) -> dt.date:
    """Return the firm-local date of an aware datetime."""
    return moment.astimezone(firm_tz()).date()


@dataclass(frozen=True, order=True)
class Period:
    """An inclusive date range ``[start, end]`` in firm time, with the grain it was cut by."""

    start: dt.date
    end: dt.date
    grain: str = "custom"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period end {self.end} is before its start {self.start}")
        if self.grain not in GRAINS:
            raise ValueError(f"unknown grain {self.grain!r}")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        last = calendar.monthrange(year, month)[1]
        return cls(dt.date(year, month, 1), dt.date(year, month, last), "month")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first_month = 3 * (quarter - 1) + 1
        last = calendar.monthrange(year, first_month + 2)[1]
        return cls(dt.date(year, first_month, 1), dt.date(year, first_month + 2, last), "quarter")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")

    @classmethod
    def iso_week(cls, year: int, week: int) -> Period:
        monday = dt.date.fromisocalendar(year, week, 1)
        return cls(monday, monday + dt.timedelta(days=6), "week")

    @classmethod
    def containing(cls, grain: str, day: dt.date) -> Period:
        """Return the period of ``grain`` that contains ``day``."""
        if grain == "month":
            return cls.month(day.year, day.month)
        if grain == "quarter":
            return cls.quarter(day.year, (day.month - 1) // 3 + 1)
        if grain == "year":
            return cls.year(day.year)
        if grain == "week":
            iso = day.isocalendar()
            return cls.iso_week(iso.year, iso.week)
        raise ValueError(f"cannot cut a {grain!r} period around a day")

    def previous(self) -> Period:
        """Return the period of the same grain just before this one."""
        if self.grain == "custom":
            length = self.end - self.start
            end = self.start - dt.timedelta(days=1)
            return Period(end - length, end, "custom")
        return Period.containing(self.grain, self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        """Return the period of the same grain just after this one."""
        if self.grain == "custom":
            length = self.end - self.start
            start = self.end + dt.timedelta(days=1)
            return Period(start, start + length, "custom")
        return Period.containing(self.grain, self.end + dt.timedelta(days=1))

    @property
    def months(self) -> int:
        """Return the number of calendar months the period touches (at least 1)."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @property
    def label(self) -> str:
        if self.grain == "month":
            return f"{self.start:%b %Y}"
        if self.grain == "quarter":
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        if self.grain == "year":
            return str(self.start.year)
        if self.grain == "week":
            iso = self.start.isocalendar()
            return f"W{iso.week:02d} {iso.year}"
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


@dataclass(frozen=True, order=True)
class Scope:
    """Who a KPI value is about: the company, or one client, project or employee."""

    kind: str
    key: str = ""

    def __post_init__(self) -> None:
        if self.kind not in SCOPE_KINDS:
            raise ValueError(f"unknown scope kind {self.kind!r}")
        if (self.kind == "company") != (self.key == ""):
            raise ValueError("company takes no key; client, project and employee need one")

    @classmethod
    def parse(cls, text: str) -> Scope:
        """Parse ``company``, ``client:<code>``, ``project:<code>`` or ``employee:<username>``."""
        text = text.strip()
        if text == "company":
            return COMPANY
        kind, sep, key = text.partition(":")
        if not sep or not key or kind not in SCOPE_KINDS or kind == "company":
            raise ValueError(
                f"bad scope {text!r}: use company, client:<code>, project:<code> "
                "or employee:<username>"
            )
        return cls(kind, key)

    def __str__(self) -> str:
        return self.kind if self.kind == "company" else f"{self.kind}:{self.key}"


COMPANY = Scope("company")
