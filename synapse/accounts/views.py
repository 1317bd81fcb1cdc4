"""Sign-in landing (each user to the page that fits their role) and password reset."""

from __future__ import annotations

import logging

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from synapse.accounts.roles import landing_url_name
from synapse.accounts.services import password_reset_allowed
from synapse.security.backends import client_ip_address

logger = logging.getLogger(__name__)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Redirect to the role's landing page (dashboard, approvals or the weekly timesheet)."""
    try:
        return redirect(reverse(landing_url_name(request.user)))
    except NoReverseMatch:
        return render(request, "accounts/no_role.html", status=403)


@login_required
def no_role(request: HttpRequest) -> HttpResponse:
    """Explain that the account is not linked to an employee with a role."""
    return render(request, "accounts/no_role.html", status=403)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, sending its email only within the limits of
    ``password_reset_allowed``; over them the same "check your email" page answers, so
    the limits tell nothing about which addresses have an account."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        """Send the reset email if the limits allow it; answer the same page either way."""
        if password_reset_allowed(
            email=form.cleaned_data["email"], ip=client_ip_address(self.request) or ""
        ):
            return super().form_valid(form)
        logger.warning("Password reset email not sent: over the rate limit")
        return HttpResponseRedirect(self.get_success_url())
