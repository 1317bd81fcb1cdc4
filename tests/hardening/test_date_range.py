"""Edge dates: one range (1900-01-01 to 2999-12-31) everywhere, a message outside it.

Outside the range a page shows its default with the message, a form or the API answers
the field's error (400), the import reports ``FILE:LINE: COLUMN: message``; never a 500
(before, ``?week=9999-12-31`` and ``period=9999-12-01`` raised OverflowError).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from synapse.dates import DATE_RANGE_MESSAGE, EARLIEST_DATE, LATEST_DATE
from tests.exchange.conftest import folder, run_command  # noqa: F401 (fixture)
from tests.factories import ProjectFactory
from tests.hardening.conftest import signed_in
from timesheets.models import Holiday, TimeEntry
from timesheets.selectors import RowKey

pytestmark = pytest.mark.django_db


def test_the_range_is_1900_to_2999():
    assert (dt.date(1900, 1, 1), dt.date(2999, 12, 31)) == (EARLIEST_DATE, LATEST_DATE)
    assert DATE_RANGE_MESSAGE == "Dates run from 1900-01-01 to 2999-12-31 in Synapse."


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01"])
def test_a_week_outside_the_range_shows_this_week_and_says_why(people, week):
    response = signed_in(people["sam"]).get(reverse("timesheets:week"), {"week": week})
    assert response.status_code == 200
    assert f"{week}: {DATE_RANGE_MESSAGE} Showing this week." in response.content.decode()


@pytest.mark.parametrize("week", ["2999-12-31", "1900-01-01"])
def test_the_weeks_at_the_ends_of_the_range_open(people, week):
    response = signed_in(people["sam"]).get(reverse("timesheets:week"), {"week": week})
    assert response.status_code == 200
    assert DATE_RANGE_MESSAGE not in response.content.decode()


@pytest.mark.parametrize(
    ("grain", "period"), [("month", "9999-12-01"), ("year", "0001-01-01"), ("week", "9999-12-31")]
)
def test_a_dashboard_period_outside_the_range_shows_today_and_says_why(people, grain, period):
    response = signed_in(people["boss"]).get(
        reverse("dashboards:dashboard"), {"grain": grain, "period": period}
    )
    assert response.status_code == 200
    assert f"{period}: {DATE_RANGE_MESSAGE} Showing today." in response.content.decode()


@pytest.mark.parametrize(("grain", "period"), [("month", "2999-12-01"), ("year", "1900-01-01")])
def test_dashboard_periods_at_the_ends_of_the_range_open(people, grain, period):
    response = signed_in(people["boss"]).get(
        reverse("dashboards:dashboard"), {"grain": grain, "period": period}
    )
    assert response.status_code == 200
    assert DATE_RANGE_MESSAGE not in response.content.decode()


def test_the_api_refuses_a_time_entry_dated_9999_12_31(people):
    ProjectFactory(code="P1")
    response = signed_in(people["sam"]).post(
        "/api/v1/time-entries/",
        {"date": "9999-12-31", "hours": "7.50", "activity": "delivery", "project": "P1"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"date": [f"9999-12-31: {DATE_RANGE_MESSAGE}"]}
    assert not TimeEntry.objects.exists()


def test_the_live_kpi_api_refuses_a_start_before_the_range(people):
    response = signed_in(people["boss"]).get("/api/v1/kpis/?start=0001-01-01&end=2025-01-31")
    assert response.status_code == 400
    assert response.json()["start"] == [f"0001-01-01: {DATE_RANGE_MESSAGE}"]


def test_the_grid_refuses_a_cell_dated_9999_12_31(people):
    project = ProjectFactory(code="P1")
    key = RowKey(project.pk, None, None, "delivery", True)
    response = signed_in(people["sam"]).post(
        reverse("timesheets:cell"),
        {"row": key.token, "day": "9999-12-31", "hours": "8", "seen": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert response.content.decode() == f"9999-12-31: {DATE_RANGE_MESSAGE}"
    assert not TimeEntry.objects.exists()


def test_the_import_refuses_a_time_entry_dated_9999_12_31(folder):  # noqa: F811
    bad = folder({"time_entries.csv": ("E3,bob,2024-12-02", "E3,bob,9999-12-31")})
    status, out, err = run_command("import_data", str(bad))
    assert status != 0
    assert (
        f"time_entries.csv:4: date: “9999-12-31” is out of range: {DATE_RANGE_MESSAGE}" in out + err
    )
    assert not TimeEntry.objects.exists()


def test_the_admin_refuses_a_holiday_dated_9999_12_31(admin_client):
    response = admin_client.post(
        reverse("admin:timesheets_holiday_add"), {"date": "9999-12-31", "name": "Far away"}
    )
    assert response.status_code == 200  # the form again, with its error
    assert f"9999-12-31: {DATE_RANGE_MESSAGE}" in response.content.decode()
    assert not Holiday.objects.exists()
