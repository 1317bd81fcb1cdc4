"""Who may do what through the API: the same rules as the UI (synapse.accounts.roles).

- clients, contracts, projects and their progress, expenses, downtime: every role
  reads; only admins write.
- employees (read-only): staff see themselves, managers themselves and their team,
  executives and admins everyone.
- time entries: staff read and write their own; managers also their team's;
  executives read all and write their own; admins everything.
- tickets, pauses, status events: staff read and write those assigned to them or
  unassigned; managers also their team's; executives read all; admins everything.
- survey invitations and responses: managers and executives read; admins write;
  staff have no access.
- KPI snapshots and live KPIs: staff their own employee scope; managers theirs and
  their team's; executives and admins every scope.

Executives are read-only on reference data (clients, contracts, projects): those are
kept by admins in the Django admin, and the API does not widen that. Like everyone
employed, an executive may log their own time. Entries of an approved week are
refused to everyone but superusers (the same lock as the admin).

Querysets are narrowed by role first (what you cannot see is a 404), then
object-level checks decide writes (what you can see but not change is a 403).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission

if TYPE_CHECKING:  # rest_framework.views imports the permission setting: no cycle at runtime
    from rest_framework.request import Request
    from rest_framework.views import APIView

from synapse.accounts.roles import ADMIN, EXECUTIVE, MANAGER, STAFF, user_role


def employee_of(user: Any) -> Any:
    """Return the user's employee record, or None."""
    return getattr(user, "employee", None)


def visible_employee_ids(user: Any) -> QuerySet | None:
    """Return the ids of employees whose records ``user`` may read; None means everyone."""
    from timesheets.models import Employee

    role = user_role(user)
    if role in (ADMIN, EXECUTIVE):
        return None
    employee = employee_of(user)
    if employee is None:
        return Employee.objects.none().values("pk")
    if role == MANAGER:
        return Employee.objects.filter(Q(pk=employee.pk) | Q(manager=employee)).values("pk")
    return Employee.objects.filter(pk=employee.pk).values("pk")


def writable_employee_ids(user: Any) -> QuerySet | None:
    """Return the ids of employees whose time ``user`` may log or change; None = everyone.

    Staff and executives: themselves; managers: themselves and their team; admins: all.
    """
    from timesheets.models import Employee

    role = user_role(user)
    if role == ADMIN:
        return None
    employee = employee_of(user)
    if employee is None:
        return Employee.objects.none().values("pk")
    if role == MANAGER:
        return Employee.objects.filter(Q(pk=employee.pk) | Q(manager=employee)).values("pk")
    return Employee.objects.filter(pk=employee.pk).values("pk")


def tickets_visible_q(user: Any, *, prefix: str = "") -> Q | None:
    """Return the filter of tickets ``user`` may work on; None means every ticket.

    Staff: assigned to them or unassigned; managers: also their team's; executives and
    admins: all (executives only read them: see ``TicketPermission``).
    """
    role = user_role(user)
    if role in (ADMIN, EXECUTIVE):
        return None
    employees = writable_employee_ids(user)
    return Q(**{f"{prefix}assignee__isnull": True}) | Q(**{f"{prefix}assignee__in": employees})


def visible_usernames(user: Any) -> set[str] | None:
    """Return the usernames whose employee KPI scopes ``user`` may read; None = every scope."""
    from timesheets.models import Employee

    ids = visible_employee_ids(user)
    if ids is None:
        return None
    return set(Employee.objects.filter(pk__in=ids).values_list("user__username", flat=True))


class HasRole(BasePermission):
    """Let in signed-in users with a role (an employee record or superuser status)."""

    message = "Your account is not linked to an employee with a role."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return user_role(request.user) is not None


class AdminWritesOthersRead(HasRole):
    """Reference data: every role reads, only superusers write."""

    write_message = "Only administrators change clients, contracts and projects."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in SAFE_METHODS:
            return True
        self.message = self.write_message
        return user_role(request.user) == ADMIN


class ReadOnlyRoles(HasRole):
    """Read-only resources (employees, KPI snapshots): reading needs a role."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return super().has_permission(request, view) and request.method in SAFE_METHODS


class SurveyPermission(HasRole):
    """Survey data: managers and executives read, superusers write; staff have no access."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        role = user_role(request.user)
        if role in (None, STAFF):
            self.message = "Survey results are for managers, executives and administrators."
            return False
        if request.method in SAFE_METHODS:
            return True
        self.message = "Only administrators change survey invitations and responses."
        return role == ADMIN


class TimeEntryPermission(HasRole):
    """Time entries: everyone with a role logs their own; see ``writable_employee_ids``."""

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        allowed = writable_employee_ids(request.user)
        if allowed is None:
            return True
        self.message = "You may only change your own time entries (managers: their team's)."
        return allowed.filter(pk=obj.employee_id).exists()


class TicketPermission(HasRole):
    """Tickets and their pauses/events: executives read only, others within their scope.

    Deleting a ticket is for superusers only (the app resolves or closes tickets).
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in SAFE_METHODS:
            return True
        role = user_role(request.user)
        if role == EXECUTIVE:
            self.message = "Executives read tickets; they do not change them."
            return False
        if request.method == "DELETE" and getattr(view, "basename", "") == "ticket":
            self.message = "Only administrators delete tickets."
            return role == ADMIN
        return True
