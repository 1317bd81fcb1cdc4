"""Admin for KPI bands (editable) and KPI snapshots (read-only)."""

from __future__ import annotations

from django.contrib import admin

from synapse.admin_tools import ReadOnlyModelAdmin, SynapseModelAdmin
from synapse.kpis.models import KpiBand, KpiSnapshot
from synapse.kpis.registry import kpi_get


def kpi_label(key: str) -> str:
    """Return the label of the KPI registered under ``key``, or "" when none is."""
    try:
        return kpi_get(key).label
    except KeyError:
        return ""


@admin.register(KpiBand)
class KpiBandAdmin(SynapseModelAdmin):
    """The benchmark band of each KPI; ``low``/``high`` are edited right in the list."""

    list_display = ("key", "label", "low", "high", "updated_at")
    list_editable = ("low", "high")
    search_fields = ("key",)
    readonly_fields = ("label", "updated_at")
    fields = ("key", "label", "low", "high", "updated_at")

    @admin.display(description="KPI")
    def label(self, obj: KpiBand) -> str:
        """Return the KPI's label from the registry."""
        return kpi_label(obj.key)


@admin.register(KpiSnapshot)
class KpiSnapshotAdmin(ReadOnlyModelAdmin):
    """Stored KPI values, written only by the nightly job: viewable and exportable."""

    list_display = (
        "key",
        "grain",
        "period_start",
        "period_end",
        "scope_kind",
        "scope_key",
        "value",
        "status",
        "sample_size",
        "computed_at",
    )
    search_fields = ("key", "scope_key")
    list_filter = ("grain", "scope_kind", "status", "key")
    date_hierarchy = "period_start"
