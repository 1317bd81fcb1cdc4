"""API views of tickets, their pauses and status events.

Staff work on tickets assigned to them or unassigned, managers also their team's;
executives read every ticket and change none; superusers do everything. A ticket
you may not see is a 404. A new ticket is saved as sent (history can be imported);
a change of status on an existing ticket follows the ticket desk's rules
(``support.services.ticket_transition``) and adds a status event; the SLA outcome is
recomputed after each change.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.serializers import BaseSerializer

from support.api import filters, serializers
from support.api.services import ticket_api_create, ticket_api_update
from support.models import Ticket, TicketEvent, TicketPause
from synapse.api.permissions import TicketPermission, tickets_visible_q
from synapse.api.viewsets import SynapseModelViewSet, SynapseReadOnlyViewSet, documented

ACCESS = (
    "Staff: tickets assigned to them or unassigned (read, write); managers: also their "
    "team's; executives: read all; administrators: everything, and only they delete "
    "tickets."
)


def _scoped(queryset: QuerySet, user: object, prefix: str = "") -> QuerySet:
    """Return ``queryset`` narrowed to the tickets ``user`` may see."""
    visible = tickets_visible_q(user, prefix=prefix)
    return queryset if visible is None else queryset.filter(visible)


@documented("ticket", "tickets", writes=ACCESS)
class TicketViewSet(SynapseModelViewSet):
    """Support tickets, addressed by ``ref``."""

    serializer_class = serializers.TicketSerializer
    permission_classes = [TicketPermission]
    filterset_class = filters.TicketFilter
    ordering_fields = ("opened_at", "resolved_at", "priority", "ref", "status")
    lookup_field = "ref"
    queryset = Ticket.objects.none()

    def get_queryset(self) -> QuerySet[Ticket]:
        tickets = Ticket.objects.select_related(
            "client", "project", "contract", "assignee__user"
        ).order_by("-opened_at", "pk")
        return _scoped(tickets, self.request.user)

    def perform_create(self, serializer: BaseSerializer) -> None:
        ticket_api_create(serializer=serializer, by=self.request.user)

    def perform_update(self, serializer: BaseSerializer) -> None:
        ticket_api_update(serializer=serializer, by=self.request.user)


@documented("ticket pause", "ticket pauses", writes=ACCESS)
class TicketPauseViewSet(SynapseModelViewSet):
    """ "Waiting on customer" intervals of tickets, addressed by id."""

    serializer_class = serializers.TicketPauseSerializer
    permission_classes = [TicketPermission]
    filterset_class = filters.TicketPauseFilter
    ordering_fields = ("paused_at", "resumed_at")
    queryset = TicketPause.objects.none()

    def get_queryset(self) -> QuerySet[TicketPause]:
        pauses = TicketPause.objects.select_related("ticket").order_by("ticket", "paused_at")
        return _scoped(pauses, self.request.user, prefix="ticket__")


@documented("ticket status event", "ticket status events", writes=ACCESS, read_only=True)
class TicketEventViewSet(SynapseReadOnlyViewSet):
    """The status timeline of tickets (read-only), addressed by id."""

    serializer_class = serializers.TicketEventSerializer
    permission_classes = [TicketPermission]
    filterset_class = filters.TicketEventFilter
    ordering_fields = ("at",)
    queryset = TicketEvent.objects.none()

    def get_queryset(self) -> QuerySet[TicketEvent]:
        events = TicketEvent.objects.select_related("ticket", "by").order_by("ticket", "at", "pk")
        return _scoped(events, self.request.user, prefix="ticket__")
