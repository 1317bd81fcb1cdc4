"""The admin site: a second factor (TOTP, django-otp) when SYNAPSE_ADMIN_REQUIRE_OTP is on."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from synapse.accounts.roles import is_leaver, second_factor_required, second_factor_verified


def admin_otp_required() -> bool:
    """Return whether the admin asks for a verified second factor (read at request time)."""
    return second_factor_required()


class SynapseAdminSite(OTPAdminSite):
    """The admin site: staff users only, verified by a TOTP device when OTP is required.

    With the requirement on, a signed-in user who has not entered a one-time code in this
    session is treated as not staff: the admin shows its sign-in form, which asks for the
    password and the code (``OTPAdminAuthenticationForm``). With it off (debug mode, the
    demo) it is Django's plain admin. A leaver (``synapse.accounts.roles.is_leaver``) is
    never let in, whatever their staff or superuser flags say.
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
        if not AdminSite.has_permission(self, request) or is_leaver(request.user):
            return False
        return not admin_otp_required() or second_factor_verified(request.user)
