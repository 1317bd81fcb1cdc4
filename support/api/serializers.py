"""Serializers of tickets, their pauses and their status events."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from projects.models import Client, Contract, Project
from support import policies
from support.models import Ticket, TicketEvent, TicketPause
from synapse import rules
from synapse.api.serializers import SynapseModelSerializer, UsernameField
from timesheets.models import Employee

SLA_FIELDS = policies.SLA_FIELDS


class TicketSerializer(SynapseModelSerializer):
    """A support ticket, addressed by ``ref``; references are codes and a username.

    The SLA fields are derived by the SLA clock after each change (read-only).
    The ticket's history (``support.policies.HISTORY_FIELDS``: ``opened_at``,
    ``first_response_at``, ``resolved_at``, ``status`` on a new ticket,
    ``reopened_count``, ``escalated``, ``first_contact_resolved``) and the SLA fields
    are moved by the desk's actions only: a change of ``status`` (a transition, with
    ``first_contact_resolved`` when resolving), the ``comments`` and ``escalate``
    actions. Sending a different value for any of them is a 403 naming the fields,
    except for administrators, who may import history (recorded in the ticket's
    history with their name). A new ticket from anyone else is opened now, as new.
    On an existing ticket a new ``status`` goes through the desk's rules
    (``support.api.services``), based on the optional ``version`` (optimistic
    concurrency; a stale one is a 409). Staff may assign a ticket to themselves or
    leave it unassigned; managers to themselves or their team.
    """

    rule = staticmethod(rules.validate_ticket)
    client = serializers.SlugRelatedField(slug_field="code", queryset=Client.objects.all())
    project = serializers.SlugRelatedField(
        slug_field="code", queryset=Project.objects.all(), required=False, allow_null=True
    )
    contract = serializers.SlugRelatedField(
        slug_field="code", queryset=Contract.objects.all(), required=False, allow_null=True
    )
    assignee = UsernameField(
        queryset=Employee.objects.select_related("user"),
        required=False,
        allow_null=True,
        help_text="Username, or null for unassigned.",
        error_messages={"does_not_exist": "“{value}” is not someone you may assign tickets to."},
    )

    class Meta:
        model = Ticket
        fields = (
            "ref",
            "client",
            "project",
            "contract",
            "priority",
            "subject",
            "description",
            "status",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "assignee",
            "escalated",
            "first_contact_resolved",
            "reopened_count",
            "version",
            *SLA_FIELDS,
        )
        read_only_fields = SLA_FIELDS
        extra_kwargs = {
            "opened_at": {
                "required": False,
                "help_text": "Set by the desk to the moment the ticket is opened; only "
                "administrators send it (to import history).",
            },
            "status": {
                "help_text": "On a new ticket, any status for administrators (to import "
                "history), else new. On an "
                "existing one, a move the ticket desk allows (new → in progress, waiting "
                "or resolved; in progress ↔ waiting; → resolved; resolved → closed; "
                "resolved or closed → in progress reopens); others are a 400."
            },
            "version": {
                "help_text": "Goes up with every change. Optional on a change: send the "
                "version you read and the change is refused (409) if someone saved the "
                "ticket since; without it, the change is based on the ticket as the "
                "request read it. Ignored on a new ticket."
            },
        }

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and not policies.may_write_ticket_history(request.user):
            fields["assignee"].queryset = policies.ticket_assignees_for(request.user)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request = self.context.get("request")
        user = request.user if request is not None else None
        refused = policies.ticket_fields_refused(
            user, ticket=self.instance, sent=self.initial_data, values=attrs
        )
        if refused:
            raise PermissionDenied(
                {
                    "detail": (
                        f"{', '.join(refused)}: set by the ticket desk's actions with the "
                        "real time (open, first response, status change, escalate); only "
                        "administrators write them directly."
                    ),
                    "fields": refused,
                }
            )
        if self.instance is not None and "assignee" in attrs:
            refused_assign, _ = policies.ticket_assign_refusal(
                user, ticket=self.instance, assignee=attrs["assignee"]
            )
            if refused_assign:
                raise PermissionDenied(refused_assign)
        if self.instance is None and "opened_at" not in attrs:
            attrs["opened_at"] = timezone.now()
        return super().validate(attrs)


class TicketPauseSerializer(SynapseModelSerializer):
    """A "waiting on customer" interval of a ticket (``ticket`` is its ref)."""

    rule = staticmethod(rules.validate_ticket_pause)
    ticket = serializers.SlugRelatedField(
        slug_field="ref",
        queryset=Ticket.objects.all(),
        error_messages={"does_not_exist": "No ticket “{value}” that you may work on."},
    )

    class Meta:
        model = TicketPause
        fields = ("id", "ticket", "paused_at", "resumed_at")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["ticket"].queryset = policies.tickets_for(request.user, policies.CHANGE)
        return fields


class TicketEventSerializer(serializers.ModelSerializer):
    """One status change of a ticket (written when the status changes; read-only)."""

    ticket = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TicketEvent
        fields = ("id", "ticket", "at", "from_status", "to_status", "by", "note")
        read_only_fields = fields
