"""API authentication: tokens of leavers and of deactivated accounts stop working."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions

from synapse.accounts.roles import LEAVER_MESSAGE, is_leaver

INACTIVE_MESSAGE = "This account is deactivated: its API tokens no longer work."


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's ``Authorization: Token <key>``, refusing leavers' and inactive accounts' tokens.

    The refusal is a 401 that says why. The user comes with their employee record (one
    query), which the role check reads. A token never verifies a second factor, so a
    superuser's token acts with their employee role (``synapse.accounts.roles``).
    """

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        model = self.get_model()
        try:
            token = model.objects.select_related("user__employee").get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if is_leaver(token.user):
            raise exceptions.AuthenticationFailed(LEAVER_MESSAGE)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(INACTIVE_MESSAGE)
        return token.user, token
