"""Template context: the signed-in user's role, for navigation, and why it is cut short."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from synapse.accounts.roles import access_note, user_role


def role(request: HttpRequest) -> dict[str, Any]:
    """Return ``user_role`` for the request's user (None when signed out), and
    ``access_note``: the reason a superuser has only their employee role (or None)."""
    user = getattr(request, "user", None)
    return {"user_role": user_role(user), "access_note": access_note(user)}
