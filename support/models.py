"""SLA policies, support tickets with their status history, pauses and comments."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords


class Priority(models.TextChoices):
    P1 = "P1", "P1 critical"
    P2 = "P2", "P2 high"
    P3 = "P3", "P3 medium"
    P4 = "P4", "P4 low"


class SlaPolicy(models.Model):
    """Response and resolution targets for one priority, on a 24×7 or business-hours clock."""

    class Calendar(models.TextChoices):
        ALWAYS = "24x7", "24×7"
        BUSINESS = "business", "Business hours (Mon–Fri, holidays excluded)"

    priority = models.CharField(max_length=2, choices=Priority.choices, unique=True)
    respond_minutes = models.PositiveIntegerField()
    resolve_minutes = models.PositiveIntegerField()
    calendar = models.CharField(max_length=16, choices=Calendar.choices)
    business_day_start = models.TimeField(default=dt.time(9, 0))
    business_day_end = models.TimeField(default=dt.time(17, 0))

    class Meta:
        ordering = ["priority"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(respond_minutes__gt=0) & Q(resolve_minutes__gt=0),
                name="sla_targets_positive",
            ),
            models.CheckConstraint(
                condition=Q(business_day_end__gt=F("business_day_start")),
                name="sla_business_day_order",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.priority}: respond {self.respond_minutes} min, "
            f"resolve {self.resolve_minutes} min"
        )


class Ticket(models.Model):
    """A support request from a client, with its SLA results stored when it changes.

    The ``sla_*`` and ``*_due_at`` fields are derived by the SLA clock
    (``support.sla``) whenever the ticket, its pauses, its policy or the holidays
    change, so that SLA KPIs are plain aggregates.
    """

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        WAITING = "waiting", "Waiting on customer"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    ref = models.CharField(max_length=32, unique=True)
    client = models.ForeignKey("projects.Client", on_delete=models.PROTECT, related_name="tickets")
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    contract = models.ForeignKey(
        "projects.Contract", on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    priority = models.CharField(max_length=2, choices=Priority.choices)
    subject = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    opened_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        "timesheets.Employee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    escalated = models.BooleanField(default=False)
    first_contact_resolved = models.BooleanField(default=False)
    reopened_count = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=0)
    #: When the assignee was warned that 80 % of the resolution clock had run (once).
    sla_warning_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Derived by the SLA clock.
    response_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    response_met = models.BooleanField(null=True, editable=False)
    resolution_met = models.BooleanField(null=True, editable=False)
    sla_decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_met = models.BooleanField(null=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["opened_at"], name="ticket_opened_idx"),
            models.Index(fields=["status", "priority"], name="ticket_status_priority_idx"),
            # The KPIs' inputs in the index (PostgreSQL; elsewhere a plain index on the
            # moment): the support KPIs of a period read only these (migration 0006).
            models.Index(
                fields=["resolved_at"],
                include=[
                    "opened_at",
                    "priority",
                    "client",
                    "assignee",
                    "first_contact_resolved",
                    "escalated",
                ],
                name="ticket_resolved_cover_idx",
            ),
            models.Index(
                fields=["sla_decided_at"],
                include=["client", "sla_met"],
                name="ticket_decided_cover_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("opened_at")),
                name="ticket_resolved_after_opened",
            ),
            models.CheckConstraint(
                condition=Q(first_response_at__isnull=True)
                | Q(first_response_at__gte=F("opened_at")),
                name="ticket_response_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.subject}"


class TicketPause(models.Model):
    """An interval the ticket spent "waiting on customer": its resolution clock stops."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="pauses")
    paused_at = models.DateTimeField()
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket", "paused_at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "paused_at"], name="pause_unique_start"),
            models.CheckConstraint(
                condition=Q(resumed_at__isnull=True) | Q(resumed_at__gte=F("paused_at")),
                name="pause_resumed_after_paused",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.ref} paused {self.paused_at:%Y-%m-%d %H:%M}"


class TicketEvent(models.Model):
    """One change of a ticket's status, for its timeline."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    from_status = models.CharField(max_length=16, choices=Ticket.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Ticket.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["ticket", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket.ref}: {self.from_status or '—'} → {self.to_status}"


class TicketComment(models.Model):
    """A comment on a ticket; the first agent comment is the ticket's first response."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()
    body = models.TextField()

    class Meta:
        ordering = ["ticket", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket.ref} comment at {self.at:%Y-%m-%d %H:%M}"
