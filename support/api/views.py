"""API views of tickets, their pauses and status events.

Who sees and changes what is ``support.policies``: staff work on tickets assigned to
them or unassigned, managers also their team's; executives read every ticket and
change none; superusers do everything. A ticket you may not see is a 404. The
ticket's history moves only through the desk's actions, which the API offers too: a
change of ``status`` (``support.services.ticket_transition``), ``POST
tickets/<ref>/comments/`` (the first agent comment is the first response) and ``POST
tickets/<ref>/escalate/``. Administrators may also write the history directly (an
import), recorded in the ticket's history. The SLA outcome is recomputed after each
change.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from support import policies, services
from support.api import filters, serializers
from support.api.services import (
    TicketVersionConflict,
    pause_api_delete,
    pause_api_save,
    ticket_api_create,
    ticket_api_update,
)
from support.models import Ticket, TicketEvent, TicketPause
from synapse.api.permissions import TicketPermission
from synapse.api.viewsets import SynapseModelViewSet, SynapseReadOnlyViewSet, documented

ACCESS = (
    "Staff: tickets assigned to them or unassigned (read, write); managers: also their "
    "team's; executives: read all; administrators: everything, and only they delete "
    "tickets. The history fields (opened_at, first_response_at, resolved_at, status on "
    "a new ticket, reopened_count, escalated, first_contact_resolved) and the SLA fields "
    "are set by the desk's actions; a direct write by anyone but an administrator is a "
    "403 naming the fields. Pauses are written by the waiting transition (administrators "
    "may write them directly)."
)


class TicketCommentSerializer(drf_serializers.Serializer):
    """A comment on a ticket; the first one by an agent is the ticket's first response."""

    body = drf_serializers.CharField(max_length=10000)


class TicketEscalateSerializer(drf_serializers.Serializer):
    """Escalate a ticket, saying why, based on the ``version`` read."""

    reason = drf_serializers.CharField(max_length=400)
    version = drf_serializers.IntegerField(min_value=0, required=False)


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
        return policies.restrict(tickets, self.request.user, policies.VIEW)

    def perform_create(self, serializer: BaseSerializer) -> None:
        ticket_api_create(serializer=serializer, by=self.request.user)

    def perform_update(self, serializer: BaseSerializer) -> None:
        ticket_api_update(serializer=serializer, by=self.request.user)

    @extend_schema(
        summary="Comment on a ticket",
        request=TicketCommentSerializer,
        responses={201: serializers.TicketSerializer},
        description="The desk's comment: the first one by an agent sets first_response_at "
        "to now (and moves a new ticket to in progress). " + ACCESS,
    )
    @action(detail=True, methods=["post"])
    def comments(self, request: Request, ref: str | None = None) -> Response:
        """Add a comment as the caller, now."""
        ticket = self.get_object()
        body = TicketCommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.ticket_comment_add(ticket=ticket, by=request.user, body=body.data["body"])
        except services.TicketError as exc:
            raise ValidationError({"body": [str(exc)]}) from exc
        ticket = self.get_queryset().get(pk=ticket.pk)
        data = self.get_serializer(ticket).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Escalate a ticket",
        request=TicketEscalateSerializer,
        responses={200: serializers.TicketSerializer},
        description="The desk's escalation, now, with a reason on the timeline. " + ACCESS,
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, ref: str | None = None) -> Response:
        """Mark the ticket escalated as the caller, now."""
        ticket = self.get_object()
        body = TicketEscalateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = body.validated_data.get("version", ticket.version)
        try:
            services.ticket_escalate(
                ticket=ticket, by=request.user, version=version, reason=body.data["reason"]
            )
        except services.TicketConflict as exc:
            raise TicketVersionConflict(exc.ticket, version) from exc
        except services.TicketError as exc:
            raise ValidationError({"reason": [str(exc)]}) from exc
        ticket = self.get_queryset().get(pk=ticket.pk)
        return Response(self.get_serializer(ticket).data)


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
        return policies.restrict(pauses, self.request.user, policies.VIEW, via="ticket")

    def perform_create(self, serializer: BaseSerializer) -> None:
        pause_api_save(serializer=serializer)

    def perform_update(self, serializer: BaseSerializer) -> None:
        pause_api_save(serializer=serializer)

    def perform_destroy(self, instance: TicketPause) -> None:
        pause_api_delete(pause=instance, delete=super().perform_destroy)


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
        return policies.restrict(events, self.request.user, policies.VIEW, via="ticket")
