"""Serializers of clients, contracts, projects and their progress, expenses and downtime."""

from __future__ import annotations

from rest_framework import serializers

from projects.models import Client, Contract, Downtime, Project, ProjectExpense, ProjectProgress
from synapse import rules
from synapse.api.serializers import SynapseModelSerializer


class ClientSerializer(SynapseModelSerializer):
    """A client company, addressed by its code."""

    rule = staticmethod(rules.validate_client)

    class Meta:
        model = Client
        fields = ("code", "name", "became_client_on", "churned_on")


class ContractSerializer(SynapseModelSerializer):
    """A managed-services contract; ``client`` is the client's code.

    ``monthly_fee`` is money: only executives and administrators get it (for anyone
    else the key is absent from responses and from their schema).
    """

    money_fields = ("monthly_fee",)
    rule = staticmethod(rules.validate_contract)
    client = serializers.SlugRelatedField(slug_field="code", queryset=Client.objects.all())

    class Meta:
        model = Contract
        fields = ("code", "client", "name", "monthly_fee", "start_date", "end_date")


class ProjectSerializer(SynapseModelSerializer):
    """An integration project; ``client`` is the client's code.

    ``window_start``/``window_end`` are derived from the actual dates (read-only).
    ``revenue`` (the contract value) and ``budget`` (planned direct cost) are money:
    only executives and administrators get them (absent for anyone else, in responses
    and in their schema).
    """

    money_fields = ("revenue", "budget")

    rule = staticmethod(rules.validate_project)
    client = serializers.SlugRelatedField(slug_field="code", queryset=Client.objects.all())

    class Meta:
        model = Project
        fields = (
            "code",
            "client",
            "name",
            "billing",
            "revenue",
            "budget",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "status",
            "requirements_met",
            "user_count",
            "window_start",
            "window_end",
        )
        read_only_fields = ("window_start", "window_end")


class _ProjectChildSerializer(SynapseModelSerializer):
    """A record that belongs to a project, named by the project's code."""

    project = serializers.SlugRelatedField(slug_field="code", queryset=Project.objects.all())


class ProjectProgressSerializer(_ProjectChildSerializer):
    """A progress report: percent complete (0–100) of a project on a date."""

    rule = staticmethod(rules.validate_progress)

    class Meta:
        model = ProjectProgress
        fields = ("id", "project", "date", "percent_complete")


class ProjectExpenseSerializer(_ProjectChildSerializer):
    """A non-labour direct cost of a project, addressed by its ``expense_id``.

    ``amount`` is money: only executives and administrators get it.
    """

    money_fields = ("amount",)

    rule = staticmethod(rules.validate_project_expense)

    class Meta:
        model = ProjectExpense
        fields = ("expense_id", "project", "date", "category", "amount")


class DowntimeSerializer(_ProjectChildSerializer):
    """An interval the client's systems were down, addressed by its ``downtime_id``."""

    rule = staticmethod(rules.validate_downtime)

    class Meta:
        model = Downtime
        fields = ("downtime_id", "project", "started_at", "ended_at")
