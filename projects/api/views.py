"""API views of clients, contracts, projects and their progress, expenses and downtime.

Every role reads them; only superusers write (executives included: clients,
contracts and projects are kept by administrators).
"""

from __future__ import annotations

from projects.api import filters, serializers
from projects.models import Client, Contract, Downtime, Project, ProjectExpense, ProjectProgress
from synapse.api.permissions import AdminWritesOthersRead
from synapse.api.viewsets import SynapseModelViewSet, documented

WRITES = "Every role reads; only administrators (superusers) create, change or delete."


@documented("client", "clients", writes=WRITES)
class ClientViewSet(SynapseModelViewSet):
    """Client companies, addressed by code."""

    queryset = Client.objects.all()
    serializer_class = serializers.ClientSerializer
    permission_classes = [AdminWritesOthersRead]
    filterset_class = filters.ClientFilter
    ordering_fields = ("code", "name", "became_client_on", "churned_on")
    lookup_field = "code"


@documented("contract", "contracts", writes=WRITES)
class ContractViewSet(SynapseModelViewSet):
    """Managed-services contracts, addressed by code."""

    queryset = Contract.objects.select_related("client")
    serializer_class = serializers.ContractSerializer
    permission_classes = [AdminWritesOthersRead]
    filterset_class = filters.ContractFilter
    ordering_fields = ("code", "start_date", "end_date", "monthly_fee")
    lookup_field = "code"


@documented("project", "projects", writes=WRITES)
class ProjectViewSet(SynapseModelViewSet):
    """Integration projects, addressed by code."""

    queryset = Project.objects.select_related("client")
    serializer_class = serializers.ProjectSerializer
    permission_classes = [AdminWritesOthersRead]
    filterset_class = filters.ProjectFilter
    ordering_fields = ("code", "planned_start", "actual_start", "actual_end", "status")
    lookup_field = "code"


@documented("progress report", "progress reports", writes=WRITES)
class ProjectProgressViewSet(SynapseModelViewSet):
    """Progress reports of projects, addressed by id."""

    queryset = ProjectProgress.objects.select_related("project")
    serializer_class = serializers.ProjectProgressSerializer
    permission_classes = [AdminWritesOthersRead]
    filterset_class = filters.ProjectProgressFilter
    ordering_fields = ("date", "percent_complete")


@documented("project expense", "project expenses", writes=WRITES)
class ProjectExpenseViewSet(SynapseModelViewSet):
    """Non-labour project costs, addressed by ``expense_id``."""

    queryset = ProjectExpense.objects.select_related("project")
    serializer_class = serializers.ProjectExpenseSerializer
    permission_classes = [AdminWritesOthersRead]
    filterset_class = filters.ProjectExpenseFilter
    ordering_fields = ("date", "expense_id", "amount")
    lookup_field = "expense_id"


@documented("downtime interval", "downtime intervals", writes=WRITES)
class DowntimeViewSet(SynapseModelViewSet):
    """Client-system downtime during integration, addressed by ``downtime_id``."""

    queryset = Downtime.objects.select_related("project")
    serializer_class = serializers.DowntimeSerializer
    permission_classes = [AdminWritesOthersRead]
    filterset_class = filters.DowntimeFilter
    ordering_fields = ("started_at", "ended_at", "downtime_id")
    lookup_field = "downtime_id"
