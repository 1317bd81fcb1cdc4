from __future__ import annotations

from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "synapse.bench"
    label = "bench"
    verbose_name = "Scale benchmark"
