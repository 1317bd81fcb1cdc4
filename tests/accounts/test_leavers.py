"""Leavers: an account whose employment has ended has no access on any surface."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from synapse.accounts.roles import LEAVER_MESSAGE, user_role
from tests.factories import EmployeeFactory, UserFactory
from timesheets.models import Employee

pytestmark = pytest.mark.django_db

PASSWORD = "leaver-pass-phrase-2025"


def days_from_today(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


@pytest.fixture
def leaver():
    """Return the user of ``lea``, whose last day was yesterday but whose account is still
    active: the date passed without anyone saving her record (as every night it does)."""
    employee = EmployeeFactory(
        user=UserFactory(username="lea", is_staff=True),
        role=Employee.Role.MANAGER,
        employed_until=days_from_today(0),
    )
    employee.user.set_password(PASSWORD)
    employee.user.save()
    Employee.objects.filter(pk=employee.pk).update(employed_until=days_from_today(-1))
    user = type(employee.user).objects.select_related("employee").get(pk=employee.user_id)
    assert user.is_active
    return user


def test_a_leaver_has_no_role_even_as_a_superuser(leaver):
    assert user_role(leaver) is None
    leaver.is_superuser = True
    assert user_role(leaver) is None


def test_the_last_day_still_counts_as_employed():
    employee = EmployeeFactory(role=Employee.Role.STAFF, employed_until=days_from_today(0))
    employee.user.refresh_from_db()
    assert employee.user.is_active
    assert user_role(employee.user) == "staff"


def test_a_leaver_is_refused_on_a_page(client, leaver):
    client.force_login(leaver)
    response = client.get(reverse("timesheets:approvals"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_leaver_is_refused_on_an_htmx_endpoint(client, leaver):
    client.force_login(leaver)
    response = client.post(
        reverse("timesheets:cell"),
        {"date": "2025-02-03", "hours": "8"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_leaver_cannot_sign_in_and_hears_what_a_wrong_password_hears(client, leaver):
    refused = client.post(reverse("accounts:login"), {"username": "lea", "password": PASSWORD})
    wrong = client.post(reverse("accounts:login"), {"username": "lea", "password": "not-it"})
    assert refused.status_code == wrong.status_code == 200
    assert "Please enter a correct username and password" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_leaver_is_refused_by_the_api_with_a_session(leaver):
    api = APIClient()
    api.force_login(leaver)
    response = api.get("/api/v1/time-entries/")
    assert response.status_code == 401


def test_a_leavers_token_stops_working_with_a_message(leaver):
    token = Token.objects.create(user=leaver)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get("/api/v1/time-entries/")
    assert response.status_code == 401
    assert response.json()["detail"] == LEAVER_MESSAGE


def test_a_deactivated_accounts_token_stops_working_with_a_message():
    employee = EmployeeFactory(role=Employee.Role.STAFF)
    token = Token.objects.create(user=employee.user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/time-entries/").status_code == 200
    type(employee.user).objects.filter(pk=employee.user_id).update(is_active=False)
    response = api.get("/api/v1/time-entries/")
    assert response.status_code == 401
    assert "deactivated" in response.json()["detail"]


def test_a_leaver_authenticated_any_other_way_is_refused_with_the_reason(leaver):
    api = APIClient()
    api.force_authenticate(user=leaver)
    response = api.get("/api/v1/time-entries/")
    assert response.status_code == 403
    assert response.json()["detail"].endswith(LEAVER_MESSAGE)


def test_a_leaver_is_refused_by_the_admin(client, leaver):
    type(leaver).objects.filter(pk=leaver.pk).update(is_superuser=True)
    client.force_login(leaver)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    signed_in = client.post(
        reverse("admin:login"),
        {"username": "lea", "password": PASSWORD, "next": reverse("admin:index")},
    )
    assert signed_in.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_admin_refuses_a_leaver_whatever_the_flags_say(rf, leaver):
    from django.contrib import admin

    leaver.is_superuser = True
    request = rf.get("/admin/")
    request.user = leaver
    assert admin.site.has_permission(request) is False


def test_saving_an_employee_with_a_past_end_date_deactivates_the_account():
    employee = EmployeeFactory(role=Employee.Role.STAFF)
    assert employee.user.is_active
    employee.employed_until = days_from_today(-1)
    employee.save()
    employee.user.refresh_from_db()
    assert employee.user.is_active is False


def test_a_future_end_date_keeps_the_account_active():
    employee = EmployeeFactory(role=Employee.Role.STAFF, employed_until=days_from_today(30))
    employee.user.refresh_from_db()
    assert employee.user.is_active is True
    assert user_role(employee.user) == "staff"


def test_a_new_employee_who_has_already_left_gets_an_inactive_account():
    employee = EmployeeFactory(
        role=Employee.Role.STAFF,
        employed_from=dt.date(2020, 1, 1),
        employed_until=dt.date(2021, 6, 30),
    )
    employee.user.refresh_from_db()
    assert employee.user.is_active is False


def test_an_admin_setting_a_past_end_date_deactivates_the_account(client):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    employee = EmployeeFactory(user=UserFactory(username="max"), role=Employee.Role.STAFF)
    rate = employee.rates.get()
    client.force_login(admin_user)
    url = reverse("admin:timesheets_employee_change", args=[employee.pk])
    response = client.post(
        url,
        {
            "user": employee.user_id,
            "full_name": "Max Mover",
            "email": "",
            "role": "staff",
            "hours_per_day": "8",
            "employed_from": "2024-01-01",
            "employed_until": days_from_today(-1).isoformat(),
            "manager": "",
            "rates-TOTAL_FORMS": "1",
            "rates-INITIAL_FORMS": "1",
            "rates-0-id": rate.pk,
            "rates-0-employee": employee.pk,
            "rates-0-effective_from": "2024-01-01",
            "rates-0-cost_rate": "50.00",
            "rates-0-bill_rate": "140.00",
            "leave-TOTAL_FORMS": "0",
            "leave-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    employee.user.refresh_from_db()
    assert employee.user.is_active is False
    assert Employee.objects.get(pk=employee.pk).full_name == "Max Mover"


def test_a_leaving_executive_gets_no_more_alert_emails():
    from synapse.kpis.selectors import executive_emails

    EmployeeFactory(user=UserFactory(username="eve"), role=Employee.Role.EXECUTIVE)
    gone = EmployeeFactory(
        user=UserFactory(username="gus"),
        role=Employee.Role.EXECUTIVE,
        employed_until=days_from_today(0),
    )
    board = UserFactory(username="board", email="board@example.com")
    board.groups.add(Group.objects.get(name="executive"))
    assert executive_emails() == ["board@example.com", "eve@example.com", "gus@example.com"]
    Employee.objects.filter(pk=gone.pk).update(employed_until=days_from_today(-1))
    assert executive_emails() == ["board@example.com", "eve@example.com"]
