"""Cell values of the CSV format (data-exchange.md "Values"): parse text, format canonically.

Every parser takes the cell text (never empty: an empty cell is "no value" and is
handled by the schema) and returns a Python value or raises ``ValueError`` with a
message fit to show a person. Every formatter is the exact inverse for the values
the database can hold, so export → import → export is byte-identical.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from synapse.dates import DATE_RANGE_MESSAGE, date_in_range
from synapse.kpis.periods import firm_tz

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_INTEGER = re.compile(r"[+-]?\d+")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*")
# Stored as integer hundredths in a 64-bit column (synapse.fields); stay well inside it.
_DECIMAL_LIMIT = Decimal(10) ** 15
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

Parser = Callable[[str], Any]


def parse_text(text: str) -> str:
    """Return the text as is (text cells are not stripped, so notes round-trip exactly)."""
    return text


def parse_code(text: str) -> str:
    """Return a key or reference code with surrounding spaces removed."""
    return text.strip()


def parse_email(text: str) -> str:
    """Return an email address (surrounding spaces removed)."""
    text = text.strip()
    try:
        validate_email(text)
    except ValidationError:
        raise ValueError(f"“{text}” is not an email address") from None
    return text


def parse_date(text: str) -> dt.date:
    """Return the date of a ``YYYY-MM-DD`` cell."""
    text = text.strip()
    if not _DATE.fullmatch(text):
        raise ValueError(f"“{text}” is not a date (YYYY-MM-DD)")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"“{text}” is not a valid date") from None
    return _in_range(day, text)


def parse_month(text: str) -> dt.date:
    """Return the first day of a ``YYYY-MM`` month."""
    text = text.strip()
    match = _MONTH.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"“{text}” is not a month (YYYY-MM)")
    return _in_range(dt.date(int(match.group(1)), int(match.group(2)), 1), text)


def parse_datetime(text: str) -> dt.datetime:
    """Return the aware datetime of an ISO 8601 cell; no offset means firm-local time."""
    text = text.strip()
    if not _DATETIME.fullmatch(text):
        raise ValueError(f"“{text}” is not a datetime (ISO 8601, e.g. 2025-02-03T09:30:00Z)")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"“{text}” is not a valid datetime") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=firm_tz())
    return _in_range(moment, text)


def _in_range(value: Any, text: str) -> Any:
    """Return ``value``, a date or datetime, or raise when Synapse does not accept it."""
    if not date_in_range(value):
        raise ValueError(f"“{text}” is out of range: {DATE_RANGE_MESSAGE}")
    return value


def parse_decimal(text: str, places: int = 2) -> Decimal:
    """Return a decimal with a ``.`` point and at most ``places`` decimals.

    More decimals than the database keeps are an error rather than a silent rounding,
    so that what was imported is exactly what is stored.
    """
    text = text.strip()
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"“{text}” is not a decimal number (use a . point)")
    value = Decimal(text)
    if abs(value) >= _DECIMAL_LIMIT:
        raise ValueError(f"“{text}” is too large")
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"“{text}” has more than {places} decimal places")
    return value


def parse_integer(text: str) -> int:
    """Return a whole number."""
    text = text.strip()
    if not _INTEGER.fullmatch(text):
        raise ValueError(f"“{text}” is not a whole number")
    return int(text)


def parse_boolean(text: str) -> bool:
    """Return the boolean of ``true``/``false``, ``1``/``0`` or ``yes``/``no`` (any case)."""
    try:
        return _BOOLEANS[text.strip().lower()]
    except KeyError:
        raise ValueError(f"“{text}” is not a boolean (true/false, 1/0, yes/no)") from None


def choice_parser(*choices: str) -> Parser:
    """Return a parser that accepts exactly one of ``choices``."""
    allowed = frozenset(choices)
    listed = ", ".join(choices)

    def parse_choice(text: str) -> str:
        value = text.strip()
        if value not in allowed:
            raise ValueError(f"“{text}” is not one of {listed}")
        return value

    parse_choice.choices = choices  # read by the format reference
    return parse_choice


# Canonical formatting for export.


def format_value(value: Any, parser: Parser) -> str:
    """Return the canonical cell text of ``value`` for a column read by ``parser``."""
    if value is None:
        return ""
    if parser is parse_month:
        return f"{value:%Y-%m}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        # UTC with a Z: one spelling per instant whatever the firm's time zone.
        text = value.astimezone(dt.UTC).replace(tzinfo=None).isoformat()
        return f"{text}Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01')):f}"
    return str(value)
