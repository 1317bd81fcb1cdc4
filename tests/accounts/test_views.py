"""Sign-in, role landing and role groups."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from synapse.accounts.roles import has_role, user_role
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_renders_with_csrf_token(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content


def test_anonymous_home_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_user_without_employee_has_no_role_and_gets_403(client):
    user = UserFactory()
    client.force_login(user)
    assert user_role(user) is None
    assert client.get(reverse("accounts:no_role")).status_code == 403


@pytest.mark.parametrize("role", ["staff", "manager", "executive"])
def test_employee_role_is_the_user_role_and_its_group(role):
    employee = EmployeeFactory(role=role)
    assert user_role(employee.user) == role
    assert list(employee.user.groups.values_list("name", flat=True)) == [role]
    employee.role = "staff" if role != "staff" else "manager"
    employee.save()
    assert list(employee.user.groups.values_list("name", flat=True)) == [employee.role]
    assert Group.objects.filter(name__in=["staff", "manager", "executive"]).count() == 3


def test_superuser_has_every_role():
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert user_role(admin) == "admin"
    assert has_role(admin, "executive")
    assert not has_role(EmployeeFactory(role="staff").user, "executive")


def test_deploy_check_fails_without_a_secret_key(settings):
    from synapse.accounts.checks import secret_key_given

    settings.SECRET_KEY_MISSING = True
    assert [error.id for error in secret_key_given()] == ["synapse.E001"]
    settings.SECRET_KEY_MISSING = False
    assert secret_key_given() == []
