"""API permission classes: each asks the owning app's policy module, and decides nothing else.

The rules live in ``support.policies`` (tickets, their pauses and events, the fields a
direct write may set) and ``timesheets.policies`` (employees, time entries, week states,
what time may be booked to, money); these classes only turn their answers into 403s.

- clients, contracts, projects and their progress, expenses, downtime: every role
  reads; only admins write. Money fields are left out for roles that may not see money.
- employees (read-only), time entries, tickets: ``timesheets.policies`` and
  ``support.policies`` narrow the querysets (what you cannot see is a 404); object
  checks then decide writes (what you can see but not change is a 403).
- survey invitations and responses: managers and executives read; admins write;
  staff have no access.
- KPI snapshots and live KPIs: staff their own employee scope; managers theirs and
  their team's; executives and admins every scope (``timesheets.policies``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

if TYPE_CHECKING:  # rest_framework.views imports the permission setting: no cycle at runtime
    from rest_framework.request import Request
    from rest_framework.views import APIView

from synapse.accounts.roles import ADMIN, STAFF, user_role


def employee_of(user: Any) -> Any:
    """Return the user's employee record, or None."""
    return getattr(user, "employee", None)


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
    """Time entries: writes need ``timesheets.policies.may_change_time_of`` on the entry."""

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        from timesheets import policies

        if request.method in SAFE_METHODS:
            return True
        self.message = "You may only change your own time entries."
        return policies.may_change_time_of(request.user, obj.employee_id)


class TicketPermission(HasRole):
    """Tickets and their pauses/events, as ``support.policies`` decides.

    Opening a ticket: agents and admins; changing one: ``may_work_ticket``; deleting
    one: admins; writing a pause: admins (the waiting transition opens and closes them).
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        from support import policies

        if not super().has_permission(request, view):
            return False
        if request.method in SAFE_METHODS:
            return True
        basename = getattr(view, "basename", "")
        if basename == "ticket-pause" and not policies.may_write_ticket_history(request.user):
            self.message = (
                "Pauses are opened and closed by the ticket's move into and out of "
                "“waiting on customer”; only administrators write them directly."
            )
            return False
        if request.method == "DELETE" and basename == "ticket":
            self.message = "Only administrators delete tickets."
            return policies.may_delete_tickets(request.user)
        # Agents (staff, managers) and admins open and work tickets; executives only read.
        self.message = "Executives read tickets; they do not change them."
        return policies.may_open_ticket(request.user)

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        from support import policies

        if request.method in SAFE_METHODS:
            return True
        ticket = getattr(obj, "ticket", obj)
        if request.method == "DELETE":
            self.message = "Only administrators delete tickets."
            return policies.tickets_for(request.user, policies.DELETE).contains(ticket)
        self.message = "You can read this ticket but not change it."
        return policies.may_work_ticket(request.user, ticket)
