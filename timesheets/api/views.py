"""API views of employees (read-only) and time entries.

Who sees and changes what is ``timesheets.policies``: staff read and write their own
entries, managers also their team's, executives read every entry and write their own,
superusers everything. An entry in a week whose timesheet is submitted or approved is
fixed: creating, changing or deleting it is a 403 naming the week's state for everyone
but superusers (whose changes are recorded in the entry's history), the same rule as
the grid and the admin.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from rest_framework.exceptions import PermissionDenied
from rest_framework.serializers import BaseSerializer

from synapse.api.permissions import ReadOnlyRoles, TimeEntryPermission
from synapse.api.viewsets import SynapseModelViewSet, SynapseReadOnlyViewSet, documented
from timesheets import policies
from timesheets.api import filters, serializers
from timesheets.models import Employee, TimeEntry

EMPLOYEE_ACCESS = (
    "Read-only. Staff see themselves, managers themselves and their team, executives "
    "and administrators everyone."
)
ENTRY_ACCESS = (
    "Staff read and write their own entries; managers also their team's; executives "
    "read all and write their own; administrators everything. Entries in a week whose "
    "timesheet is submitted or approved cannot change (403) for all but administrators. "
    "Cost and bill value are shown to executives and administrators only."
)


@documented("employee", "employees", writes=EMPLOYEE_ACCESS, read_only=True)
class EmployeeViewSet(SynapseReadOnlyViewSet):
    """Employees, addressed by username."""

    serializer_class = serializers.EmployeeSerializer
    permission_classes = [ReadOnlyRoles]
    filterset_class = filters.EmployeeFilter
    ordering_fields = ("full_name", "employed_from", "role")
    lookup_field = "user__username"
    lookup_url_kwarg = "username"
    queryset = Employee.objects.none()

    def get_queryset(self) -> QuerySet[Employee]:
        employees = Employee.objects.select_related("user", "manager__user")
        return policies.restrict(employees, self.request.user, policies.VIEW)


@documented("time entry", "time entries", writes=ENTRY_ACCESS)
class TimeEntryViewSet(SynapseModelViewSet):
    """Time entries, addressed by ``entry_id``."""

    serializer_class = serializers.TimeEntrySerializer
    permission_classes = [TimeEntryPermission]
    filterset_class = filters.TimeEntryFilter
    ordering_fields = ("date", "hours", "entry_id")
    lookup_field = "entry_id"
    queryset = TimeEntry.objects.none()

    def get_queryset(self) -> QuerySet[TimeEntry]:
        entries = TimeEntry.objects.select_related(
            "employee__user", "project", "contract", "ticket", "cost_contract"
        )
        return policies.restrict(entries, self.request.user, policies.VIEW, via="employee")

    def _refuse_locked(self, employee: Employee, day: dt.date) -> None:
        """Raise 403 when ``employee``'s week of ``day`` may not change for the caller."""
        refused = policies.entry_week_refusal(self.request.user, employee=employee, day=day)
        if refused:
            raise PermissionDenied(refused)

    def perform_create(self, serializer: BaseSerializer) -> None:
        data = serializer.validated_data
        self._refuse_locked(data["employee"], data["date"])
        serializer.save()

    def perform_update(self, serializer: BaseSerializer) -> None:
        entry, data = serializer.instance, serializer.validated_data
        self._refuse_locked(entry.employee, entry.date)
        self._refuse_locked(data.get("employee", entry.employee), data.get("date", entry.date))
        serializer.save()

    def perform_destroy(self, instance: TimeEntry) -> None:
        self._refuse_locked(instance.employee, instance.date)
        super().perform_destroy(instance)
