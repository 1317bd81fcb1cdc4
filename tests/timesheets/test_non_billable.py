"""Internal and training time is never billable: the import's rule, word for word, in the
grid (adding a row, saving a cell) and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from synapse import rules
from tests.factories import EmployeeFactory, UserFactory
from timesheets.models import TimeEntry
from timesheets.selectors import RowKey

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
ACTIVITIES = ["internal", "training"]


@pytest.fixture
def ada():
    return EmployeeFactory(user=UserFactory(username="ada"), full_name="Ada L")


def message(activity: str) -> str:
    return rules.non_billable_error({"billable": True, "activity": activity})


def signed_in(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


@pytest.mark.parametrize("activity", ACTIVITIES)
def test_the_rule_names_the_activity(activity):
    assert message(activity) == f"must be false: {activity} time is never billable"
    assert rules.non_billable_error({"billable": False, "activity": activity}) is None
    assert rules.non_billable_error({"billable": True, "activity": "delivery"}) is None


@pytest.mark.parametrize("activity", ACTIVITIES)
def test_the_grid_refuses_a_billable_internal_or_training_row(ada, activity):
    client = signed_in(ada)
    response = client.post(
        reverse("timesheets:add_row"),
        {"week": "2025-02-03", "target": "internal:", "activity": activity, "billable": "on"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert f"Billable {message(activity)}." in response.content.decode()
    assert client.get("/timesheet/", {"week": "2025-02-03"}).context["grid"].rows == []


@pytest.mark.parametrize("activity", ACTIVITIES)
def test_the_grid_refuses_a_billable_internal_or_training_cell(ada, activity):
    row = RowKey(None, None, None, activity, True)
    response = signed_in(ada).post(
        reverse("timesheets:cell"),
        {"row": row.token, "day": "2025-02-05", "hours": "4", "seen": ""},
        headers=HTMX,
    )
    assert f"Billable {message(activity)}." in response.content.decode()
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize("activity", ACTIVITIES)
def test_the_api_refuses_a_billable_internal_or_training_entry(ada, activity):
    api = APIClient()
    api.force_authenticate(user=ada.user)
    entry = {"date": "2025-02-03", "hours": "2", "billable": True, "activity": activity}
    response = api.post("/api/v1/time-entries/", entry, format="json")
    assert response.status_code == 400
    assert response.json() == {"billable": [message(activity)]}
    assert not TimeEntry.objects.exists()


def test_the_api_refuses_making_an_internal_entry_billable(ada):
    api = APIClient()
    api.force_authenticate(user=ada.user)
    entry = {"entry_id": "E1", "date": "2025-02-03", "hours": "2", "activity": "internal"}
    assert api.post("/api/v1/time-entries/", entry, format="json").status_code == 201
    response = api.patch("/api/v1/time-entries/E1/", {"billable": True}, format="json")
    assert response.status_code == 400
    assert response.json() == {"billable": [message("internal")]}
    assert TimeEntry.objects.get().billable is False


def test_internal_time_that_is_not_billable_is_saved_by_the_grid(ada):
    row = RowKey(None, None, None, "training", False)
    signed_in(ada).post(
        reverse("timesheets:cell"),
        {"row": row.token, "day": "2025-02-05", "hours": "4", "seen": ""},
        headers=HTMX,
    )
    entry = TimeEntry.objects.get()
    assert (entry.activity, entry.billable, entry.date) == ("training", False, dt.date(2025, 2, 5))
