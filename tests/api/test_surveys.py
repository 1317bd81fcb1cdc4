"""Survey invitations and responses through the API."""

from __future__ import annotations

import pytest

from surveys.models import SurveyResponse
from tests.factories import ClientFactory, SurveyInvitationFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db


def test_admin_records_a_response_to_an_invitation(api):
    client = ClientFactory(code="C1")
    SurveyInvitationFactory(invitation_id="INV-1", client=client, kind="nps")
    response = api("root").post(
        "/api/v1/survey-responses/",
        {
            "response_id": "R-1",
            "kind": "nps",
            "client": "C1",
            "score": 9,
            "responded_at": "2025-02-04T08:00:00Z",
            "invitation": "INV-1",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert SurveyResponse.objects.get(response_id="R-1").invitation.invitation_id == "INV-1"


@pytest.mark.parametrize(
    ("kind", "score", "message"),
    [
        ("csat", 6, "must be between 1 and 5 for csat (got 6)"),
        ("csat", 0, "must be between 1 and 5 for csat (got 0)"),
        ("nps", 11, "must be between 0 and 10 for nps (got 11)"),
    ],
)
def test_score_outside_its_scale(api, kind, score, message):
    ClientFactory(code="C1")
    response = api("root").post(
        "/api/v1/survey-responses/",
        {
            "response_id": "R-1",
            "kind": kind,
            "client": "C1",
            "score": score,
            "responded_at": "2025-02-04T08:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"score": [message]}


def test_second_invitation_for_the_same_project_is_refused(api):
    from tests.factories import ProjectFactory

    project = ProjectFactory(code="P1")
    SurveyInvitationFactory(kind="csat", client=project.client, project=project)
    response = api("root").post(
        "/api/v1/survey-invitations/",
        {
            "invitation_id": "INV-2",
            "kind": "csat",
            "client": project.client.code,
            "contact_email": "a@client.example",
            "sent_at": "2025-02-04T08:00:00Z",
            "project": "P1",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Constraint “invitation_once_per_project” is violated."]
    }


def test_managers_read_surveys_staff_do_not(api):
    SurveyResponseFactory(response_id="R-1", score=4)
    assert api("mia").get("/api/v1/survey-responses/").json()["results"][0]["score"] == 4
    assert api("boss").get("/api/v1/survey-responses/?kind=csat&score=4").json()["count"] == 1
    assert api("sam").get("/api/v1/survey-responses/").status_code == 403
    assert api("boss").delete("/api/v1/survey-responses/R-1/").status_code == 403
