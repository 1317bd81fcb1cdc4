"""Who may see and change whose time, book it to what, and see money: the only place it is decided.

Every surface calls these functions — the weekly grid and its HTMX endpoints, the
approval pages, the REST API's viewsets and serializers, the admin for non-superusers
and the KPI endpoints — in the manner of NetBox's ``RestrictedQuerySet.restrict(user,
action)``.

- Employees and their time (``view``): staff themselves; managers themselves and
  their direct reports; executives and superusers everyone.
- Logging and changing time (``change``): everyone their own only — a manager reads
  their direct reports' time and approves or rejects their weeks, but never types
  their hours (the hours measure the person who logs them); superusers everyone.
- A week's entries change only while its timesheet is a draft or rejected; once
  submitted or approved they are fixed for everyone but superusers, whose changes are
  recorded by django-simple-history and leave the timesheet's status as it is.
- What time may be booked to (``bookable_targets``): internal time always; every
  project and every contract (they are reference data every role reads — the model
  keeps no project team or client owner to narrow them by); and the tickets the
  person may work (``support.policies``: staff their own and unassigned, managers
  also their team's; executives and superusers any ticket).
- Money — cost and bill rates, labour cost, bill values, contract fees, project
  revenue, budgets and expenses, margins — is for executives and superusers only
  (``may_see_money``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from synapse.accounts.roles import ADMIN, EXECUTIVE, MANAGER, user_role
from timesheets.models import Employee, Timesheet

VIEW = "view"
CHANGE = "change"

#: Statuses in which a week's entries may still change (by their owner or manager).
EDITABLE_STATUSES = frozenset({Timesheet.Status.DRAFT, Timesheet.Status.REJECTED})

WEEK_FIXED_MESSAGES = {
    Timesheet.Status.SUBMITTED: (
        "The week of {week} is submitted for approval: its time entries cannot change "
        "unless the manager rejects it."
    ),
    Timesheet.Status.APPROVED: (
        "The week of {week} is approved: its time entries are locked. "
        "Ask an administrator to change them."
    ),
}


def _employee(user: Any) -> Employee | None:
    return getattr(user, "employee", None) if getattr(user, "is_authenticated", False) else None


def _reach(user: Any, action: str) -> Q | None:
    """Return the condition on an employee for ``user`` and ``action``; None: everyone."""
    if action not in (VIEW, CHANGE):
        raise ValueError(f"Unknown action {action!r}")
    role = user_role(user)
    if role == ADMIN or (role == EXECUTIVE and action == VIEW):
        return None
    employee = _employee(user)
    if employee is None or role is None:
        return Q(pk__in=[])
    if role == MANAGER and action == VIEW:
        return Q(pk=employee.pk) | Q(manager=employee)
    return Q(pk=employee.pk)


def restrict(queryset: QuerySet, user: Any, action: str = VIEW, *, via: str = "") -> QuerySet:
    """Return ``queryset`` narrowed to rows of employees whose time ``user`` may ``action``.

    ``via`` is the path from the rows to their employee (``"employee"`` for entries,
    timesheets, rates and leave; empty for employees themselves).
    """
    condition = _reach(user, action)
    if condition is None:
        return queryset
    if not via:
        return queryset.filter(condition)
    return queryset.filter(**{f"{via}__in": Employee.objects.filter(condition).values("pk")})


def employees_for(user: Any, action: str = VIEW) -> QuerySet[Employee]:
    """Return the employees whose records (``view``) or time (``change``) ``user`` may reach."""
    return restrict(Employee.objects.all(), user, action)


def timesheets_for(user: Any, action: str = VIEW) -> QuerySet[Timesheet]:
    """Return the weekly timesheets ``user`` may read (``view``) or fill in (``change``)."""
    return restrict(Timesheet.objects.all(), user, action, via="employee")


def visible_usernames(user: Any) -> set[str] | None:
    """Return the usernames whose employee KPI scopes ``user`` may read; None = every scope."""
    if _reach(user, VIEW) is None:
        return None
    return set(employees_for(user, VIEW).values_list("user__username", flat=True))


def may_change_time_of(user: Any, employee: Employee | int) -> bool:
    """Return whether ``user`` may log or change ``employee``'s time (any week state)."""
    employee_id = getattr(employee, "pk", employee)
    condition = _reach(user, CHANGE)
    if condition is None:
        return True
    return Employee.objects.filter(condition).filter(pk=employee_id).exists()


def may_decide_week(user: Any, timesheet: Timesheet) -> bool:
    """Return whether ``user`` may approve or reject ``timesheet`` (whatever its status).

    Superusers may decide any week; otherwise only the employee's manager, and never
    their own week. Executives read every week but decide only their direct reports'.
    """
    if user_role(user) == ADMIN:
        return True
    employee = _employee(user)
    if employee is None or timesheet.employee_id == employee.pk:
        return False
    return timesheet.employee.manager_id == employee.pk


# --- Week states ----------------------------------------------------------------------


def week_is_open(timesheet: Timesheet | None) -> bool:
    """Return whether the week is a draft or rejected (no timesheet yet: a draft)."""
    return timesheet is None or timesheet.status in EDITABLE_STATUSES


def week_editable(user: Any, timesheet: Timesheet | None) -> bool:
    """Return whether ``user`` may change the entries of ``timesheet``'s week.

    A draft or rejected week: yes (who may change whose time is ``may_change_time_of``);
    a submitted or approved one: superusers only (audited; the status stays).
    """
    return week_is_open(timesheet) or user_role(user) == ADMIN


def week_of(*, employee: Employee | int, day: dt.date) -> Timesheet | None:
    """Return the employee's timesheet of the week holding ``day`` (None: none yet)."""
    employee_id = getattr(employee, "pk", employee)
    monday = day - dt.timedelta(days=day.weekday())
    return Timesheet.objects.filter(employee_id=employee_id, week_start=monday).first()


def week_fixed_message(timesheet: Timesheet) -> str:
    """Return why the entries of a submitted or approved week cannot change."""
    template = WEEK_FIXED_MESSAGES.get(timesheet.status, "The week of {week} cannot change.")
    return template.format(week=timesheet.week_start.isoformat())


def entry_week_refusal(user: Any, *, employee: Employee | int | None, day: dt.date | None) -> str:
    """Return why ``user`` may not change ``employee``'s entries of ``day``'s week, or "".

    The check every surface makes before a time entry is added, changed or deleted.
    """
    if employee is None or day is None:
        return ""
    sheet = week_of(employee=employee, day=day)
    if week_editable(user, sheet):
        return ""
    return week_fixed_message(sheet)


# --- What time may be booked to -----------------------------------------------------


@dataclass(frozen=True)
class BookableTargets:
    """What a user may book time to (internal time needs no target and is always allowed)."""

    projects: QuerySet
    contracts: QuerySet
    tickets: QuerySet


def bookable_targets(user: Any) -> BookableTargets:
    """Return the projects, contracts and tickets ``user`` may book time to.

    Projects and contracts: all (reference data every role reads; the data model has no
    project team to narrow them by, so the grid only *offers* open projects and
    contracts in force). Tickets: those ``user`` may work (``support.policies``); an
    executive, who reads every ticket, may book to any.
    """
    from projects.models import Contract, Project
    from support import policies as ticket_policies

    role = user_role(user)
    tickets = ticket_policies.tickets_for(
        user, ticket_policies.VIEW if role == EXECUTIVE else ticket_policies.CHANGE
    )
    if role is None:
        return BookableTargets(Project.objects.none(), Contract.objects.none(), tickets)
    return BookableTargets(Project.objects.all(), Contract.objects.all(), tickets)


def may_book(
    user: Any,
    *,
    project_id: int | None = None,
    contract_id: int | None = None,
    ticket_id: int | None = None,
) -> str:
    """Return what of the targets ``user`` may not book time to ("" when all are allowed).

    One query per target named.
    """
    targets = bookable_targets(user)
    checks = (
        ("project", project_id, targets.projects),
        ("contract", contract_id, targets.contracts),
        ("ticket", ticket_id, targets.tickets),
    )
    for name, pk, allowed in checks:
        if pk is not None and not allowed.filter(pk=pk).exists():
            return f"There is no {name} {pk} that you may book time to."
    return ""


# --- Money ----------------------------------------------------------------------------


def may_see_money(user: Any) -> bool:
    """Return whether ``user`` may see money: rates, costs, bill values, fees, revenue.

    Executives and superusers only; every surface leaves money out for anyone else
    (API fields absent, admin columns and fields hidden).
    """
    return user_role(user) in (EXECUTIVE, ADMIN)
