"""Template helpers of the executive pages: query strings, number and cell formats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from django import template
from django.utils import timezone

from synapse.dashboards import presentation
from synapse.dashboards.drilldown import Column
from synapse.dashboards.selectors import PageParams

register = template.Library()


@register.simple_tag
def query(params: PageParams, **changes: object) -> str:
    """Return ``?grain=…&period=…&scope=…`` for ``params`` with ``changes`` applied.

    ``period`` may be given as a ``Period``; ``page`` is added when given.
    """
    values = {}
    for name, value in changes.items():
        if value is None or value == "":
            continue
        start = getattr(value, "start", None)
        values[name] = start.isoformat() if isinstance(start, dt.date) else str(value)
    return "?" + urlencode(params.query(**values))


@register.filter
def num(value: Decimal | None, unit: str) -> str:
    """Return ``value`` rounded for display in ``unit``."""
    return presentation.number_text(value, unit)


@register.filter
def cell(obj: object, column: Column) -> str:
    """Return the value of ``column`` for the record ``obj``, formatted for a table."""
    value = column.value(obj)
    if value is None or value == "":
        return "—"
    if column.kind == "money":
        return f"{Decimal(value):,.2f}"
    if column.kind == "hours":
        return f"{Decimal(value):,.2f}"
    if column.kind == "bool":
        return "Yes" if value else "No"
    if column.kind == "datetime" and isinstance(value, dt.datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    if column.kind == "date" and isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


@register.filter
def status_words(status: str | None) -> str:
    """Return a band status in words with its icon."""
    return presentation.status_text(status)


@register.filter
def admin_url(records: object, obj: object) -> str:
    """Return the admin change page of a drill-down record."""
    return records.admin_url(obj)
