from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules


class KpisConfig(AppConfig):
    name = "synapse.kpis"
    label = "kpis"
    verbose_name = "KPIs"

    def ready(self) -> None:
        from synapse.kpis.services import kpi_bands_ensure_defaults

        # Each app declares its KPIs in its own ``kpis.py``; importing it registers them.
        autodiscover_modules("kpis")
        # ... and lists the records behind them in its own ``drilldown.py``.
        autodiscover_modules("drilldown")
        post_migrate.connect(kpi_bands_ensure_defaults, sender=self)
