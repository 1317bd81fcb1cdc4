"""Authentication: the demo password refused outside debug mode; the signed-in user read
with their employee record; the client's address."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import backends
from django.http import HttpRequest

from synapse.accounts.roles import is_leaver

logger = logging.getLogger(__name__)

# The password of the demo logins (synapse.demo.writer.DEMO_PASSWORD), repeated here so
# that signing in does not import the demo generator.
DEMO_PASSWORD = "demo"
DEMO_USERNAMES = ("admin", "exec", "manager", "staff")


def demo_password_refused(password: str | None) -> bool:
    """Return whether ``password`` is the demo password and debug mode is off."""
    return not settings.DEBUG and password == DEMO_PASSWORD


class ModelBackend(backends.ModelBackend):
    """Django's username and password backend, refusing the demo password unless DEBUG.

    A refused login looks like any wrong password (the same message, and axes counts it),
    so it tells nothing about which accounts exist. A leaver (employment ended) is
    refused like an inactive account: at sign-in, and on every request of a session
    they already had.

    ``get_user`` (called on every request of a signed-in session) reads the user's
    employee record in the same query, so the role check (``user.employee.role``) costs
    no second query.
    """

    def user_can_authenticate(self, user: Any) -> bool:
        """Return whether ``user`` may sign in: active, and not a leaver."""
        return super().user_can_authenticate(user) and not is_leaver(user)

    def get_user(self, user_id: Any) -> Any:
        """Return the active user ``user_id`` with ``employee`` loaded, or None."""
        manager = backends.UserModel._default_manager
        try:
            user = manager.select_related("employee").get(pk=user_id)
        except backends.UserModel.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Return the user for these credentials, or None (always None for ``demo``)."""
        if demo_password_refused(password):
            logger.warning("Refused a sign-in with the demo password (DEBUG is off).")
            # Still pay for one hash, as for an unknown user: no timing difference.
            backends.UserModel().set_password(password)
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip_address(request: HttpRequest) -> str | None:
    """Return the client's address: REMOTE_ADDR, or behind proxies the trusted hop.

    With SYNAPSE_PROXY_COUNT = n > 0 the last n entries of X-Forwarded-For were written by
    our own proxies; the client is the n-th from the right (earlier entries are whatever
    the client sent, so they are never trusted).
    """
    proxies = getattr(settings, "SYNAPSE_PROXY_COUNT", 0)
    remote = request.META.get("REMOTE_ADDR")
    if proxies <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [h for h in hops if h]
    if len(hops) < proxies:
        return remote
    return hops[-proxies]
