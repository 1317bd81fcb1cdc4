"""Writes of KPI configuration."""

from __future__ import annotations

from typing import Any

from synapse.kpis.models import KpiBand
from synapse.kpis.registry import kpis_all


def kpi_bands_ensure_defaults(**_: Any) -> int:
    """Create the default band (kpis.md) of every KPI that has one and no row yet.

    Runs after ``migrate`` so that a new database, and every KPI added later, gets
    its band as editable data; bands already edited by an admin are left alone.
    Return the number of bands created.
    """
    existing = set(KpiBand.objects.values_list("key", flat=True))
    missing = [
        KpiBand(key=kpi.key, low=kpi.band[0], high=kpi.band[1])
        for kpi in kpis_all()
        if kpi.band is not None and kpi.key not in existing
    ]
    KpiBand.objects.bulk_create(missing)
    return len(missing)
