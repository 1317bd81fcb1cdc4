"""Admin for survey invitations and responses."""

from __future__ import annotations

from django.contrib import admin

from surveys.models import SurveyInvitation, SurveyResponse
from synapse.admin_tools import SynapseModelAdmin


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(SynapseModelAdmin):
    """Survey links sent to client contacts."""

    list_display = (
        "invitation_id",
        "kind",
        "client",
        "contact_email",
        "sent_at",
        "project",
        "ticket",
        "used_at",
    )
    list_select_related = ("client", "project", "ticket")
    search_fields = (
        "invitation_id",
        "contact_email",
        "client__code",
        "client__name",
        "project__code",
        "ticket__ref",
    )
    list_filter = ("kind", ("used_at", admin.EmptyFieldListFilter))
    date_hierarchy = "sent_at"
    autocomplete_fields = ("client", "contact", "project", "ticket")


@admin.register(SurveyResponse)
class SurveyResponseAdmin(SynapseModelAdmin):
    """Clients' CSAT and NPS answers."""

    list_display = (
        "response_id",
        "kind",
        "score",
        "client",
        "responded_at",
        "project",
        "ticket",
    )
    list_select_related = ("client", "project", "ticket")
    search_fields = (
        "response_id",
        "comment",
        "client__code",
        "client__name",
        "project__code",
        "ticket__ref",
    )
    list_filter = ("kind", "score")
    date_hierarchy = "responded_at"
    autocomplete_fields = ("client", "invitation", "project", "ticket")
