"""The dates Synapse accepts: one range for every date and datetime typed, sent or imported.

Python's dates end at 9999-12-31, and a period, a week or a trend computed next to the
ends overflows (``OverflowError``, a 500). No record of an operations firm lies outside
1900–2999, so every way in — forms, URL parameters (``week``, ``period``), the API,
the import — refuses such a date with this one message instead.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

#: The first and the last day Synapse accepts.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)

DATE_RANGE_MESSAGE = (
    f"Dates run from {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()} in Synapse."
)


def date_in_range(value: dt.date | dt.datetime) -> bool:
    """Return whether ``value`` (a date, or a datetime's own calendar day) is accepted."""
    day = value.date() if isinstance(value, dt.datetime) else value
    return EARLIEST_DATE <= day <= LATEST_DATE


def validate_date_range(value: dt.date | dt.datetime | None) -> None:
    """Raise ``ValidationError`` (a form or API error) when ``value`` is out of range."""
    if value is not None and not date_in_range(value):
        raise ValidationError(
            f"{value.isoformat()}: {DATE_RANGE_MESSAGE}", code="date_out_of_range"
        )
