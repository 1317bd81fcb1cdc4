"""Filters of the project API lists."""

from __future__ import annotations

import django_filters

from projects.models import Client, Contract, Downtime, Project, ProjectExpense, ProjectProgress
from synapse.api.filters import UtcIsoDateTimeFilter


class ClientFilter(django_filters.FilterSet):
    """Filter clients by name, start date and whether they churned."""

    name = django_filters.CharFilter(lookup_expr="icontains")
    became_client_after = django_filters.DateFilter("became_client_on", lookup_expr="gte")
    became_client_before = django_filters.DateFilter("became_client_on", lookup_expr="lte")
    churned = django_filters.BooleanFilter("churned_on", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Client
        fields = ("code",)


class ContractFilter(django_filters.FilterSet):
    """Filter contracts by client and by their dates."""

    client = django_filters.CharFilter("client__code", help_text="Client code.")
    start_after = django_filters.DateFilter("start_date", lookup_expr="gte")
    start_before = django_filters.DateFilter("start_date", lookup_expr="lte")

    class Meta:
        model = Contract
        fields = ("code",)


class ProjectFilter(django_filters.FilterSet):
    """Filter projects by client, status, billing and their actual end."""

    client = django_filters.CharFilter("client__code", help_text="Client code.")
    actual_end_after = django_filters.DateFilter("actual_end", lookup_expr="gte")
    actual_end_before = django_filters.DateFilter("actual_end", lookup_expr="lte")

    class Meta:
        model = Project
        fields = ("code", "status", "billing", "requirements_met")


class _ByProjectAndDate(django_filters.FilterSet):
    project = django_filters.CharFilter("project__code", help_text="Project code.")
    date_after = django_filters.DateFilter("date", lookup_expr="gte")
    date_before = django_filters.DateFilter("date", lookup_expr="lte")


class ProjectProgressFilter(_ByProjectAndDate):
    """Filter progress reports by project and date."""

    class Meta:
        model = ProjectProgress
        fields = ("project",)


class ProjectExpenseFilter(_ByProjectAndDate):
    """Filter expenses by project, date and category."""

    class Meta:
        model = ProjectExpense
        fields = ("project", "category")


class DowntimeFilter(django_filters.FilterSet):
    """Filter downtime by project and start time."""

    project = django_filters.CharFilter("project__code", help_text="Project code.")
    started_after = UtcIsoDateTimeFilter("started_at", lookup_expr="gte")
    started_before = UtcIsoDateTimeFilter("started_at", lookup_expr="lt")

    class Meta:
        model = Downtime
        fields = ("project",)
