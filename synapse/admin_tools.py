"""Shared Django admin helpers: the CSV export action and the base admin classes."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import label_for_field, lookup_field
from django.db import models
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import slugify

from synapse.dates import validate_date_range
from synapse.spreadsheets import spreadsheet_safe

#: Rows fetched per database round trip while streaming an export.
EXPORT_CHUNK_SIZE = 2000


class _Echo:
    """A file-like object whose ``write`` returns the line, for ``csv.writer`` streaming."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value: Any) -> str:
    """Return ``value`` as a CSV cell in the data-exchange.md conventions.

    Money and hours (``Decimal``) keep their exact digits (``1234.50``), dates are
    ``YYYY-MM-DD``, datetimes ISO 8601 in the firm's time zone with their offset,
    booleans ``true``/``false``, no value is an empty cell, a related object its
    ``str()``; HTML from admin display methods is stripped. The file is opened in
    spreadsheets, so text a spreadsheet would run as a formula gets a ``'`` in front
    (``synapse.spreadsheets.spreadsheet_safe``; plain numbers such as ``-5.00`` are kept).
    """
    return spreadsheet_safe(_csv_text(value))


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return strip_tags(str(value))


def export_columns(modeladmin: admin.ModelAdmin, request: HttpRequest) -> list[str]:
    """Return the columns an export writes: the changelist's columns, else the form fields."""
    columns = [name for name in modeladmin.get_list_display(request) if name != "action_checkbox"]
    if columns and columns != ["__str__"]:
        return columns
    return [field.name for field in modeladmin.model._meta.concrete_fields]


def export_rows(
    modeladmin: admin.ModelAdmin, columns: list[str], objects: Iterable[models.Model]
) -> Iterator[list[str]]:
    """Yield the header, then one row of cells per object, for ``columns``."""
    yield [
        csv_cell(label_for_field(name, modeladmin.model, modeladmin, return_attr=False))
        for name in columns
    ]
    for obj in objects:
        row = []
        for name in columns:
            field, _attr, value = lookup_field(name, obj, modeladmin)
            if field is not None and field.choices and not field.is_relation:
                # The stored code (``approved``), as data-exchange.md files carry it.
                value = getattr(obj, field.attname)
            row.append(csv_cell(value))
        yield row


@admin.action(description="Export selected rows as CSV", permissions=["view"])
def export_as_csv(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: models.QuerySet
) -> StreamingHttpResponse:
    """Stream the selected rows' changelist columns as a CSV file with a header row."""
    columns = export_columns(modeladmin, request)
    objects = queryset.iterator(chunk_size=EXPORT_CHUNK_SIZE)
    writer = csv.writer(_Echo())
    name = slugify(modeladmin.model._meta.verbose_name_plural) or "export"
    stamp = timezone.localdate().isoformat()
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in export_rows(modeladmin, columns, objects)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


class SynapseModelAdmin(admin.ModelAdmin):
    """The base admin of every Synapse model: CSV export on the changelist, 50 rows a page,
    dates within ``synapse.dates``' range."""

    actions = [export_as_csv]
    list_per_page = 50
    # Every date and datetime typed in the admin within the dates Synapse accepts.
    formfield_overrides = {
        models.DateField: {"validators": [validate_date_range]},
        models.DateTimeField: {"validators": [validate_date_range]},
    }


class ReadOnlyModelAdmin(SynapseModelAdmin):
    """An admin that shows and exports rows but never adds, changes or deletes them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
