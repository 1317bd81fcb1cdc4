"""Filters of the survey invitation and response lists."""

from __future__ import annotations

import django_filters

from surveys.models import SurveyInvitation, SurveyResponse
from synapse.api.filters import UtcIsoDateTimeFilter


class SurveyInvitationFilter(django_filters.FilterSet):
    """Filter invitations by kind, client, project, ticket and when they were sent."""

    client = django_filters.CharFilter("client__code", help_text="Client code.")
    project = django_filters.CharFilter("project__code", help_text="Project code.")
    ticket = django_filters.CharFilter("ticket__ref", help_text="Ticket ref.")
    sent_after = UtcIsoDateTimeFilter("sent_at", lookup_expr="gte")
    sent_before = UtcIsoDateTimeFilter("sent_at", lookup_expr="lt")
    used = django_filters.BooleanFilter("used_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = SurveyInvitation
        fields = ("kind",)


class SurveyResponseFilter(django_filters.FilterSet):
    """Filter responses by kind, client, project, ticket, score and when they came."""

    client = django_filters.CharFilter("client__code", help_text="Client code.")
    project = django_filters.CharFilter("project__code", help_text="Project code.")
    ticket = django_filters.CharFilter("ticket__ref", help_text="Ticket ref.")
    responded_after = UtcIsoDateTimeFilter("responded_at", lookup_expr="gte")
    responded_before = UtcIsoDateTimeFilter("responded_at", lookup_expr="lt")

    class Meta:
        model = SurveyResponse
        fields = ("kind", "score")
