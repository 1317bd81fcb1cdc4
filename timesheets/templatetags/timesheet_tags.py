"""Template filters of the weekly timesheet."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def hours(value: Decimal | None) -> str:
    """Return hours as people type them: ``7.5`` for 7.50, ``8`` for 8.00, "" for None.

    Always with a ``.`` point (the grid's parser, like the import's, reads no other).
    """
    if value is None:
        return ""
    text = f"{Decimal(value):.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
