"""Serializers of survey invitations and responses."""

from __future__ import annotations

from rest_framework import serializers

from projects.models import Client, ClientContact, Project
from support.models import Ticket
from surveys.models import SurveyInvitation, SurveyResponse
from synapse import rules
from synapse.api.serializers import SynapseModelSerializer


class SurveyInvitationSerializer(SynapseModelSerializer):
    """A survey link sent to a client contact, addressed by ``invitation_id``."""

    rule = staticmethod(rules.validate_survey_invitation)
    client = serializers.SlugRelatedField(slug_field="code", queryset=Client.objects.all())
    contact = serializers.PrimaryKeyRelatedField(
        queryset=ClientContact.objects.all(), required=False, allow_null=True
    )
    project = serializers.SlugRelatedField(
        slug_field="code", queryset=Project.objects.all(), required=False, allow_null=True
    )
    ticket = serializers.SlugRelatedField(
        slug_field="ref", queryset=Ticket.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = SurveyInvitation
        fields = (
            "invitation_id",
            "kind",
            "client",
            "contact",
            "contact_email",
            "sent_at",
            "project",
            "ticket",
            "used_at",
        )
        # DRF would make ``project`` and ``ticket`` required for the conditional "once per
        # project/ticket" constraints; the model's own constraint check covers them.
        validators: list = []


class SurveyResponseSerializer(SynapseModelSerializer):
    """A CSAT (1–5) or NPS (0–10) answer, addressed by ``response_id``."""

    rule = staticmethod(rules.validate_survey_response)
    client = serializers.SlugRelatedField(slug_field="code", queryset=Client.objects.all())
    invitation = serializers.SlugRelatedField(
        slug_field="invitation_id",
        queryset=SurveyInvitation.objects.all(),
        required=False,
        allow_null=True,
    )
    project = serializers.SlugRelatedField(
        slug_field="code", queryset=Project.objects.all(), required=False, allow_null=True
    )
    ticket = serializers.SlugRelatedField(
        slug_field="ref", queryset=Ticket.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = SurveyResponse
        fields = (
            "response_id",
            "kind",
            "client",
            "score",
            "responded_at",
            "invitation",
            "project",
            "ticket",
            "comment",
        )
