"""Row rules: the business checks on one record, shared by the CSV import, forms and the API.

Each ``validate_<entity>(row, ...)`` takes one record as a dict keyed by the column
names of data-exchange.md, with *parsed* values (``Decimal``, ``date``, aware
``datetime``, ``bool``; ``None`` = no value), and returns ``{column: message}`` —
empty when the row is valid. The functions are pure: no ORM, no clock, no settings.
Facts that live in other records (a person's employment, the hours already logged
that day) are passed in as keyword arguments by the caller.

How to reuse them outside the CSV path:

* a Django form: in ``clean()``, build the dict from ``cleaned_data`` (field names
  are the column names, references as codes or left out), call the rule and
  ``self.add_error(column, message)`` for each item;
* a DRF serializer: in ``validate(attrs)``, call the rule the same way and raise
  ``serializers.ValidationError(errors)`` when the dict is not empty;
* single cells: ``synapse.exchange.schemas.FILES[...]`` gives each column's parser.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

Row = Mapping[str, Any]
Errors = dict[str, str]

MAX_DAY_HOURS = Decimal(24)
#: Activities whose time is never billable (data-exchange.md).
NON_BILLABLE_ACTIVITIES = ("internal", "training")
SCORE_SCALES = {"csat": (1, 5), "nps": (0, 10)}


def _not_negative(row: Row, errors: Errors, *columns: str) -> None:
    """Add an error for each money column of ``row`` below zero."""
    for column in columns:
        value = row.get(column)
        if value is not None and value < 0:
            errors.setdefault(column, f"must not be negative (got {value})")


def _not_before(row: Row, errors: Errors, *, end: str, start: str) -> None:
    """Add an error on ``end`` when it is before ``start`` (both present)."""
    first, last = row.get(start), row.get(end)
    if first is not None and last is not None and last < first:
        errors.setdefault(end, f"{_show(last)} is before {start} {_show(first)}")


def _show(value: Any) -> str:
    """Return a value as a person reads it in a message."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def validate_client(row: Row) -> Errors:
    """Return the errors of a client: churned before becoming a client."""
    errors: Errors = {}
    _not_before(row, errors, end="churned_on", start="became_client_on")
    return errors


def validate_employee(
    row: Row, *, account: tuple[str, bool] | None = None, update_accounts: bool = False
) -> Errors:
    """Return the errors of an employee: hours per day, employment order, negative rates,
    and what the row would do to an existing user account.

    ``account`` is the existing account of the row's username as ``(email,
    is_superuser)`` (None: there is none). A superuser's account is never changed
    through an employee row; an account's email only with ``update_accounts`` (the
    row's ``email`` column present and different from the stored one).
    """
    errors: Errors = {}
    hours = row.get("hours_per_day")
    if hours is not None and not 0 < hours <= MAX_DAY_HOURS:
        errors["hours_per_day"] = f"must be more than 0 and at most 24 (got {hours})"
    _not_before(row, errors, end="employed_until", start="employed_from")
    _not_negative(row, errors, "cost_rate", "bill_rate")
    if account is not None:
        email, superuser = account
        new = row.get("email")
        if superuser:
            errors["username"] = (
                f"“{row.get('username')}” is a superuser: the import does not change "
                "superusers' accounts"
            )
        elif "email" in row and (new or "") != email and not update_accounts:
            errors["email"] = (
                f"would change the account's email from {email or '(none)'} to "
                f"{new or '(none)'}; run import_data with --update-accounts to allow it"
            )
    return errors


def validate_rate(row: Row) -> Errors:
    """Return the errors of a rate change: negative rates."""
    errors: Errors = {}
    _not_negative(row, errors, "cost_rate", "bill_rate")
    return errors


def validate_holiday(row: Row) -> Errors:
    """Return the errors of a company holiday (none beyond its cells)."""
    return {}


def validate_leave(row: Row) -> Errors:
    """Return the errors of a day's leave: hours more than 0 and at most 24."""
    errors: Errors = {}
    hours = row.get("hours")
    if hours is not None and not 0 < hours <= MAX_DAY_HOURS:
        errors["hours"] = f"must be more than 0 and at most 24 (got {hours})"
    return errors


def validate_project(row: Row) -> Errors:
    """Return the errors of a project: fixed price without revenue, money, date order.

    An ``actual_end`` needs an ``actual_start`` (a project cannot finish without
    having started), and each end must not be before its start.
    """
    errors: Errors = {}
    billing = row.get("billing") or "fixed"
    if billing == "fixed" and row.get("revenue") is None:
        errors["revenue"] = "is required for a fixed-price project"
    _not_negative(row, errors, "revenue", "budget")
    _not_before(row, errors, end="planned_end", start="planned_start")
    if row.get("actual_end") is not None and row.get("actual_start") is None:
        errors["actual_end"] = "is set but actual_start is empty"
    _not_before(row, errors, end="actual_end", start="actual_start")
    users = row.get("user_count")
    if users is not None and users < 0:
        errors["user_count"] = f"must not be negative (got {users})"
    return errors


def validate_progress(row: Row) -> Errors:
    """Return the errors of a progress report: percent complete within 0–100."""
    errors: Errors = {}
    percent = row.get("percent_complete")
    if percent is not None and not 0 <= percent <= 100:
        errors["percent_complete"] = f"must be between 0 and 100 (got {percent})"
    return errors


def validate_project_expense(row: Row) -> Errors:
    """Return the errors of a project expense: a negative amount."""
    errors: Errors = {}
    _not_negative(row, errors, "amount")
    return errors


def validate_downtime(row: Row) -> Errors:
    """Return the errors of a downtime interval: ended before it started."""
    errors: Errors = {}
    _not_before(row, errors, end="ended_at", start="started_at")
    return errors


def validate_contract(row: Row) -> Errors:
    """Return the errors of a contract: a negative fee, ended before it started."""
    errors: Errors = {}
    _not_negative(row, errors, "monthly_fee")
    _not_before(row, errors, end="end_date", start="start_date")
    return errors


def validate_overhead(row: Row) -> Errors:
    """Return the errors of a month's overhead: a negative amount."""
    errors: Errors = {}
    _not_negative(row, errors, "amount")
    return errors


def validate_ticket(row: Row) -> Errors:
    """Return the errors of a ticket: responded to or resolved before it was opened."""
    errors: Errors = {}
    _not_before(row, errors, end="first_response_at", start="opened_at")
    _not_before(row, errors, end="resolved_at", start="opened_at")
    return errors


def validate_ticket_pause(row: Row) -> Errors:
    """Return the errors of a ticket pause: resumed before it was paused."""
    errors: Errors = {}
    _not_before(row, errors, end="resumed_at", start="paused_at")
    return errors


def validate_time_entry(
    row: Row,
    *,
    employment: tuple[dt.date, dt.date | None] | None = None,
    other_hours_that_day: Decimal | None = None,
) -> Errors:
    """Return the errors of a time entry: hours, the day's total, the person's employment,
    and billable internal or training time.

    ``employment`` is the person's ``(employed_from, employed_until)``; the entry's
    date must fall inside it (both ends inclusive). ``other_hours_that_day`` is the
    sum of the person's *other* entries on the same date (those the entry does not
    replace); with this entry's hours it must not exceed 24.
    """
    errors: Errors = {}
    hours, day = row.get("hours"), row.get("date")
    if hours is not None and not 0 <= hours <= MAX_DAY_HOURS:
        errors["hours"] = f"must be between 0 and 24 (got {hours})"
    elif hours is not None and other_hours_that_day is not None:
        total = hours + other_hours_that_day
        if total > MAX_DAY_HOURS:
            errors["hours"] = day_total_message(row.get("username"), day, total)
    billable_error = non_billable_error(row)
    if billable_error:
        errors["billable"] = billable_error
    if employment is not None and day is not None:
        start, until = employment
        if day < start or (until is not None and day > until):
            errors["date"] = (
                f"{day} is outside the employment of {row.get('username') or 'the person'} "
                f"({start} to {until or 'now'})"
            )
    return errors


def non_billable_error(row: Row) -> str | None:
    """Return the message when ``row`` is billable ``internal`` or ``training`` time."""
    activity = row.get("activity")
    if row.get("billable") and activity in NON_BILLABLE_ACTIVITIES:
        return f"must be false: {activity} time is never billable"
    return None


def day_total_message(username: str | None, day: dt.date | None, total: Decimal) -> str:
    """Return the message for a person's day logged over 24 hours."""
    hours = total.quantize(Decimal("0.01"))
    return f"{username or 'the person'} would log {hours} hours on {day} (more than 24)"


def validate_survey_invitation(row: Row) -> Errors:
    """Return the errors of a survey invitation (none beyond its cells)."""
    return {}


def validate_survey_response(row: Row) -> Errors:
    """Return the errors of a survey response: a score outside its kind's scale."""
    errors: Errors = {}
    score, kind = row.get("score"), row.get("kind")
    if score is not None and kind in SCORE_SCALES:
        low, high = SCORE_SCALES[kind]
        if not low <= score <= high:
            errors["score"] = f"must be between {low} and {high} for {kind} (got {score})"
    return errors
