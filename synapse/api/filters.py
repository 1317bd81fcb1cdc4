"""Filters shared by the API: datetimes normalised to UTC, and the KPI snapshot list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from synapse.kpis.models import KpiSnapshot
from synapse.kpis.periods import SCOPE_KINDS


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 datetime filter value, converted to UTC.

    PostgreSQL refuses offsets beyond ±15:59 (``+19:55`` is valid ISO 8601), so an
    aware value is handed to the database in UTC; one that cannot be is a 400.
    """

    def to_python(self, value: Any) -> dt.datetime | None:
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError as exc:
            raise ValidationError("Enter a valid date/time.", code="invalid") from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``IsoDateTimeFilter`` whose values reach the database in UTC."""

    field_class = UtcIsoDateTimeField


class KpiSnapshotFilter(django_filters.FilterSet):
    """Filter snapshots by KPI key, grain, period start range and scope."""

    key = django_filters.CharFilter(help_text="KPI key, e.g. billable_utilization.")
    grain = django_filters.ChoiceFilter(choices=KpiSnapshot.Grain.choices)
    period_start_after = django_filters.DateFilter(
        field_name="period_start", lookup_expr="gte", help_text="Periods starting on or after."
    )
    period_start_before = django_filters.DateFilter(
        field_name="period_start", lookup_expr="lte", help_text="Periods starting on or before."
    )
    scope_kind = django_filters.ChoiceFilter(choices=[(k, k) for k in SCOPE_KINDS])
    scope_key = django_filters.CharFilter(help_text="Client or project code, or username.")
    status = django_filters.CharFilter(help_text="within, below or above (band status).")

    class Meta:
        model = KpiSnapshot
        fields = ("key", "grain", "scope_kind", "scope_key", "status")
