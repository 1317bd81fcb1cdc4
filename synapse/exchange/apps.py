from __future__ import annotations

from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "synapse.exchange"
    label = "exchange"
    verbose_name = "CSV data exchange"
