"""Admin for SLA policies, tickets and their pauses, events and comments.

Superusers do everything here (their changes are recorded with django-simple-history).
Anyone else with admin permissions gets the reach of their role from
``support.policies``: the tickets they may see, changed only where they may work them,
and never a ticket's history or SLA fields (the desk's actions set those).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import F, QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from support import policies
from support.models import SlaPolicy, Ticket, TicketComment, TicketEvent, TicketPause
from support.services import ticket_sla_refresh, tickets_sla_refresh
from synapse.admin_tools import SynapseModelAdmin

SLA_FIELDS = policies.SLA_FIELDS


def tickets_mark_escalated(*, tickets: QuerySet[Ticket]) -> int:
    """Mark ``tickets`` escalated; return how many were not escalated before."""
    return tickets.filter(escalated=False).update(escalated=True, version=F("version") + 1)


class TicketScopedAdmin(SynapseModelAdmin):
    """An admin of rows that belong to a ticket: narrowed to the user's tickets.

    Writes to pauses and status events are the desk's (superusers only here).
    """

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        rows = super().get_queryset(request)
        return policies.restrict(rows, request.user, policies.VIEW, via="ticket")

    def _writes(self, request: HttpRequest) -> bool:
        return policies.may_write_ticket_history(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return super().has_add_permission(request, *args) and self._writes(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._writes(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._writes(request)


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


class _HistoryInlineMixin:
    """Inline rows of a ticket's history: written here by superusers only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_add_permission(request, obj)  # type: ignore[misc]
        return allowed and policies.may_write_ticket_history(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)  # type: ignore[misc]
        return allowed and policies.may_write_ticket_history(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)  # type: ignore[misc]
        return allowed and policies.may_write_ticket_history(request.user)


class TicketPauseInline(_HistoryInlineMixin, admin.TabularInline):
    """The ticket's "waiting on customer" intervals."""

    model = TicketPause
    extra = 0
    fields = ("paused_at", "resumed_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketPause]:
        # Each row's str() names its ticket.
        return super().get_queryset(request).select_related("ticket")


class TicketEventInline(_HistoryInlineMixin, admin.TabularInline):
    """The ticket's status history."""

    model = TicketEvent
    extra = 0
    fields = ("at", "from_status", "to_status", "by", "note")
    autocomplete_fields = ("by",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketEvent]:
        return super().get_queryset(request).select_related("ticket", "by")


class TicketCommentInline(_HistoryInlineMixin, admin.StackedInline):
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        tickets = super().get_queryset(request)
        return policies.restrict(tickets, request.user, policies.VIEW)

    def get_readonly_fields(self, request: HttpRequest, obj: Ticket | None = None) -> tuple:
        history = policies.HISTORY_FIELDS
        return SLA_FIELDS + tuple(
            name for name in history if not policies.may_set_ticket_field(request.user, name)
        )

    def has_change_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or policies.may_work_ticket(request.user, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        if obj is None:
            return allowed
        return allowed and policies.tickets_for(request.user, policies.DELETE).contains(obj)

    def has_mark_escalated_permission(self, request: HttpRequest) -> bool:
        """Escalating is a desk action with a reason; only superusers bulk-mark here."""
        return policies.may_write_ticket_history(request.user)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Save the pauses and the rest, then store the ticket's SLA outcome once."""
        super().save_related(request, form, formsets, change)
        ticket_sla_refresh(form.instance)

    @admin.action(description="Mark the selected tickets escalated", permissions=["mark_escalated"])
    def mark_escalated(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        """Mark the selected tickets escalated."""
        count = tickets_mark_escalated(tickets=queryset)
        self.message_user(request, f"{count} ticket(s) marked escalated.", messages.SUCCESS)


@admin.register(TicketPause)
class TicketPauseAdmin(TicketScopedAdmin):
    """Every ticket's "waiting on customer" intervals."""

    list_display = ("ticket", "paused_at", "resumed_at")
    list_select_related = ("ticket",)
    search_fields = ("ticket__ref", "ticket__subject")
    list_filter = (("resumed_at", admin.EmptyFieldListFilter),)
    date_hierarchy = "paused_at"
    autocomplete_fields = ("ticket",)

    def save_model(self, request: HttpRequest, obj: TicketPause, form: Any, change: bool) -> None:
        """Save the pause, then store its ticket's SLA outcome."""
        super().save_model(request, obj, form, change)
        tickets_sla_refresh(Ticket.objects.filter(pk=obj.ticket_id))

    def delete_model(self, request: HttpRequest, obj: TicketPause) -> None:
        """Delete the pause, then store its ticket's SLA outcome."""
        super().delete_model(request, obj)
        tickets_sla_refresh(Ticket.objects.filter(pk=obj.ticket_id))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TicketPause]) -> None:
        """Delete the pauses, then store their tickets' SLA outcome."""
        tickets = list(queryset.values_list("ticket_id", flat=True).distinct())
        super().delete_queryset(request, queryset)
        tickets_sla_refresh(Ticket.objects.filter(pk__in=tickets))


@admin.register(TicketEvent)
class TicketEventAdmin(TicketScopedAdmin):
    """Every ticket's status changes."""

    list_display = ("ticket", "at", "from_status", "to_status", "by")
    list_select_related = ("ticket", "by")
    search_fields = ("ticket__ref", "note", "by__username")
    list_filter = ("to_status",)
    date_hierarchy = "at"
    autocomplete_fields = ("ticket", "by")


@admin.register(TicketComment)
class TicketCommentAdmin(TicketScopedAdmin):
    """Every ticket's comments."""

    list_display = ("ticket", "at", "author")
    list_select_related = ("ticket", "author")
    search_fields = ("ticket__ref", "body", "author__username")
    date_hierarchy = "at"
    autocomplete_fields = ("ticket", "author")
