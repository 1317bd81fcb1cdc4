"""Sign-in landing: send each user to the page that fits their role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from synapse.accounts.roles import landing_url_name


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
