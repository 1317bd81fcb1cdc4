"""Filters of the KPI snapshot list."""

from __future__ import annotations

import django_filters

from synapse.kpis.models import KpiSnapshot
from synapse.kpis.periods import SCOPE_KINDS


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
