"""The client's survey answer: one score on the invitation's scale and an optional comment."""

from __future__ import annotations

from typing import Any

from django import forms

from surveys.models import SurveyKind
from surveys.services import survey_scale

CSAT_LABELS = {
    1: "Very dissatisfied",
    2: "Dissatisfied",
    3: "Neutral",
    4: "Satisfied",
    5: "Very satisfied",
}


class SurveyAnswerForm(forms.Form):
    """Validate one answer to a CSAT (1–5) or NPS (0–10) survey."""

    score = forms.TypedChoiceField(
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Please choose a score.",
            "invalid_choice": "Please choose one of the scores shown.",
        },
    )
    comment = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "Please keep the comment under 2000 characters."},
    )

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["score"].choices = [
            (value, CSAT_LABELS[value] if kind == SurveyKind.CSAT else str(value))
            for value in survey_scale(kind)
        ]
