"""App configurations: the security app, and the admin with a second factor."""

from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SecurityConfig(AppConfig):
    default = True
    name = "synapse.security"
    label = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from synapse.security import checks, signals  # noqa: F401

        self.admin_pages_trim()

    def admin_pages_trim(self) -> None:
        """Take django-otp's device page out of the admin (enrol with ``otp_enroll``).

        The admin's own apps.ready (first in INSTALLED_APPS) has registered it already.
        It comes back once tests/admin's ``one_of_each`` fixture has a TOTPDevice row.
        """
        from django.contrib import admin
        from django_otp.plugins.otp_totp.models import TOTPDevice

        if admin.site.is_registered(TOTPDevice):
            admin.site.unregister(TOTPDevice)


class SynapseAdminConfig(admin_apps.AdminConfig):
    """The Django admin, with ``admin.site`` a ``SynapseAdminSite`` (TOTP when required)."""

    default = False
    default_site = "synapse.security.admin.SynapseAdminSite"
