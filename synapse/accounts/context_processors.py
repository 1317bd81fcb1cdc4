"""Template context: the signed-in user's role, for navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from synapse.accounts.roles import user_role


def role(request: HttpRequest) -> dict[str, Any]:
    """Return ``user_role`` for the request's user (None when signed out)."""
    return {"user_role": user_role(getattr(request, "user", None))}
