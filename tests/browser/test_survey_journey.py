"""A client answers a survey from the emailed link, in a real browser (headless Chromium)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import override_settings
from playwright.sync_api import expect

from projects.models import Project
from surveys.models import SurveyInvitation, SurveyResponse
from tests.factories import ClientContactFactory, ClientFactory, ProjectFactory

USED = "This survey has already been answered"
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def page(chromium):
    """Yield a phone-sized page of the session's headless Chromium (tests/browser/conftest.py)."""
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _emailed_links(to: str) -> list[str]:
    message = next(m for m in mail.outbox if m.to == [to])
    return re.findall(r"https?://\S+/survey/\S+/", message.body)


def test_a_client_answers_the_emailed_survey_once(live_server, page, artifacts):
    client = ClientFactory(name="Acme Corp")
    ClientContactFactory(client=client, name="Pat", email="pat@acme.example")
    project = ProjectFactory(client=client, name="ERP rollout", status="active")
    with override_settings(SYNAPSE_BASE_URL=live_server.url):
        project.status = Project.Status.COMPLETED
        project.actual_start = dt.date(2025, 1, 6)
        project.actual_end = dt.date(2025, 3, 7)
        project.save()  # autocommit: the invitation task runs on commit, eagerly

    csat_link, nps_link = _emailed_links("pat@acme.example")
    assert csat_link.startswith(live_server.url)

    # The client opens the link twice (a second tab, or a double-tap in the mail app).
    second_tab = page.context.new_page()
    second_tab.goto(csat_link)
    page.goto(csat_link)
    assert (
        page.get_by_role("heading", level=1)
        .inner_text()
        .startswith("How satisfied are you with how we delivered ERP rollout?")
    )
    shots = artifacts
    page.screenshot(path=str(shots / "survey_csat_phone.png"), full_page=True)
    # The score buttons are big enough to tap (at least 44 px high, WCAG 2.5.5).
    box = page.locator("label[for=id_score_3]").bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 200

    page.get_by_text("Satisfied", exact=True).tap()
    page.get_by_label("Anything you would like to add?").fill("Smooth go-live.")
    page.get_by_role("button", name="Send my answer").tap()
    page.wait_for_url("**/survey/thanks/")
    assert "Thank you!" in page.content()

    # The second tab still shows the form; submitting it shows the used-link page.
    second_tab.get_by_text("Very satisfied", exact=True).tap()
    second_tab.get_by_role("button", name="Send my answer").tap()
    expect(second_tab.get_by_role("heading", level=1)).to_have_text(USED)
    second_tab.screenshot(path=str(shots / "survey_used_phone.png"), full_page=True)
    # Opening the link again after answering shows the same page, not the form.
    page.goto(csat_link)
    expect(page.get_by_role("heading", level=1)).to_have_text(USED)
    assert list(SurveyResponse.objects.values_list("kind", "score", "comment")) == [
        ("csat", 4, "Smooth go-live.")
    ]

    page.goto(nps_link)
    page.screenshot(path=str(shots / "survey_nps_phone.png"), full_page=True)
    page.locator("label[for=id_score_9]").tap()
    page.get_by_role("button", name="Send my answer").tap()
    page.wait_for_url("**/survey/thanks/")
    assert SurveyInvitation.objects.filter(used_at__isnull=True).count() == 0
    assert SurveyResponse.objects.get(kind="nps").score == 9
