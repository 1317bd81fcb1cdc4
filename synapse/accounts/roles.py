"""Who is asking: a user's role, from their employee record (or superuser status).

Roles, from least to most reach: ``staff`` (own time, own and unassigned tickets),
``manager`` (their team too), ``executive`` (reads everything), ``admin``
(superusers: everything, and the Django admin). Groups named after the roles are
kept in step with ``Employee.role`` (``timesheets.signals``) so that admin
permissions can be granted per group.

``user_role`` is the one place two further rules are decided, so that every surface
(pages, HTMX endpoints, the API with a session or a token, the admin) agrees:

* a *leaver* — an account whose employee's ``employed_until`` is before today in the
  firm's time zone — has no role at all, superuser or not;
* with ``SYNAPSE_ADMIN_REQUIRE_OTP`` on, a superuser whose session has not verified a
  TOTP device (``user.is_verified()``, installed by django-otp's ``OTPMiddleware``) has
  only their employee role. A user authenticated by an API token has no
  ``is_verified``: a token never carries a second factor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

STAFF = "staff"
MANAGER = "manager"
EXECUTIVE = "executive"
ADMIN = "admin"
ROLES = (STAFF, MANAGER, EXECUTIVE)
RANK = {None: 0, STAFF: 1, MANAGER: 2, EXECUTIVE: 3, ADMIN: 4}


LEAVER_MESSAGE = (
    "This account's employment has ended: it has no access to Synapse any more, and its "
    "API tokens no longer work."
)
SECOND_FACTOR_MESSAGE = (
    "Your administrator rights need a verified second factor in this session; until then "
    "you have your employee role only. Sign in at /admin/login/ with the code from your "
    "authenticator app (no device yet? `python manage.py otp_enroll USERNAME` enrols one). "
    "API tokens never carry a second factor: they act with the employee role only."
)
DENIED_MESSAGE = "Your role does not give access to this page."


def second_factor_required() -> bool:
    """Return whether superusers need a verified TOTP device (read at request time)."""
    return bool(getattr(settings, "SYNAPSE_ADMIN_REQUIRE_OTP", True))


def employment_ended(employee: Any, *, today: dt.date | None = None) -> bool:
    """Return whether ``employee`` has left: ``employed_until`` before today (firm time)."""
    until = getattr(employee, "employed_until", None)
    return until is not None and until < (today or timezone.localdate())


def leavers_q(*, prefix: str = "", today: dt.date | None = None) -> Q:
    """Return the filter of employees who have left (``employment_ended`` in SQL)."""
    return Q(**{f"{prefix}employed_until__lt": today or timezone.localdate()})


def is_leaver(user: Any) -> bool:
    """Return whether ``user`` belongs to an employee whose employment has ended."""
    return employment_ended(getattr(user, "employee", None))


def second_factor_verified(user: Any) -> bool:
    """Return whether this request's user has verified a TOTP device in their session.

    ``OTPMiddleware`` installs ``is_verified``; a user authenticated another way (an
    API token) has none, and counts as not verified.
    """
    is_verified = getattr(user, "is_verified", None)
    return bool(callable(is_verified) and is_verified())


def second_factor_missing(user: Any) -> bool:
    """Return whether ``user`` is a superuser held to their employee role for want of OTP."""
    return (
        bool(getattr(user, "is_superuser", False))
        and second_factor_required()
        and not second_factor_verified(user)
    )


def user_role(user: Any) -> str | None:
    """Return ``admin``, ``executive``, ``manager``, ``staff`` or None (no access).

    None for the signed-out, the inactive, leavers and accounts without an employee
    record; superusers are ``admin`` unless the second factor is required and not
    verified in this session, when they have their employee role (or none).
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    employee = getattr(user, "employee", None)
    if employment_ended(employee):
        return None
    if user.is_superuser and not second_factor_missing(user):
        return ADMIN
    if employee is None:
        return None
    return employee.role


def access_note(user: Any) -> str | None:
    """Return why ``user`` has less reach than their account suggests, or None.

    The leaver's message, or the second-factor message for a superuser held to their
    employee role; shown on pages and appended to the API's refusals.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    if is_leaver(user):
        return LEAVER_MESSAGE
    if second_factor_missing(user):
        return SECOND_FACTOR_MESSAGE
    return None


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
                # The reason a leaver or an unverified superuser is refused is on every
                # page (``access_note``, base.html), the 403 page included.
                raise PermissionDenied(DENIED_MESSAGE)
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
