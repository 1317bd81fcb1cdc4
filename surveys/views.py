"""The client's survey page: no login, one question, a signed single-use link."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from surveys.forms import SurveyAnswerForm
from surveys.models import SurveyInvitation
from surveys.services import (
    SurveyLinkError,
    survey_answer,
    survey_invitation_from_token,
    survey_post_allowed,
)
from synapse.security.backends import client_ip_address


def _link_error(request: HttpRequest, error: SurveyLinkError) -> HttpResponse:
    return render(
        request,
        "surveys/survey_link_invalid.html",
        {"reason": error.reason},
        status=error.status,
    )


def _page(
    request: HttpRequest, invitation: SurveyInvitation, form: SurveyAnswerForm
) -> HttpResponse:
    context = {
        "invitation": invitation,
        "form": form,
        "firm_name": getattr(settings, "SYNAPSE_FIRM_NAME", "Synapse IT Solutions"),
    }
    return render(request, "surveys/survey_answer.html", context)


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def survey_answer_view(request: HttpRequest, token: str) -> HttpResponse:
    """Show the survey of a valid link (GET and HEAD change nothing); record the answer on POST."""
    if request.method == "POST" and not survey_post_allowed(ip=client_ip_address(request) or ""):
        return render(request, "surveys/survey_rate_limited.html", status=429)
    try:
        invitation = survey_invitation_from_token(token=token)
    except SurveyLinkError as error:
        return _link_error(request, error)
    if request.method != "POST":
        return _page(request, invitation, SurveyAnswerForm(kind=invitation.kind))
    form = SurveyAnswerForm(request.POST, kind=invitation.kind)
    if not form.is_valid():
        return _page(request, invitation, form)
    try:
        survey_answer(
            invitation=invitation,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )
    except SurveyLinkError as error:
        return _link_error(request, error)
    return redirect("surveys:thanks")


@never_cache
@require_GET
def survey_thanks(request: HttpRequest) -> HttpResponse:
    """Thank the client for an answer just recorded."""
    return render(request, "surveys/survey_thanks.html")
