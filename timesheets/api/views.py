"""API views of employees (read-only) and time entries.

Staff read and write their own entries, managers also their team's, executives read
every entry and write their own, superusers everything. An entry in a week whose
timesheet is approved is locked: creating, changing or deleting it is a 403 for
everyone but superusers (the same rule as the admin).
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.exceptions import PermissionDenied
from rest_framework.serializers import BaseSerializer

from synapse.accounts.roles import ADMIN, user_role
from synapse.api.locks import LOCKED_MESSAGE, time_entry_week_is_locked
from synapse.api.permissions import ReadOnlyRoles, TimeEntryPermission, visible_employee_ids
from synapse.api.viewsets import SynapseModelViewSet, SynapseReadOnlyViewSet, documented
from timesheets.api import filters, serializers
from timesheets.models import Employee, TimeEntry

EMPLOYEE_ACCESS = (
    "Read-only. Staff see themselves, managers themselves and their team, executives "
    "and administrators everyone."
)
ENTRY_ACCESS = (
    "Staff read and write their own entries; managers also their team's; executives "
    "read all and write their own; administrators everything. Entries in a week whose "
    "timesheet is approved are locked (403) for all but administrators."
)


def _scoped(queryset: QuerySet, user: object, lookup: str) -> QuerySet:
    """Return ``queryset`` narrowed to the employees ``user`` may see."""
    ids = visible_employee_ids(user)
    return queryset if ids is None else queryset.filter(**{f"{lookup}__in": ids})


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
        return _scoped(employees, self.request.user, "pk")


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
        return _scoped(entries, self.request.user, "employee")

    def _refuse_locked(self, employee: Employee, day: object) -> None:
        """Raise 403 when the week of ``day`` is approved for ``employee`` (not for admins)."""
        if user_role(self.request.user) == ADMIN:
            return
        if time_entry_week_is_locked(employee=employee, day=day):
            raise PermissionDenied(LOCKED_MESSAGE.format(day=day))

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
