"""Filters of the ticket, pause and status-event lists."""

from __future__ import annotations

import django_filters

from support.models import Ticket, TicketEvent, TicketPause
from synapse.api.filters import UtcIsoDateTimeFilter


class TicketFilter(django_filters.FilterSet):
    """Filter tickets by client, project, contract, assignee, status, priority and dates."""

    client = django_filters.CharFilter("client__code", help_text="Client code.")
    project = django_filters.CharFilter("project__code", help_text="Project code.")
    contract = django_filters.CharFilter("contract__code", help_text="Contract code.")
    assignee = django_filters.CharFilter("assignee__user__username", help_text="Username.")
    unassigned = django_filters.BooleanFilter("assignee", lookup_expr="isnull")
    opened_after = UtcIsoDateTimeFilter("opened_at", lookup_expr="gte")
    opened_before = UtcIsoDateTimeFilter("opened_at", lookup_expr="lt")
    resolved_after = UtcIsoDateTimeFilter("resolved_at", lookup_expr="gte")
    resolved_before = UtcIsoDateTimeFilter("resolved_at", lookup_expr="lt")

    class Meta:
        model = Ticket
        fields = ("status", "priority", "escalated", "sla_met")


class TicketPauseFilter(django_filters.FilterSet):
    """Filter pauses by ticket and whether they are still open."""

    ticket = django_filters.CharFilter("ticket__ref", help_text="Ticket ref.")
    open = django_filters.BooleanFilter("resumed_at", lookup_expr="isnull")

    class Meta:
        model = TicketPause
        fields = ("ticket",)


class TicketEventFilter(django_filters.FilterSet):
    """Filter status events by ticket and status."""

    ticket = django_filters.CharFilter("ticket__ref", help_text="Ticket ref.")

    class Meta:
        model = TicketEvent
        fields = ("ticket", "to_status")
