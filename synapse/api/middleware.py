"""Refuse API requests carrying NUL characters, which PostgreSQL text cannot hold."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, JsonResponse

NUL_MESSAGE = "Text may not contain NUL (\\u0000) characters."


class RejectNulMiddleware:
    """Answer 400 to an ``/api/`` request with a NUL in its query string or body.

    Without it a NUL in a code looked up by a filter or a related field reaches
    PostgreSQL, which raises an error (a 500) instead of a validation message.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and self._has_nul(request):
            return JsonResponse({"detail": NUL_MESSAGE}, status=400)
        return self.get_response(request)

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
            return True
        if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return False
        body = request.body
        return b"\x00" in body or b"\\u0000" in body or b"%00" in body
