"""Session lifetimes: an idle timeout and an absolute lifetime after signing in."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

# Session keys: when the user signed in, and when the session last saw a request
# (seconds since the epoch; written by synapse.security.signals at login).
LOGIN_AT = "synapse_login_at"
SEEN_AT = "synapse_seen_at"
# The last-seen time is rewritten at most this often, so that a page of HTMX requests
# does not write the session row on every request.
SEEN_RESOLUTION_SECONDS = 60


def session_expired(*, login_at: float, seen_at: float, now: float) -> str | None:
    """Return why a session is over ("idle" or "lifetime"), or None while it is valid."""
    if now - login_at >= settings.SYNAPSE_SESSION_MAX_HOURS * 3600:
        return "lifetime"
    if now - seen_at >= settings.SYNAPSE_SESSION_IDLE_MINUTES * 60:
        return "idle"
    return None


class SessionLifetimeMiddleware:
    """Sign out a session idle for SYNAPSE_SESSION_IDLE_MINUTES or older than
    SYNAPSE_SESSION_MAX_HOURS since sign-in; the request then goes on signed out, so a page
    redirects to the sign-in form and the API answers 401/403 as for anyone signed out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self.enforce(request)
        return self.get_response(request)

    def enforce(self, request: HttpRequest) -> None:
        """Sign the request's session out when it is over; otherwise note this request."""
        session = request.session
        now = time.time()
        # Sessions from before this middleware have no times: they start now.
        login_at = session.setdefault(LOGIN_AT, now)
        seen_at = session.get(SEEN_AT, now)
        reason = session_expired(login_at=login_at, seen_at=seen_at, now=now)
        if reason is not None:
            logout(request)
            messages.info(
                request,
                "You were signed out after a period of inactivity. Please sign in again."
                if reason == "idle"
                else "Your session reached its maximum length. Please sign in again.",
            )
            return
        if SEEN_AT not in session or now - seen_at >= SEEN_RESOLUTION_SECONDS:
            session[SEEN_AT] = now
