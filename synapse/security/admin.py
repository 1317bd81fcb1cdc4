"""The admin site: a second factor (TOTP, django-otp) when SYNAPSE_ADMIN_REQUIRE_OTP is on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


def admin_otp_required() -> bool:
    """Return whether the admin asks for a verified second factor (read at request time)."""
    return bool(getattr(settings, "SYNAPSE_ADMIN_REQUIRE_OTP", True))


class SynapseAdminSite(OTPAdminSite):
    """The admin site: staff users only, verified by a TOTP device when OTP is required.

    With the requirement on, a signed-in user who has not entered a one-time code in this
    session is treated as not staff: the admin shows its sign-in form, which asks for the
    password and the code (``OTPAdminAuthenticationForm``). With it off (debug mode, the
    demo) it is Django's plain admin.
    """

    def __init__(self, name: str = "admin") -> None:
        AdminSite.__init__(self, name)

    @property
    def login_form(self) -> type[AdminAuthenticationForm]:  # type: ignore[override]
        return OTPAdminAuthenticationForm if admin_otp_required() else AdminAuthenticationForm

    @property
    def login_template(self) -> str | None:  # type: ignore[override]
        return "otp/admin111/login.html" if admin_otp_required() else None

    def has_permission(self, request: HttpRequest) -> bool:
        """Return whether the user may use the admin (verified when OTP is required)."""
        if not AdminSite.has_permission(self, request):
            return False
        if not admin_otp_required():
            return True
        is_verified: Any = getattr(request.user, "is_verified", None)
        return bool(is_verified and is_verified())
