"""Deploy checks: no demo logins with the demo password outside debug mode."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from synapse.security.backends import DEMO_PASSWORD, DEMO_USERNAMES


def demo_logins_with_demo_password() -> list[str]:
    """Return the usernames among the demo logins whose password is still ``demo``.

    Only the four demo usernames are hashed (a few hundred milliseconds), so this runs in
    ``check --deploy``, never per request. A database without tables has no such users.
    """
    try:
        users = list(get_user_model().objects.filter(username__in=DEMO_USERNAMES))
    except DatabaseError:
        return []
    return sorted(
        u.username for u in users if u.has_usable_password() and u.check_password(DEMO_PASSWORD)
    )


@register(Tags.security, deploy=True)
def demo_logins_absent(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Fail ``check --deploy`` when debug is off and a demo login has the password ``demo``."""
    if settings.DEBUG:
        return []
    found = demo_logins_with_demo_password()
    if not found:
        return []
    return [
        Error(
            f"Demo logins with the password 'demo' exist: {', '.join(found)}.",
            hint=(
                "Delete these users or give them strong passwords "
                "(manage.py changepassword USERNAME); demo logins are for debug mode only."
            ),
            id="synapse.E002",
        )
    ]
