"""Admin for employees, rates, holidays, leave, timesheets and time entries, and the money
mixins every admin with money in it uses.

Superusers do everything here (time entries and timesheets keep their history with
django-simple-history). Anyone else with admin permissions gets the reach of their
role from ``timesheets.policies``, as on every other surface: the people and entries
they may see, entries of a submitted or approved week read-only, the targets they may
book to, and no money unless they are an executive.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from synapse.admin_tools import SynapseModelAdmin
from timesheets import policies
from timesheets.models import Employee, Holiday, Leave, Rate, TimeEntry, Timesheet
from timesheets.services import timesheets_approve


def _may_see_money(request: HttpRequest) -> bool:
    return policies.may_see_money(request.user)


class MoneyHiddenMixin:
    """Leave ``money_fields`` out of the list and the form for users who may not see money.

    For model admins and inlines alike; who may see money is
    ``policies.may_see_money`` (executives and superusers).
    """

    money_fields: tuple[str, ...] = ()

    def get_list_display(self, request: HttpRequest) -> tuple:
        columns = tuple(super().get_list_display(request))  # type: ignore[misc]
        if _may_see_money(request):
            return columns
        return tuple(name for name in columns if name not in self.money_fields)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple:
        fields = tuple(super().get_fields(request, obj))  # type: ignore[misc]
        if _may_see_money(request):
            return fields
        return tuple(name for name in fields if name not in self.money_fields)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> tuple:
        excluded = tuple(super().get_exclude(request, obj) or ())  # type: ignore[misc]
        return excluded if _may_see_money(request) else excluded + self.money_fields


class MoneyOnlyMixin:
    """An admin (or inline) of records that are money through and through (rates,
    overheads): hidden from users who may not see money."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) and _may_see_money(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_view_permission(request, obj)  # type: ignore[misc]
        return allowed and _may_see_money(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)  # type: ignore[misc]
        return allowed and _may_see_money(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        allowed = super().has_add_permission(request, *args)  # type: ignore[misc]
        return allowed and _may_see_money(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)  # type: ignore[misc]
        return allowed and _may_see_money(request)


class EmployeeScopedAdmin(SynapseModelAdmin):
    """An admin of rows that belong to an employee: narrowed to the people ``user`` sees."""

    employee_path = "employee"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        rows = super().get_queryset(request)
        return policies.restrict(rows, request.user, policies.VIEW, via=self.employee_path)


class RateInline(MoneyOnlyMixin, admin.TabularInline):
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
class EmployeeAdmin(EmployeeScopedAdmin):
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
    employee_path = ""

    @admin.display(description="username", ordering="user__username")
    def username(self, obj: Employee) -> str:
        """Return the employee's login name."""
        return obj.user.username


@admin.register(Rate)
class RateAdmin(MoneyOnlyMixin, EmployeeScopedAdmin):
    """Every employee's rates (saving one recosts that employee's time entries): money."""

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
class LeaveAdmin(EmployeeScopedAdmin):
    """Leave taken by every employee."""

    list_display = ("employee", "date", "hours")
    list_select_related = ("employee",)
    search_fields = ("employee__full_name", "employee__user__username")
    date_hierarchy = "date"
    autocomplete_fields = ("employee",)


@admin.register(Timesheet)
class TimesheetAdmin(EmployeeScopedAdmin):
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
    """The time-entry form, checked for ``user`` with ``timesheets.policies``.

    Refused: an entry of someone whose time ``user`` may not change, in a week that is
    submitted or approved (before or after the change; superusers may), or booked to a
    project, contract or ticket ``user`` may not book to.
    """

    user: Any = None

    class Meta:
        model = TimeEntry
        fields = EDITABLE_ENTRY_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        employee, day = cleaned.get("employee"), cleaned.get("date")
        if employee is not None and not policies.may_change_time_of(self.user, employee):
            raise forms.ValidationError(
                f"You may not log time for {employee}.", code="not_your_time"
            )
        weeks = [(employee, day)]
        if self.instance.pk:
            weeks.append((self.instance.employee_id, self.instance.date))
        for who, when in weeks:
            refused = policies.entry_week_refusal(self.user, employee=who, day=when)
            if refused:
                raise forms.ValidationError(refused, code="week_fixed")
        refused = policies.may_book(
            self.user,
            project_id=getattr(cleaned.get("project"), "pk", None),
            contract_id=getattr(cleaned.get("contract"), "pk", None),
            ticket_id=getattr(cleaned.get("ticket"), "pk", None),
        )
        if refused:
            raise forms.ValidationError(refused, code="not_bookable")
        return cleaned


@admin.register(TimeEntry)
class TimeEntryAdmin(SimpleHistoryAdmin, MoneyHiddenMixin, EmployeeScopedAdmin):
    """Time entries; cost, bill value and cost contract are derived and read-only.

    Entries of a submitted or approved week are read-only for everyone but superusers;
    cost and bill value are shown to those who may see money only.
    """

    money_fields = ("cost", "bill_value")

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
        form.user = request.user
        return form

    def _refusal(self, request: HttpRequest, obj: TimeEntry | None) -> str:
        """Return why ``request.user`` may not change ``obj`` ("" when they may)."""
        if obj is None or obj.pk is None:
            return ""
        if not hasattr(obj, "_refusal"):
            obj._refusal = policies.entry_week_refusal(
                request.user, employee=obj.employee_id, day=obj.date
            )
            if not obj._refusal and not policies.may_change_time_of(request.user, obj.employee_id):
                obj._refusal = "You may read this entry but not change it."
        return obj._refusal

    def _locked_for(self, request: HttpRequest, obj: TimeEntry | None) -> bool:
        return bool(self._refusal(request, obj))

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
            self.message_user(request, self._refusal(request, obj), messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)
