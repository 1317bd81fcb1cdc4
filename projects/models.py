"""Clients, their contracts and contacts, projects and what happens on them, overheads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from synapse.fields import FixedPointField, MoneyField
from synapse.kpis.periods import local_midnight


class Client(models.Model):
    """A client company of the firm, active from ``became_client_on`` until ``churned_on``."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    became_client_on = models.DateField(db_index=True)
    churned_on = models.DateField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(churned_on__isnull=True) | Q(churned_on__gte=F("became_client_on")),
                name="client_churn_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ClientContact(models.Model):
    """A person at a client who receives survey invitations (no login needed)."""

    class Role(models.TextChoices):
        PROJECT = "project", "Project contact"
        SUPPORT = "support", "Support contact"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PROJECT)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["client__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "email", "role"], name="contact_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Contract(models.Model):
    """A recurring managed-services contract: a monthly fee from ``start_date`` to ``end_date``."""

    code = models.CharField(max_length=32, unique=True)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="contracts")
    name = models.CharField(max_length=200)
    monthly_fee = MoneyField()
    start_date = models.DateField(db_index=True)
    end_date = models.DateField(null=True, blank=True, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(monthly_fee__gte=0), name="contract_fee_positive"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="contract_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Project(models.Model):
    """An integration project delivered for a client, fixed-price or time and materials."""

    class Billing(models.TextChoices):
        FIXED = "fixed", "Fixed price"
        TIME_AND_MATERIALS = "time_and_materials", "Time and materials"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    code = models.CharField(max_length=32, unique=True)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="projects")
    name = models.CharField(max_length=200)
    billing = models.CharField(max_length=24, choices=Billing.choices, default=Billing.FIXED)
    revenue = MoneyField(null=True, blank=True, help_text="Contract value (fixed price only).")
    budget = MoneyField(help_text="Planned direct cost.")
    planned_start = models.DateField()
    planned_end = models.DateField()
    actual_start = models.DateField(null=True, blank=True, db_index=True)
    actual_end = models.DateField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    requirements_met = models.BooleanField(default=False)
    user_count = models.PositiveIntegerField(default=0)
    # Derived from actual_start/actual_end in firm time (projects.services.project_derive),
    # so downtime can be clipped to the integration window in SQL on any database.
    window_start = models.DateTimeField(null=True, blank=True, editable=False)
    window_end = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["status", "actual_end"], name="project_closed_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="project_budget_positive"),
            models.CheckConstraint(
                condition=Q(revenue__isnull=True) | Q(revenue__gte=0),
                name="project_revenue_positive",
            ),
            models.CheckConstraint(
                condition=~Q(billing="fixed") | Q(revenue__isnull=False),
                name="project_fixed_has_revenue",
            ),
            models.CheckConstraint(
                condition=Q(planned_end__gte=F("planned_start")),
                name="project_planned_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | (Q(actual_start__isnull=False) & Q(actual_end__gte=F("actual_start"))),
                name="project_actual_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, keeping the derived integration window in step with the actual dates."""
        self.window_start, self.window_end = project_window(
            actual_start=self.actual_start, actual_end=self.actual_end
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "window_start", "window_end"}
        super().save(*args, **kwargs)


def project_window(
    *, actual_start: dt.date | None, actual_end: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Return the integration window: 00:00 firm time on actual_start and on actual_end."""
    return (
        None if actual_start is None else local_midnight(actual_start),
        None if actual_end is None else local_midnight(actual_end),
    )


class ProjectProgress(models.Model):
    """A progress report: the share of the project complete on ``date`` (0–100)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="progress")
    date = models.DateField()
    percent_complete = FixedPointField()

    class Meta:
        ordering = ["project", "date"]
        verbose_name_plural = "project progress"
        constraints = [
            models.UniqueConstraint(fields=["project", "date"], name="progress_unique_date"),
            models.CheckConstraint(
                condition=Q(percent_complete__gte=0) & Q(percent_complete__lte=100),
                name="progress_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.date}: {self.percent_complete} %"


class ProjectExpense(models.Model):
    """A non-labour direct cost of a project (hardware, licences, subcontractors, travel)."""

    expense_id = models.CharField(max_length=64, unique=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="expenses")
    date = models.DateField(db_index=True)
    category = models.CharField(max_length=64)
    amount = MoneyField()

    class Meta:
        ordering = ["date", "expense_id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="expense_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.expense_id} {self.project.code} {self.amount}"


class Downtime(models.Model):
    """An interval in which the client's systems were down during integration."""

    downtime_id = models.CharField(max_length=64, unique=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="downtimes")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()

    class Meta:
        ordering = ["started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__gte=F("started_at")), name="downtime_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.downtime_id} {self.project.code}"


class Overhead(models.Model):
    """An indirect cost of one month in one category (``month`` is the month's first day)."""

    class Category(models.TextChoices):
        SALES_MARKETING = "sales_marketing", "Sales and marketing"
        GENERAL_ADMIN = "general_admin", "General and admin"
        FACILITIES = "facilities", "Facilities"
        OTHER = "other", "Other"

    month = models.DateField(help_text="First day of the month.")
    category = models.CharField(max_length=24, choices=Category.choices)
    amount = MoneyField()

    class Meta:
        ordering = ["month", "category"]
        constraints = [
            models.UniqueConstraint(fields=["month", "category"], name="overhead_unique_month"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="overhead_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.category} {self.amount}"
