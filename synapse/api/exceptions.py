"""API error answers: a refusal says so when the account's reach is cut short."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from synapse.accounts.roles import access_note


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Return DRF's answer; a 403 of a leaver or of a superuser without a verified second
    factor gets the reason (``synapse.accounts.roles.access_note``) after its detail."""
    response = drf_exception_handler(exc, context)
    request = context.get("request")
    if (
        response is None
        or request is None
        or not isinstance(exc, exceptions.PermissionDenied)
        or not isinstance(response.data, dict)
    ):
        return response
    note = access_note(request.user)
    if note:
        detail = response.data.get("detail", "")
        response.data["detail"] = f"{detail} {note}".strip()
    return response
