"""Template helpers of the executive pages: query strings, number and cell formats."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from html import escape
from urllib.parse import urlencode

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from synapse.dashboards import presentation
from synapse.dashboards.selectors import PageParams
from synapse.kpis.drilldown import Column, Records

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


@register.simple_tag
def drilldown_rows(records: Records, objects: Iterable[object]) -> SafeString:
    """Return the ``<tr>`` rows of a drill-down page: the first column links to the
    record's admin page, numeric columns are right-aligned (``class="num"``).

    Built in Python rather than with nested template loops: a page of 25 records × 7–9
    columns is the largest part of a KPI page that cannot be cached (it is live).
    """
    rows = []
    for obj in objects:
        cells = []
        for index, column in enumerate(records.columns):
            text = escape(cell(obj, column))  # (html.escape: what Django's escape calls)
            if index == 0:
                url = escape(records.admin_url(obj))
                cells.append(f'<th scope="row"><a href="{url}">{text}</a></th>')
            elif column.numeric:
                cells.append(f'<td class="num">{text}</td>')
            else:
                cells.append(f"<td>{text}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return mark_safe("\n".join(rows))  # every value is escaped above


@register.filter
def status_words(status: str | None) -> str:
    """Return a band status in words with its icon."""
    return presentation.status_text(status)
