"""CSRF on forms, HTMX requests and the session-authenticated API."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import EmployeeFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def test_login_post_without_the_token_is_refused(csrf_client):
    response = csrf_client.post(reverse("accounts:login"), {"username": "a", "password": "b"})
    assert response.status_code == 403


def test_htmx_post_needs_the_header_token_from_the_page(csrf_client):
    employee = EmployeeFactory(role="staff")
    ticket = TicketFactory(assignee=employee)
    csrf_client.force_login(employee.user)
    url = reverse("support:ticket_comment", args=[ticket.pk])
    htmx = {"HX-Request": "true"}

    refused = csrf_client.post(url, {"body": "Looked at it."}, headers=htmx)
    assert refused.status_code == 403
    assert ticket.comments.count() == 0

    page = csrf_client.get(reverse("support:ticket_detail", args=[ticket.pk]))
    token = page.context["csrf_token"]
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\''.encode() in page.content
    accepted = csrf_client.post(
        url, {"body": "Looked at it."}, headers={**htmx, "X-CSRFToken": str(token)}
    )
    assert accepted.status_code == 200
    assert ticket.comments.count() == 1


def test_session_authenticated_api_write_needs_the_token(csrf_client):
    employee = EmployeeFactory(role="staff")
    csrf_client.force_login(employee.user)
    response = csrf_client.post("/api/v1/tickets/", {"title": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
