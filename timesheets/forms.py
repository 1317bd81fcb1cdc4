"""Forms of the weekly timesheet: a grid cell, adding a row, submitting and deciding a week.

They parse what was typed (with the import's own cell parsers, so the grid and the CSV
import read hours alike) and hand typed values to ``timesheets.services``; the business
rules themselves (0–24 h, a day's total, the employment, the lock) live there.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms

from synapse import rules
from synapse.dates import validate_date_range
from synapse.values import parse_decimal
from timesheets import policies
from timesheets.models import TimeEntry
from timesheets.selectors import Choice, RowKey, week_start_of

#: The import's parser of the ``hours`` columns (``synapse.exchange.schemas.hours``).
parse_hours = parse_decimal


def _hours_or_none(text: str, *, label: str) -> Decimal | None:
    """Return the hours typed in a cell (None when blank); raise ``ValidationError``."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return parse_hours(text)
    except ValueError as error:
        raise forms.ValidationError(f"{label} {error}.", code="invalid") from error


class WeekForm(forms.Form):
    """The ``?week=`` of the grid: any day of the week wanted (its Monday is used)."""

    week = forms.DateField(required=False, validators=[validate_date_range])

    def week_start(self, today: dt.date) -> dt.date:
        """Return the Monday of the week asked for, or of ``today``'s week (also when the
        week asked for is not a date or out of range: ``errors`` says so)."""
        day = self.cleaned_data.get("week") if self.is_valid() else None
        return week_start_of(day or today)


class CellForm(forms.Form):
    """One cell of the grid: its row, its day, the hours typed and the hours seen before.

    The row's project, contract or ticket must be one ``user`` may book time to
    (``timesheets.policies.may_book``, the same rule as the API's).
    """

    row = forms.CharField(max_length=80)
    day = forms.DateField(validators=[validate_date_range])
    hours = forms.CharField(required=False, max_length=16)
    seen = forms.CharField(required=False, max_length=16)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_row(self) -> RowKey:
        try:
            key = RowKey.from_token(self.cleaned_data["row"])
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from error
        refused = policies.may_book(
            self.user,
            project_id=key.project_id,
            contract_id=key.contract_id,
            ticket_id=key.ticket_id,
        )
        if refused:
            raise forms.ValidationError(refused, code="missing")
        return key

    def clean_hours(self) -> Decimal | None:
        return _hours_or_none(self.cleaned_data["hours"], label="Hours")

    def clean_seen(self) -> Decimal | None:
        return _hours_or_none(self.cleaned_data["seen"], label="Seen hours")

    def first_error(self) -> str:
        """Return the first error message, for the cell."""
        for errors in self.errors.values():
            return errors[0]
        return ""


class AddRowForm(forms.Form):
    """Add a row to the grid: what the time is on, the activity, billable or not."""

    target = forms.ChoiceField(label="Work on")
    activity = forms.ChoiceField(
        label="Activity", choices=TimeEntry.Activity.choices, initial="delivery"
    )
    billable = forms.BooleanField(label="Billable", required=False, initial=True)

    def __init__(self, *args: Any, targets: list[Choice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups: dict[str, list[tuple[str, str]]] = {}
        for choice in targets:
            groups.setdefault(choice.group, []).append((choice.value, choice.label))
        self.fields["target"].choices = [("", "Choose…"), *groups.items()]

    def clean(self) -> dict[str, Any]:
        """Refuse billable internal or training time (the import's rule, word for word)."""
        cleaned = super().clean()
        message = rules.non_billable_error(cleaned)
        if message:
            self.add_error("billable", f"Billable {message}.")
        return cleaned

    def row_key(self) -> RowKey:
        """Return the row the cleaned form asks for (internal time is never billable)."""
        kind, _, pk = self.cleaned_data["target"].partition(":")
        ids = {"project": None, "contract": None, "ticket": None}
        if kind in ids:
            ids[kind] = int(pk)
        billable = self.cleaned_data["billable"] and kind != "internal"
        return RowKey(
            ids["project"], ids["contract"], ids["ticket"], self.cleaned_data["activity"], billable
        )


class SubmitForm(forms.Form):
    """Submit a week: its Monday and the timesheet version shown on the page."""

    week = forms.DateField(widget=forms.HiddenInput, validators=[validate_date_range])
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class DecisionForm(forms.Form):
    """Approve or reject a week: the version the manager read, and a comment."""

    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What to fix (required to reject)"}),
    )
