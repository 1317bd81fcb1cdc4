"""Writes of the accounts: deactivating leavers, counting password-reset requests."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from synapse.accounts.roles import leavers_q
from synapse.security.limits import rate_limit_allowed

#: The password-reset limits' window: an hour.
PASSWORD_RESET_WINDOW = 3600


def leavers_deactivate(*, employees: QuerySet) -> int:
    """Deactivate the user accounts of those ``employees`` whose employment has ended.

    Called whenever employees are saved (the model's ``post_save`` for the admin and
    every ``save()``, the import for its bulk writes). An inactive account cannot sign
    in, its sessions end and its API tokens stop working. Moving the end date back into
    the future does not reactivate it: an administrator does that on purpose. Return
    the number of accounts deactivated (one UPDATE statement).
    """
    leavers = employees.filter(leavers_q()).values("user_id")
    return get_user_model().objects.filter(pk__in=leavers, is_active=True).update(is_active=False)


def password_reset_allowed(*, email: str, ip: str, now: float | None = None) -> bool:
    """Count one password-reset request for ``email`` from client address ``ip``; return
    whether its email may be sent.

    At most ``SYNAPSE_PASSWORD_RESET_PER_ADDRESS`` (default 10) requests an hour from one
    client address, whatever the email addresses, and at most
    ``SYNAPSE_PASSWORD_RESET_PER_EMAIL`` (default 3) emails an hour to one email address
    (compared without case, as the reset form finds its users), whoever asks. A request
    refused by the client's limit does not count against the email address. Known and
    unknown addresses count alike, so the limit tells nothing about which exist. With the
    cache down every request is allowed (``rate_limit_allowed``).
    """
    if not rate_limit_allowed(
        purpose="password-reset-client",
        ident=ip,
        limit=settings.SYNAPSE_PASSWORD_RESET_PER_ADDRESS,
        window=PASSWORD_RESET_WINDOW,
        now=now,
    ):
        return False
    return rate_limit_allowed(
        purpose="password-reset-email",
        ident=email.strip().casefold(),
        limit=settings.SYNAPSE_PASSWORD_RESET_PER_EMAIL,
        window=PASSWORD_RESET_WINDOW,
        now=now,
    )
