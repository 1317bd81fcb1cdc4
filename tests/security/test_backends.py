"""The session's user is read with their employee record: the role check costs no query."""

from __future__ import annotations

import pytest

from synapse.accounts.roles import user_role
from synapse.security.backends import ModelBackend
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_get_user_loads_the_employee_in_the_same_query(django_assert_num_queries):
    employee = EmployeeFactory(role="manager")
    with django_assert_num_queries(1):
        user = ModelBackend().get_user(employee.user.pk)
        assert user.pk == employee.user.pk
        assert user.employee.pk == employee.pk
        assert user_role(user) == "manager"


def test_get_user_without_an_employee_has_no_role(django_assert_num_queries):
    user = UserFactory()
    with django_assert_num_queries(1):
        found = ModelBackend().get_user(user.pk)
        assert found == user
        assert user_role(found) is None


def test_get_user_refuses_an_inactive_or_unknown_user():
    employee = EmployeeFactory()
    employee.user.is_active = False
    employee.user.save()
    assert ModelBackend().get_user(employee.user.pk) is None
    assert ModelBackend().get_user(employee.user.pk + 1000) is None
