"""Who may see and change which tickets, and which ticket fields: the only place it is decided.

Every surface calls these functions — the desk's pages and HTMX panels, the REST API's
viewsets and serializers, the admin, the timesheet grid (tickets time is booked to) —
in the manner of NetBox's ``RestrictedQuerySet.restrict(user, action)``:

- ``view``: staff see tickets assigned to them or unassigned; managers also their
  direct reports'; executives and superusers every ticket. Anyone else: none.
- ``change`` (work a ticket through the desk's actions): the same reach as ``view``
  for staff and managers; executives change nothing; superusers everything.
- ``delete``: superusers only (the desk resolves or closes tickets).

A ticket's history — when it was opened, first answered and resolved, its status on
creation, how often it was reopened, whether it was escalated or resolved on first
contact — and every SLA field derived from it are moved only by the desk's actions
with the real time (``support.services``: open, first agent comment, transitions,
pauses, escalate). Only superusers may write them directly (a history import); their
writes are recorded by django-simple-history with the user.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet

from support.models import Ticket
from synapse.accounts.roles import ADMIN, EXECUTIVE, MANAGER, STAFF, user_role
from timesheets.models import Employee

VIEW = "view"
CHANGE = "change"
DELETE = "delete"
ACTIONS = (VIEW, CHANGE, DELETE)

#: A ticket's history: set by the desk's actions with the real time, or by a superuser.
HISTORY_FIELDS = (
    "opened_at",
    "first_response_at",
    "resolved_at",
    "status",
    "reopened_count",
    "escalated",
    "first_contact_resolved",
)
#: Derived by the SLA clock from the history (``support.services.ticket_sla_evaluate``).
SLA_FIELDS = (
    "response_due_at",
    "resolution_due_at",
    "response_met",
    "resolution_met",
    "sla_decided_at",
    "sla_met",
)
PROTECTED_FIELDS = HISTORY_FIELDS + SLA_FIELDS

#: What a new ticket starts with: sending these values sets nothing.
NEW_TICKET_VALUES: dict[str, Any] = {
    "status": Ticket.Status.NEW,
    "reopened_count": 0,
    "escalated": False,
    "first_contact_resolved": False,
    "first_response_at": None,
    "resolved_at": None,
}


def _employee(user: Any) -> Employee | None:
    return getattr(user, "employee", None) if getattr(user, "is_authenticated", False) else None


def _reach(user: Any, action: str) -> Q | None:
    """Return the condition on a ticket for ``user`` and ``action``; None means every ticket.

    The one statement of the rule (``may_work_ticket`` is its twin for one ticket in
    memory and must say the same).
    """
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    role = user_role(user)
    if role == ADMIN:
        return None
    if role == EXECUTIVE and action == VIEW:
        return None
    employee = _employee(user)
    if action == DELETE or employee is None or role not in (STAFF, MANAGER):
        return Q(pk__in=[])
    mine = Q(assignee__isnull=True) | Q(assignee=employee)
    if role == MANAGER:
        return mine | Q(assignee__manager=employee)
    return mine


def restrict(queryset: QuerySet, user: Any, action: str = VIEW, *, via: str = "") -> QuerySet:
    """Return ``queryset`` narrowed to rows whose ticket ``user`` may ``action``.

    ``via`` is the path from the rows to their ticket (``"ticket"`` for pauses, events,
    comments and time entries; empty for tickets themselves).
    """
    condition = _reach(user, action)
    if condition is None:
        return queryset
    if not via:
        return queryset.filter(condition)
    return queryset.filter(**{f"{via}__in": Ticket.objects.filter(condition).values("pk")})


def tickets_for(user: Any, action: str = VIEW) -> QuerySet[Ticket]:
    """Return the tickets ``user`` may ``action`` (``view``, ``change`` or ``delete``)."""
    return restrict(Ticket.objects.all(), user, action)


def may_work_ticket(user: Any, ticket: Ticket) -> bool:
    """Return whether ``user`` may change ``ticket`` through the desk's actions.

    The ``change`` reach of ``tickets_for`` for one ticket already loaded (no query
    beyond the assignee's manager id).
    """
    role = user_role(user)
    if role == ADMIN:
        return True
    employee = _employee(user)
    if employee is None or role not in (STAFF, MANAGER):
        return False
    if ticket.assignee_id is None or ticket.assignee_id == employee.pk:
        return True
    return role == MANAGER and ticket.assignee.manager_id == employee.pk


def may_open_ticket(user: Any) -> bool:
    """Return whether ``user`` may open tickets: agents (staff, managers) and superusers."""
    return user_role(user) in (ADMIN, STAFF, MANAGER)


def may_reassign_ticket(user: Any) -> bool:
    """Return whether ``user`` may give a ticket to someone else or unassign it."""
    return user_role(user) in (ADMIN, MANAGER)


def ticket_assignees_for(user: Any) -> QuerySet[Employee]:
    """Return the employees ``user`` may assign a ticket to.

    Superusers: every current staff member or manager. Managers: themselves and their
    team. Staff: only themselves (taking an unassigned ticket). Others: nobody.
    """
    role = user_role(user)
    agents = Employee.objects.filter(role__in=(STAFF, MANAGER), employed_until__isnull=True)
    if role == ADMIN:
        return agents.select_related("user")
    employee = _employee(user)
    if employee is None:
        return Employee.objects.none()
    if role == MANAGER:
        return agents.filter(Q(pk=employee.pk) | Q(manager=employee)).select_related("user")
    if role == STAFF:
        return agents.filter(pk=employee.pk).select_related("user")
    return Employee.objects.none()


def ticket_assign_refusal(
    user: Any, *, ticket: Ticket, assignee: Employee | None
) -> tuple[str, bool]:
    """Return why ``user`` may not give ``ticket`` to ``assignee`` (None: unassign).

    ``("", False)`` when they may; else the message and whether it is the role that
    forbids it (True) or the chosen person (False).

    Staff only take an unassigned ticket themselves; managers reassign to themselves or
    their team, or unassign; superusers assign anyone. (Moving a resolved ticket off
    one's own name would move one's MTTR without doing any work.)
    """
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return "", False
    if ticket.assignee_id is not None and not may_reassign_ticket(user):
        return "Only a manager can reassign a ticket.", True
    if assignee is None and not may_reassign_ticket(user):
        return "Only a manager can unassign a ticket.", True
    if assignee is not None and not ticket_assignees_for(user).filter(pk=assignee.pk).exists():
        return f"You cannot assign tickets to {assignee.full_name}.", False
    return "", False


def may_delete_tickets(user: Any) -> bool:
    """Return whether ``user`` may delete tickets at all (superusers; the desk closes them)."""
    return user_role(user) == ADMIN


def may_write_ticket_history(user: Any) -> bool:
    """Return whether ``user`` may set a ticket's history directly (superusers, audited).

    Everyone else moves it only through the desk's actions; this also covers the
    "waiting on customer" pauses, which the waiting transition opens and closes.
    """
    return user_role(user) == ADMIN


def may_set_ticket_field(user: Any, field: str) -> bool:
    """Return whether ``user`` may write ticket ``field`` directly (not through an action)."""
    return field not in PROTECTED_FIELDS or may_write_ticket_history(user)


def ticket_fields_refused(
    user: Any,
    *,
    ticket: Ticket | None,
    sent: Mapping[str, Any],
    values: Mapping[str, Any],
) -> list[str]:
    """Return the protected fields a direct write by ``user`` would set (empty: allowed).

    ``sent`` holds the names the request carried (SLA fields are read-only and never
    reach ``values``), ``values`` the validated values. A value equal to what the
    ticket already holds (or, for a new ticket, to what every ticket starts with) sets
    nothing and is allowed. On an existing ticket a new ``status`` is a desk
    transition, and ``first_contact_resolved`` may come with a move to resolved (the
    desk's resolve asks it).
    """
    if may_write_ticket_history(user):
        return []
    refused = [name for name in SLA_FIELDS if name in sent]
    for name in HISTORY_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if ticket is None:
            if name not in NEW_TICKET_VALUES or value != NEW_TICKET_VALUES[name]:
                refused.append(name)
            continue
        if value == getattr(ticket, name) or name == "status":
            continue
        resolving = (
            values.get("status") == Ticket.Status.RESOLVED
            and ticket.status != Ticket.Status.RESOLVED
        )
        if name == "first_contact_resolved" and resolving:
            continue
        refused.append(name)
    return refused
