"""API views of survey invitations and responses.

Managers and executives read them, superusers write them (e.g. answers collected by
another tool); staff have no access. Clients answer through the signed survey link,
not through the API.
"""

from __future__ import annotations

from surveys.api import filters, serializers
from surveys.models import SurveyInvitation, SurveyResponse
from synapse.api.permissions import SurveyPermission
from synapse.api.viewsets import SynapseModelViewSet, documented

ACCESS = "Managers and executives read; administrators write; staff have no access."


@documented("survey invitation", "survey invitations", writes=ACCESS)
class SurveyInvitationViewSet(SynapseModelViewSet):
    """Survey invitations, addressed by ``invitation_id``."""

    queryset = SurveyInvitation.objects.select_related("client", "project", "ticket")
    serializer_class = serializers.SurveyInvitationSerializer
    permission_classes = [SurveyPermission]
    filterset_class = filters.SurveyInvitationFilter
    ordering_fields = ("sent_at", "invitation_id")
    lookup_field = "invitation_id"


@documented("survey response", "survey responses", writes=ACCESS)
class SurveyResponseViewSet(SynapseModelViewSet):
    """Survey responses, addressed by ``response_id``."""

    queryset = SurveyResponse.objects.select_related("client", "invitation", "project", "ticket")
    serializer_class = serializers.SurveyResponseSerializer
    permission_classes = [SurveyPermission]
    filterset_class = filters.SurveyResponseFilter
    ordering_fields = ("responded_at", "score", "response_id")
    lookup_field = "response_id"
