"""With the second factor required, a superuser's session that has not verified a TOTP
device, and any superuser's API token, has only the account's employee role."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from projects.models import Client
from synapse.accounts.roles import SECOND_FACTOR_MESSAGE, user_role
from tests.factories import EmployeeFactory, UserFactory
from timesheets.models import Employee

pytestmark = pytest.mark.django_db

NEW_CLIENT = {"code": "C1", "name": "Acme", "became_client_on": "2024-01-01"}


@pytest.fixture(autouse=True)
def _otp_required(settings):
    settings.SYNAPSE_ADMIN_REQUIRE_OTP = True


@pytest.fixture
def root():
    """Return a superuser who is also on the staff as ``staff``."""
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    EmployeeFactory(user=user, role=Employee.Role.STAFF)
    return type(user).objects.select_related("employee").get(pk=user.pk)


def verify(client, user) -> None:
    """Mark ``client``'s session as having passed a TOTP device of ``user``."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def test_an_unverified_superuser_has_the_employee_role(root):
    assert user_role(root) == "staff"
    root.is_verified = lambda: True
    assert user_role(root) == "admin"


def test_a_superuser_without_an_employee_record_has_no_role_unverified():
    lone = UserFactory(username="lone", is_staff=True, is_superuser=True)
    assert user_role(lone) is None


def test_the_requirement_off_leaves_superusers_admins(settings, root):
    settings.SYNAPSE_ADMIN_REQUIRE_OTP = False
    assert user_role(root) == "admin"


def test_an_unverified_superuser_is_refused_the_executive_dashboard_with_a_hint(client, root):
    client.force_login(root)
    response = client.get(reverse("dashboards:dashboard"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "otp_enroll" in page
    assert "/admin/login/" in page


def test_an_unverified_superuser_keeps_their_own_timesheet_and_sees_the_hint(client, root):
    client.force_login(root)
    response = client.get(reverse("timesheets:week"))
    assert response.status_code == 200
    assert response.context["user_role"] == "staff"
    assert response.context["access_note"] == SECOND_FACTOR_MESSAGE


def test_an_unverified_superuser_is_refused_approvals(client, root):
    client.force_login(root)
    assert client.get(reverse("timesheets:approvals")).status_code == 403


def test_a_verified_superuser_has_everything_on_pages(client, root):
    client.force_login(root)
    verify(client, root)
    dashboard = client.get(reverse("dashboards:dashboard"))
    assert dashboard.status_code == 200
    assert dashboard.context["user_role"] == "admin"
    assert dashboard.context["access_note"] is None
    assert client.get(reverse("timesheets:approvals")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200


def test_an_unverified_superuser_session_is_refused_api_writes_with_a_hint(root):
    api = APIClient()
    api.force_login(root)
    response = api.post("/api/v1/clients/", NEW_CLIENT)
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert detail.startswith("Only administrators change clients")
    assert detail.endswith(SECOND_FACTOR_MESSAGE)
    assert not Client.objects.exists()


def test_a_verified_superuser_session_writes_through_the_api(root):
    api = APIClient()
    api.force_login(root)
    verify(api, root)
    response = api.post("/api/v1/clients/", NEW_CLIENT)
    assert response.status_code == 201
    assert Client.objects.get().code == "C1"


def test_a_superusers_token_carries_only_the_employee_role(root):
    token = Token.objects.create(user=root)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    refused = api.post("/api/v1/clients/", NEW_CLIENT)
    assert refused.status_code == 403
    assert refused.json()["detail"].endswith(SECOND_FACTOR_MESSAGE)
    assert not Client.objects.exists()
    # The employee role still reads what staff read: their own time entries.
    assert api.get("/api/v1/time-entries/").status_code == 200
    survey = api.get("/api/v1/survey-responses/")
    assert survey.status_code == 403


def test_a_superusers_token_is_an_admin_when_the_requirement_is_off(settings, root):
    settings.SYNAPSE_ADMIN_REQUIRE_OTP = False
    token = Token.objects.create(user=root)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.post("/api/v1/clients/", NEW_CLIENT).status_code == 201
