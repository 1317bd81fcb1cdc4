"""Admin for employees, rates, holidays, leave, timesheets and time entries.

Time entries of a week whose timesheet is approved are locked (issue 5): only
superusers may add, change or delete them here. The lock and the approval are
``timesheets.services`` functions, shared with the weekly grid and the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from synapse.admin_tools import SynapseModelAdmin
from timesheets.models import Employee, Holiday, Leave, Rate, TimeEntry, Timesheet
from timesheets.services import LOCKED_MESSAGE, timesheet_week_is_locked, timesheets_approve


def timesheet_week_is_approved(*, employee_id: int | None, date: dt.date | None) -> bool:
    """Return whether ``employee_id``'s week holding ``date`` is locked (approved).

    The rule lives in ``timesheets.services.timesheet_week_is_locked``.
    """
    return timesheet_week_is_locked(employee=employee_id, day=date)


class RateInline(admin.TabularInline):
    """The employee's rate history (saving one recosts their time entries)."""

    model = Rate
    extra = 0
    fields = ("effective_from", "cost_rate", "bill_rate")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Rate]:
        # Each row's str() names its employee.
        return super().get_queryset(request).select_related("employee")


class LeaveInline(admin.TabularInline):
    """The employee's leave days."""

    model = Leave
    extra = 0
    fields = ("date", "hours")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Leave]:
        return super().get_queryset(request).select_related("employee")


@admin.register(Employee)
class EmployeeAdmin(SynapseModelAdmin):
    """Employees: pick their login user by autocomplete; rates and leave inline."""

    list_display = (
        "full_name",
        "username",
        "role",
        "manager",
        "hours_per_day",
        "employed_from",
        "employed_until",
    )
    list_select_related = ("user", "manager")
    search_fields = ("full_name", "email", "user__username")
    list_filter = ("role", ("employed_until", admin.EmptyFieldListFilter))
    date_hierarchy = "employed_from"
    autocomplete_fields = ("user", "manager")
    inlines = [RateInline, LeaveInline]

    @admin.display(description="username", ordering="user__username")
    def username(self, obj: Employee) -> str:
        """Return the employee's login name."""
        return obj.user.username


@admin.register(Rate)
class RateAdmin(SynapseModelAdmin):
    """Every employee's rates (saving one recosts that employee's time entries)."""

    list_display = ("employee", "effective_from", "cost_rate", "bill_rate")
    list_select_related = ("employee",)
    search_fields = ("employee__full_name", "employee__user__username")
    date_hierarchy = "effective_from"
    autocomplete_fields = ("employee",)


@admin.register(Holiday)
class HolidayAdmin(SynapseModelAdmin):
    """Company holidays."""

    list_display = ("date", "name")
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(Leave)
class LeaveAdmin(SynapseModelAdmin):
    """Leave taken by every employee."""

    list_display = ("employee", "date", "hours")
    list_select_related = ("employee",)
    search_fields = ("employee__full_name", "employee__user__username")
    date_hierarchy = "date"
    autocomplete_fields = ("employee",)


@admin.register(Timesheet)
class TimesheetAdmin(SynapseModelAdmin):
    """Weekly timesheets and their approval; superusers can approve in bulk."""

    list_display = (
        "employee",
        "week_start",
        "status",
        "submitted_at",
        "decided_at",
        "decided_by",
    )
    list_select_related = ("employee", "decided_by")
    search_fields = ("employee__full_name", "employee__user__username")
    list_filter = ("status",)
    date_hierarchy = "week_start"
    autocomplete_fields = ("employee", "decided_by")
    readonly_fields = ("version",)
    actions = [*SynapseModelAdmin.actions, "approve"]

    @admin.action(description="Approve the selected submitted timesheets", permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Timesheet]) -> None:
        """Approve the selected submitted timesheets, as the current user."""
        approved, skipped = timesheets_approve(
            timesheets=queryset, by=request.user, now=timezone.now()
        )
        self.message_user(request, f"{approved} timesheet(s) approved.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} timesheet(s) not submitted were left as they are.",
                messages.WARNING,
            )

    def has_approve_permission(self, request: HttpRequest) -> bool:
        """Let superusers only approve from the admin (managers approve in the app)."""
        return request.user.is_superuser


EDITABLE_ENTRY_FIELDS = (
    "entry_id",
    "employee",
    "date",
    "hours",
    "billable",
    "activity",
    "project",
    "contract",
    "ticket",
    "note",
)


class TimeEntryAdminForm(forms.ModelForm):
    """The time-entry form; refuses entries in an approved week unless ``lock_applies`` is off."""

    lock_applies = True

    class Meta:
        model = TimeEntry
        fields = EDITABLE_ENTRY_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.lock_applies:
            employee = cleaned.get("employee")
            date = cleaned.get("date")
            if employee is not None and timesheet_week_is_locked(employee=employee, day=date):
                raise forms.ValidationError(LOCKED_MESSAGE, code="week_approved")
        return cleaned


@admin.register(TimeEntry)
class TimeEntryAdmin(SimpleHistoryAdmin, SynapseModelAdmin):
    """Time entries; cost, bill value and cost contract are derived and read-only.

    Entries of an approved week are read-only for everyone but superusers.
    """

    form = TimeEntryAdminForm
    list_display = (
        "entry_id",
        "employee",
        "date",
        "hours",
        "billable",
        "activity",
        "project",
        "contract",
        "ticket",
        "cost",
        "bill_value",
    )
    list_select_related = ("employee", "project", "contract", "ticket")
    search_fields = (
        "entry_id",
        "note",
        "employee__full_name",
        "employee__user__username",
        "project__code",
        "contract__code",
        "ticket__ref",
    )
    list_filter = ("activity", "billable", "employee__role")
    date_hierarchy = "date"
    autocomplete_fields = ("employee", "project", "contract", "ticket")
    readonly_fields = ("cost", "bill_value", "cost_contract")
    fields = (*EDITABLE_ENTRY_FIELDS, "cost", "bill_value", "cost_contract")
    # Counting a million rows on every page is slow; the paginator shows "Show all" instead.
    show_full_result_count = False

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        # modelform_factory returns a new class per call: setting this is per request.
        form.lock_applies = not request.user.is_superuser
        return form

    def _locked_for(self, request: HttpRequest, obj: TimeEntry | None) -> bool:
        """Return whether ``obj`` is in an approved week and ``request.user`` is no superuser."""
        if obj is None or obj.pk is None or request.user.is_superuser:
            return False
        if not hasattr(obj, "_week_approved"):
            obj._week_approved = timesheet_week_is_locked(employee=obj.employee_id, day=obj.date)
        return obj._week_approved

    def has_change_permission(self, request: HttpRequest, obj: TimeEntry | None = None) -> bool:
        return super().has_change_permission(request, obj) and not self._locked_for(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: TimeEntry | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not self._locked_for(request, obj)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ):
        obj = self.get_object(request, object_id)
        if request.method == "GET" and self._locked_for(request, obj):
            self.message_user(request, LOCKED_MESSAGE, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)
