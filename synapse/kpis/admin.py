"""Admin for KPI bands (editable), and the snapshot job's records (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from synapse.admin_tools import ReadOnlyModelAdmin, SynapseModelAdmin
from synapse.kpis.models import KpiAlert, KpiAlertState, KpiBand, KpiLock, KpiRun, KpiSnapshot
from synapse.kpis.registry import kpi_get


def kpi_label(key: str) -> str:
    """Return the label of the KPI registered under ``key``, or "" when none is."""
    try:
        return kpi_get(key).label
    except KeyError:
        return ""


@admin.register(KpiBand)
class KpiBandAdmin(SimpleHistoryAdmin, SynapseModelAdmin):
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


@admin.register(KpiRun)
class KpiRunAdmin(ReadOnlyModelAdmin):
    """The snapshot job's run log: nightly runs and backfills, with their outcome."""

    list_display = (
        "started_at",
        "kind",
        "status",
        "finished_at",
        "range_start",
        "range_end",
        "periods_done",
        "snapshots_written",
    )
    search_fields = ("keys", "error")
    list_filter = ("kind", "status")
    date_hierarchy = "started_at"


@admin.register(KpiLock)
class KpiLockAdmin(ReadOnlyModelAdmin):
    """Locks held by snapshot runs; a superuser may delete one a killed run left behind."""

    list_display = ("name", "holder", "acquired_at", "expires_at")
    search_fields = ("name", "holder")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(KpiAlertState)
class KpiAlertStateAdmin(ReadOnlyModelAdmin):
    """The last band status seen per KPI and scope (so a crossing alerts once)."""

    list_display = ("key", "scope_kind", "scope_key", "status", "period_start", "updated_at")
    search_fields = ("key", "scope_key")
    list_filter = ("status", "scope_kind")


@admin.register(KpiAlert)
class KpiAlertAdmin(ReadOnlyModelAdmin):
    """Band crossings of KPI snapshots, and whether executives were emailed."""

    list_display = (
        "created_at",
        "key",
        "grain",
        "period_start",
        "scope_kind",
        "scope_key",
        "previous_status",
        "status",
        "value",
        "emailed_at",
    )
    search_fields = ("key", "scope_key")
    list_filter = ("status", "grain", "scope_kind")
    date_hierarchy = "created_at"
