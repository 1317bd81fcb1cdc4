"""Input PostgreSQL cannot store or compare gets a 400, never a server error."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import DowntimeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api() -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def test_a_nul_in_a_query_or_a_body_is_a_400(admin_api):
    assert admin_api.get("/api/v1/downtime/?project=%00").status_code == 400
    response = admin_api.post(
        "/api/v1/downtime/",
        {
            "downtime_id": "D1",
            "project": "\x00",
            "started_at": "2025-01-01T00:00:00Z",
            "ended_at": "2025-01-01T01:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_a_datetime_filter_with_a_far_offset_is_compared_in_utc(admin_api):
    DowntimeFactory()  # 2025-01-10 00:00–01:00 UTC
    far = admin_api.get("/api/v1/downtime/", {"started_after": "0068-06-01T16:43:03+19:55"})
    assert far.status_code == 200
    assert far.json()["count"] == 1
    late = admin_api.get("/api/v1/downtime/", {"started_after": "2025-01-10T19:55:00+19:55"})
    assert late.json()["count"] == 1  # 2025-01-10 00:00 UTC: the downtime's start, inclusive
