"""Employees, their rates, holidays and leave, time entries and weekly timesheets."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from synapse.fields import HoursField, MoneyField


class Employee(models.Model):
    """A person employed by the firm; signs in as ``user`` and logs time."""

    class Role(models.TextChoices):
        STAFF = "staff", "Staff"
        MANAGER = "manager", "Manager"
        EXECUTIVE = "executive", "Executive"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="employee"
    )
    full_name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STAFF)
    hours_per_day = HoursField(default=8)
    employed_from = models.DateField()
    employed_until = models.DateField(null=True, blank=True)
    manager = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="team"
    )

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours_per_day__gt=0) & Q(hours_per_day__lte=24),
                name="employee_hours_per_day_range",
            ),
            models.CheckConstraint(
                condition=Q(employed_until__isnull=True)
                | Q(employed_until__gte=F("employed_from")),
                name="employee_until_after_from",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def username(self) -> str:
        return self.user.username


class Rate(models.Model):
    """An employee's cost and bill rate per hour, in force from ``effective_from`` on."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="rates")
    effective_from = models.DateField()
    cost_rate = MoneyField()
    bill_rate = MoneyField()

    class Meta:
        ordering = ["employee", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "effective_from"], name="rate_unique_from"),
            models.CheckConstraint(
                condition=Q(cost_rate__gte=0) & Q(bill_rate__gte=0), name="rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} from {self.effective_from}: {self.cost_rate}/{self.bill_rate}"


class Holiday(models.Model):
    """A company holiday: nobody is expected to work on ``date``."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Leave(models.Model):
    """Leave an employee took on one day, in hours."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="leave")
    date = models.DateField()
    hours = HoursField()

    class Meta:
        ordering = ["employee", "date"]
        verbose_name_plural = "leave"
        constraints = [
            models.UniqueConstraint(fields=["employee", "date"], name="leave_unique_day"),
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=24), name="leave_hours_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.date} {self.hours} h"


class Timesheet(models.Model):
    """An employee's week (Monday ``week_start``) and its approval status."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="timesheets")
    week_start = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-week_start", "employee"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "week_start"], name="timesheet_unique_week"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} week of {self.week_start} ({self.status})"


def new_entry_id() -> str:
    """Return a fresh external key for a time entry made in the app."""
    return f"TE-{uuid.uuid4().hex[:16]}"


class TimeEntry(models.Model):
    """Hours one employee worked on one day, on a project, contract or ticket (or internal).

    ``cost`` and ``bill_value`` are derived: hours × the rate in force on ``date``
    (``bill_value`` is 0 when not billable), and ``cost_contract`` is the contract the
    labour cost is attributed to when it is not a project's (data-exchange.md). They are
    stored when the entry or the employee's rates change (``timesheets.services``), so
    that KPIs sum them in the database.
    """

    class Activity(models.TextChoices):
        DELIVERY = "delivery", "Delivery"
        REWORK = "rework", "Rework"
        SUPPORT = "support", "Support"
        INTERNAL = "internal", "Internal"
        TRAINING = "training", "Training"

    # Unique by a constraint rather than ``unique=True``: the same unique index, without
    # the second, ``varchar_pattern_ops`` index PostgreSQL gets for a unique CharField
    # (for ``LIKE 'abc%'``, which nothing asks of an entry id; migration 0005).
    entry_id = models.CharField(max_length=64, default=new_entry_id)
    # employee, project and cost_contract need no index of their own: the composite
    # indexes below lead with them (each index is maintained on every insert; the
    # import of a large history pays for each one, migration 0004).
    employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="time_entries", db_index=False
    )
    date = models.DateField()
    hours = HoursField()
    billable = models.BooleanField(default=False)
    activity = models.CharField(max_length=16, choices=Activity.choices)
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="time_entries",
        db_index=False,
    )
    contract = models.ForeignKey(
        "projects.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="time_entries",
    )
    ticket = models.ForeignKey(
        "support.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="time_entries",
    )
    note = models.CharField(max_length=500, blank=True)
    cost = MoneyField(default=0, editable=False)
    bill_value = MoneyField(default=0, editable=False)
    cost_contract = models.ForeignKey(
        "projects.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="attributed_entries",
        db_index=False,
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "employee"]
        verbose_name_plural = "time entries"
        indexes = [
            models.Index(fields=["date", "employee"], name="entry_date_employee_idx"),
            models.Index(fields=["employee", "date"], name="entry_employee_date_idx"),
            models.Index(fields=["project", "date"], name="entry_project_date_idx"),
            models.Index(fields=["cost_contract", "date"], name="entry_contract_date_idx"),
            # Utilization's billable hours per employee and period (daily, weekly): an
            # index-only scan of the period's billable entries (INCLUDE is PostgreSQL's;
            # SQLite builds a plain partial index on date). EXPLAIN in migration 0003.
            models.Index(
                fields=["date"],
                include=["employee", "hours"],
                condition=Q(billable=True),
                name="entry_billable_date_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["entry_id"], name="entry_entry_id_unique"),
            models.CheckConstraint(
                condition=Q(hours__gte=0) & Q(hours__lte=24), name="entry_hours_range"
            ),
            models.CheckConstraint(condition=Q(cost__gte=0), name="entry_cost_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.employee} {self.date} {self.hours} h"
