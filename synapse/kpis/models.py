"""KPI configuration kept as data: the benchmark band of each KPI."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q


class KpiBand(models.Model):
    """The benchmark band in force for one KPI (defaults from kpis.md, editable by admins).

    ``low``/``high`` are inclusive; an empty side is open.
    """

    key = models.CharField(max_length=64, unique=True)
    low = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    high = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = "KPI band"
        constraints = [
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(high__isnull=True) | Q(high__gte=F("low")),
                name="kpiband_high_above_low",
            ),
        ]

    def __str__(self) -> str:
        low = "−∞" if self.low is None else self.low
        high = "∞" if self.high is None else self.high
        return f"{self.key}: {low} … {high}"
