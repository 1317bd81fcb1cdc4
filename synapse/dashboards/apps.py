from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class DashboardsConfig(AppConfig):
    name = "synapse.dashboards"
    label = "dashboards"
    verbose_name = "Dashboards"

    def ready(self) -> None:
        # Each app lists the records behind its KPIs in its own ``drilldown.py``.
        autodiscover_modules("drilldown")
