"""Admin for SLA policies, tickets and their pauses, events and comments."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import F, QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from support.models import SlaPolicy, Ticket, TicketComment, TicketEvent, TicketPause
from synapse.admin_tools import SynapseModelAdmin

SLA_FIELDS = (
    "response_due_at",
    "resolution_due_at",
    "response_met",
    "resolution_met",
    "sla_decided_at",
    "sla_met",
)


def tickets_mark_escalated(*, tickets: QuerySet[Ticket]) -> int:
    """Mark ``tickets`` escalated; return how many were not escalated before."""
    return tickets.filter(escalated=False).update(escalated=True, version=F("version") + 1)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(SynapseModelAdmin):
    """Response and resolution targets per priority (editable)."""

    list_display = (
        "priority",
        "respond_minutes",
        "resolve_minutes",
        "calendar",
        "business_day_start",
        "business_day_end",
    )
    list_editable = ("respond_minutes", "resolve_minutes", "calendar")
    list_filter = ("calendar",)
    search_fields = ("priority",)


class TicketPauseInline(admin.TabularInline):
    """The ticket's "waiting on customer" intervals."""

    model = TicketPause
    extra = 0
    fields = ("paused_at", "resumed_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketPause]:
        # Each row's str() names its ticket.
        return super().get_queryset(request).select_related("ticket")


class TicketEventInline(admin.TabularInline):
    """The ticket's status history."""

    model = TicketEvent
    extra = 0
    fields = ("at", "from_status", "to_status", "by", "note")
    autocomplete_fields = ("by",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketEvent]:
        return super().get_queryset(request).select_related("ticket", "by")


class TicketCommentInline(admin.StackedInline):
    """The ticket's comments."""

    model = TicketComment
    extra = 0
    fields = ("at", "author", "body")
    autocomplete_fields = ("author",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketComment]:
        return super().get_queryset(request).select_related("ticket", "author")


@admin.register(Ticket)
class TicketAdmin(SimpleHistoryAdmin, SynapseModelAdmin):
    """Support tickets; the SLA results are derived by the SLA clock and read-only."""

    list_display = (
        "ref",
        "subject",
        "client",
        "priority",
        "status",
        "assignee",
        "opened_at",
        "resolved_at",
        "escalated",
        "sla_met",
    )
    list_select_related = ("client", "assignee")
    search_fields = ("ref", "subject", "client__code", "client__name", "assignee__full_name")
    list_filter = ("status", "priority", "escalated", "first_contact_resolved", "sla_met")
    date_hierarchy = "opened_at"
    autocomplete_fields = ("client", "project", "contract", "assignee")
    readonly_fields = SLA_FIELDS
    fieldsets = (
        (None, {"fields": ("ref", "client", "project", "contract", "priority", "subject")}),
        (None, {"fields": ("description", "status", "assignee")}),
        (
            "Timeline",
            {"fields": ("opened_at", "first_response_at", "resolved_at", "reopened_count")},
        ),
        ("Outcome", {"fields": ("escalated", "first_contact_resolved")}),
        ("SLA (derived by the SLA clock)", {"fields": SLA_FIELDS}),
    )
    inlines = [TicketPauseInline, TicketEventInline, TicketCommentInline]
    actions = [*SynapseModelAdmin.actions, "mark_escalated"]

    @admin.action(description="Mark the selected tickets escalated", permissions=["change"])
    def mark_escalated(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        """Mark the selected tickets escalated."""
        count = tickets_mark_escalated(tickets=queryset)
        self.message_user(request, f"{count} ticket(s) marked escalated.", messages.SUCCESS)


@admin.register(TicketPause)
class TicketPauseAdmin(SynapseModelAdmin):
    """Every ticket's "waiting on customer" intervals."""

    list_display = ("ticket", "paused_at", "resumed_at")
    list_select_related = ("ticket",)
    search_fields = ("ticket__ref", "ticket__subject")
    list_filter = (("resumed_at", admin.EmptyFieldListFilter),)
    date_hierarchy = "paused_at"
    autocomplete_fields = ("ticket",)


@admin.register(TicketEvent)
class TicketEventAdmin(SynapseModelAdmin):
    """Every ticket's status changes."""

    list_display = ("ticket", "at", "from_status", "to_status", "by")
    list_select_related = ("ticket", "by")
    search_fields = ("ticket__ref", "note", "by__username")
    list_filter = ("to_status",)
    date_hierarchy = "at"
    autocomplete_fields = ("ticket", "by")


@admin.register(TicketComment)
class TicketCommentAdmin(SynapseModelAdmin):
    """Every ticket's comments."""

    list_display = ("ticket", "at", "author")
    list_select_related = ("ticket", "author")
    search_fields = ("ticket__ref", "body", "author__username")
    date_hierarchy = "at"
    autocomplete_fields = ("ticket", "author")
