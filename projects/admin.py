"""Admin for clients, contacts, contracts, projects and their records, and overheads."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from projects.models import (
    Client,
    ClientContact,
    Contract,
    Downtime,
    Overhead,
    Project,
    ProjectExpense,
    ProjectProgress,
)
from synapse.admin_tools import SynapseModelAdmin
from timesheets.admin import MoneyHiddenMixin, MoneyOnlyMixin


class ClientContactInline(admin.TabularInline):
    """The client's contacts, edited on the client's page."""

    model = ClientContact
    extra = 0
    fields = ("name", "email", "role", "is_active")


class ContractInline(MoneyHiddenMixin, admin.TabularInline):
    """The client's managed-services contracts, edited on the client's page."""

    money_fields = ("monthly_fee",)
    model = Contract
    extra = 0
    fields = ("code", "name", "monthly_fee", "start_date", "end_date")
    show_change_link = True


@admin.register(Client)
class ClientAdmin(SynapseModelAdmin):
    """Client companies, with their contacts and contracts inline."""

    list_display = ("code", "name", "became_client_on", "churned_on")
    search_fields = ("code", "name")
    list_filter = (("churned_on", admin.EmptyFieldListFilter),)
    date_hierarchy = "became_client_on"
    inlines = [ClientContactInline, ContractInline]


@admin.register(ClientContact)
class ClientContactAdmin(SynapseModelAdmin):
    """People at clients who receive survey invitations."""

    list_display = ("name", "email", "client", "role", "is_active")
    list_select_related = ("client",)
    search_fields = ("name", "email", "client__code", "client__name")
    list_filter = ("role", "is_active")
    autocomplete_fields = ("client",)
    actions = [*SynapseModelAdmin.actions, "mark_inactive", "mark_active"]

    @admin.action(
        description="Stop sending surveys to the selected contacts", permissions=["change"]
    )
    def mark_inactive(self, request: HttpRequest, queryset: QuerySet[ClientContact]) -> None:
        """Mark the selected contacts inactive."""
        count = queryset.update(is_active=False)
        self.message_user(request, f"{count} contact(s) marked inactive.", messages.SUCCESS)

    @admin.action(description="Send surveys to the selected contacts again", permissions=["change"])
    def mark_active(self, request: HttpRequest, queryset: QuerySet[ClientContact]) -> None:
        """Mark the selected contacts active."""
        count = queryset.update(is_active=True)
        self.message_user(request, f"{count} contact(s) marked active.", messages.SUCCESS)


@admin.register(Contract)
class ContractAdmin(SimpleHistoryAdmin, MoneyHiddenMixin, SynapseModelAdmin):
    """Recurring managed-services contracts (the fee is shown to those who see money)."""

    money_fields = ("monthly_fee",)
    list_display = ("code", "name", "client", "monthly_fee", "start_date", "end_date")
    list_select_related = ("client",)
    search_fields = ("code", "name", "client__code", "client__name")
    list_filter = (("end_date", admin.EmptyFieldListFilter),)
    date_hierarchy = "start_date"
    autocomplete_fields = ("client",)


class ProjectProgressInline(admin.TabularInline):
    """The project's progress reports."""

    model = ProjectProgress
    extra = 0
    fields = ("date", "percent_complete")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProjectProgress]:
        # Each row's str() names its project.
        return super().get_queryset(request).select_related("project")


class ProjectExpenseInline(MoneyHiddenMixin, admin.TabularInline):
    """The project's non-labour direct costs (amounts for those who see money)."""

    money_fields = ("amount",)
    model = ProjectExpense
    extra = 0
    fields = ("expense_id", "date", "category", "amount")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProjectExpense]:
        return super().get_queryset(request).select_related("project")


class DowntimeInline(admin.TabularInline):
    """Intervals the client's systems were down during the project."""

    model = Downtime
    extra = 0
    fields = ("downtime_id", "started_at", "ended_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Downtime]:
        return super().get_queryset(request).select_related("project")


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin, MoneyHiddenMixin, SynapseModelAdmin):
    """Integration projects, with progress, expenses and downtime inline.

    Revenue and budget are shown to those who see money only.
    """

    money_fields = ("revenue", "budget")
    list_display = (
        "code",
        "name",
        "client",
        "billing",
        "status",
        "revenue",
        "budget",
        "planned_start",
        "planned_end",
        "actual_start",
        "actual_end",
        "requirements_met",
    )
    list_select_related = ("client",)
    search_fields = ("code", "name", "client__code", "client__name")
    list_filter = ("status", "billing", "requirements_met")
    date_hierarchy = "planned_start"
    autocomplete_fields = ("client",)
    # Derived from the actual dates by projects.services.
    readonly_fields = ("window_start", "window_end")
    inlines = [ProjectProgressInline, ProjectExpenseInline, DowntimeInline]


@admin.register(ProjectProgress)
class ProjectProgressAdmin(SynapseModelAdmin):
    """Progress reports of every project."""

    list_display = ("project", "date", "percent_complete")
    list_select_related = ("project",)
    search_fields = ("project__code", "project__name")
    date_hierarchy = "date"
    autocomplete_fields = ("project",)


@admin.register(ProjectExpense)
class ProjectExpenseAdmin(MoneyHiddenMixin, SynapseModelAdmin):
    """Non-labour direct costs of every project (amounts for those who see money)."""

    money_fields = ("amount",)
    list_display = ("expense_id", "project", "date", "category", "amount")
    list_select_related = ("project",)
    search_fields = ("expense_id", "category", "project__code", "project__name")
    list_filter = ("category",)
    date_hierarchy = "date"
    autocomplete_fields = ("project",)


@admin.register(Downtime)
class DowntimeAdmin(SynapseModelAdmin):
    """Client-system downtime during integration, for every project."""

    list_display = ("downtime_id", "project", "started_at", "ended_at")
    list_select_related = ("project",)
    search_fields = ("downtime_id", "project__code", "project__name")
    date_hierarchy = "started_at"
    autocomplete_fields = ("project",)


@admin.register(Overhead)
class OverheadAdmin(MoneyOnlyMixin, SynapseModelAdmin):
    """Indirect costs per month and category (money: for those who see money only)."""

    list_display = ("month", "category", "amount")
    list_filter = ("category",)
    search_fields = ("category",)
    date_hierarchy = "month"
