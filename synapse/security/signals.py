"""Note the sign-in time in the new session (for the absolute session lifetime)."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from synapse.security.middleware import LOGIN_AT, SEEN_AT


@receiver(user_logged_in, dispatch_uid="security_session_login_time")
def session_login_time(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    """Record when the user signed in, in the session Django just cycled for them."""
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now
