"""Who is asking: a user's role, from their employee record (or superuser status).

Roles, from least to most reach: ``staff`` (own time, own and unassigned tickets),
``manager`` (their team too), ``executive`` (reads everything), ``admin``
(superusers: everything, and the Django admin). Groups named after the roles are
kept in step with ``Employee.role`` (``synapse.accounts.signals``) so that admin
permissions can be granted per group.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

STAFF = "staff"
MANAGER = "manager"
EXECUTIVE = "executive"
ADMIN = "admin"
ROLES = (STAFF, MANAGER, EXECUTIVE)
RANK = {None: 0, STAFF: 1, MANAGER: 2, EXECUTIVE: 3, ADMIN: 4}


def user_role(user: Any) -> str | None:
    """Return ``admin``, ``executive``, ``manager``, ``staff`` or None (no access)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return ADMIN
    employee = getattr(user, "employee", None)
    if employee is None:
        return None
    return employee.role


def has_role(user: Any, *roles: str) -> bool:
    """Return whether the user has one of ``roles`` (admins have every role)."""
    role = user_role(user)
    return role == ADMIN or role in roles


def role_required(*roles: str) -> Callable:
    """Decorate a view: signed-in users with one of ``roles`` only (403 for others)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, *roles):
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def landing_url_name(user: Any) -> str:
    """Return the URL name of the page a user lands on after signing in."""
    role = user_role(user)
    if role in (ADMIN, EXECUTIVE):
        return "dashboards:dashboard"
    if role == MANAGER:
        return "timesheets:approvals"
    if role == STAFF:
        return "timesheets:week"
    return "accounts:no_role"
