"""KPI configuration kept as data: the benchmark band of each KPI."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords


class KpiBand(models.Model):
    """The benchmark band in force for one KPI (defaults from kpis.md, editable by admins).

    ``low``/``high`` are inclusive; an empty side is open.
    """

    key = models.CharField(max_length=64, unique=True)
    low = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    high = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

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


class KpiSnapshot(models.Model):
    """A stored KPI value: one KPI for one period (of a grain) and one scope.

    Written by the nightly job (``synapse.kpis.snapshots``); equal to what
    ``kpi_report`` gives for the same period and scope. ``band_low``/``band_high``
    and ``status`` are the band in force when it was computed.
    """

    class Grain(models.TextChoices):
        WEEK = "week", "ISO week"
        MONTH = "month", "Month"
        QUARTER = "quarter", "Quarter"
        YEAR = "year", "Year"

    key = models.CharField(max_length=64)
    grain = models.CharField(max_length=8, choices=Grain.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    scope_kind = models.CharField(max_length=16)
    scope_key = models.CharField(max_length=150, blank=True)
    value = models.DecimalField(max_digits=30, decimal_places=10, null=True, blank=True)
    numerator = models.DecimalField(max_digits=30, decimal_places=10, null=True, blank=True)
    denominator = models.DecimalField(max_digits=30, decimal_places=10, null=True, blank=True)
    sample_size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, blank=True)
    band_low = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    band_high = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    definition_version = models.PositiveIntegerField(default=1)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["key", "grain", "period_start", "scope_kind", "scope_key"]
        verbose_name = "KPI snapshot"
        constraints = [
            models.UniqueConstraint(
                fields=["key", "grain", "period_start", "scope_kind", "scope_key"],
                name="snapshot_unique_period_scope",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="snapshot_period_order"
            ),
        ]
        indexes = [
            models.Index(
                fields=["scope_kind", "scope_key", "grain", "period_start"],
                name="snapshot_scope_idx",
            ),
        ]

    def __str__(self) -> str:
        scope = self.scope_kind if not self.scope_key else f"{self.scope_kind}:{self.scope_key}"
        return f"{self.key} {self.grain} {self.period_start} {scope} = {self.value}"


class KpiRun(models.Model):
    """One run of the snapshot job: the nightly task or a ``compute_snapshots`` backfill.

    A nightly run that ``succeeded`` is where the next nightly run's catch-up starts;
    a run that found another one holding the lock is recorded as ``skipped``.
    """

    class Kind(models.TextChoices):
        NIGHTLY = "nightly", "Nightly"
        BACKFILL = "backfill", "Backfill"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (another run held the lock)"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    range_start = models.DateField(null=True, blank=True)
    range_end = models.DateField(null=True, blank=True)
    keys = models.CharField(max_length=500, blank=True, help_text="Comma-separated; empty = all")
    periods_done = models.PositiveIntegerField(default=0)
    snapshots_written = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "KPI snapshot run"
        indexes = [
            models.Index(fields=["kind", "status", "started_at"], name="kpirun_kind_status_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} run {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class KpiLock(models.Model):
    """A named lock held by one process until it releases it or ``expires_at`` passes.

    Used where PostgreSQL advisory locks are not available (SQLite); the unique name
    makes a second holder fail, the expiry frees the lock of a process that was killed.
    """

    name = models.CharField(max_length=100, unique=True)
    holder = models.CharField(max_length=100)
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        verbose_name = "KPI job lock"

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder} until {self.expires_at:%Y-%m-%d %H:%M}"


class KpiAlertState(models.Model):
    """The last band status seen for one KPI and scope, so a crossing alerts only once.

    ``period_start`` is the month whose snapshot set the status.
    """

    key = models.CharField(max_length=64)
    scope_kind = models.CharField(max_length=16)
    scope_key = models.CharField(max_length=150, blank=True)
    status = models.CharField(max_length=16)
    period_start = models.DateField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["key", "scope_kind", "scope_key"]
        verbose_name = "KPI alert state"
        constraints = [
            models.UniqueConstraint(
                fields=["key", "scope_kind", "scope_key"], name="alertstate_unique_kpi_scope"
            ),
        ]

    def __str__(self) -> str:
        scope = self.scope_kind if not self.scope_key else f"{self.scope_kind}:{self.scope_key}"
        return f"{self.key} {scope}: {self.status}"


class KpiAlert(models.Model):
    """One band crossing of a KPI snapshot: the event executives are emailed about once."""

    key = models.CharField(max_length=64)
    grain = models.CharField(max_length=8)
    period_start = models.DateField()
    period_end = models.DateField()
    scope_kind = models.CharField(max_length=16)
    scope_key = models.CharField(max_length=150, blank=True)
    previous_status = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=16)
    value = models.DecimalField(max_digits=30, decimal_places=10, null=True, blank=True)
    band_low = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    band_high = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    created_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "KPI alert"

    def __str__(self) -> str:
        return (
            f"{self.key} {self.period_start:%Y-%m}: {self.previous_status or '—'} → {self.status}"
        )
