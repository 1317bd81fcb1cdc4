"""OpenAPI schema generation: every operation documents its error responses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """An error that is not about one field: ``{"detail": "..."}``."""

    detail = serializers.CharField()


VALIDATION_ERROR = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description=(
        "Invalid input: an object mapping each field (or query parameter, or "
        '`non_field_errors`) to a list of messages, e.g. `{"hours": ["must be between 0 '
        'and 24 (got 25)"]}`; a body that is not valid JSON gives `{"detail": "..."}`.'
    ),
)
ERRORS = {
    "400": VALIDATION_ERROR,
    "401": OpenApiResponse(ErrorSerializer, description="Not signed in: no or a bad token."),
    "403": OpenApiResponse(
        ErrorSerializer,
        description=(
            "Your role does not allow this: e.g. the time entry's week is submitted or "
            "approved, or a ticket's history field is set directly (the body's `fields` "
            "names them)."
        ),
    ),
    "404": OpenApiResponse(
        ErrorSerializer, description="No such record among those your role may see (or page)."
    ),
    "429": OpenApiResponse(ErrorSerializer, description="Too many requests: try again later."),
}

IN_USE = OpenApiResponse(
    ErrorSerializer, description="Other records refer to this one: it cannot be deleted."
)


class SynapseAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the error responses every API call can give.

    Operations that take a body or query parameters can give 400; every operation
    needs a signed-in caller with a role (401, 403), may be throttled (429), and
    addresses records (or pages) that may not exist for the caller (404).
    """

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code, response in ERRORS.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        if self.method == "DELETE":
            responses["409"] = self._get_response_for_code(IN_USE, "409", direction=direction)
        return responses
