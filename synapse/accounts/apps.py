from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "synapse.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from synapse.accounts import checks  # noqa: F401
