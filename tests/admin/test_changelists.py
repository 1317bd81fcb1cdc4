"""Changelist search, autocomplete and query counts."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    ClientFactory,
    ContractFactory,
    EmployeeFactory,
    ProjectFactory,
    TicketFactory,
    TimeEntryFactory,
    UserFactory,
)


def _results(response) -> list:
    return list(response.context["cl"].result_list)


def test_ticket_search_matches_ref_subject_and_client(admin_client, db):
    acme = ClientFactory(code="ACME", name="Acme Corp")
    TicketFactory(ref="TCK-1", subject="VPN down", client=acme)
    TicketFactory(ref="TCK-2", subject="Printer jam")
    url = reverse("admin:support_ticket_changelist")

    by_subject = admin_client.get(url, {"q": "vpn"})
    by_client = admin_client.get(url, {"q": "acme"})
    by_ref = admin_client.get(url, {"q": "TCK-2"})

    assert [t.ref for t in _results(by_subject)] == ["TCK-1"]
    assert [t.ref for t in _results(by_client)] == ["TCK-1"]
    assert [t.ref for t in _results(by_ref)] == ["TCK-2"]


def test_time_entry_search_matches_username_and_project_code(admin_client, db):
    ada = EmployeeFactory(user=UserFactory(username="ada"))
    bob = EmployeeFactory(user=UserFactory(username="bob"))
    TimeEntryFactory(entry_id="T-ada", employee=ada, project=ProjectFactory(code="ERP-1"))
    TimeEntryFactory(entry_id="T-bob", employee=bob)
    url = reverse("admin:timesheets_timeentry_changelist")

    assert [e.entry_id for e in _results(admin_client.get(url, {"q": "bob"}))] == ["T-bob"]
    assert [e.entry_id for e in _results(admin_client.get(url, {"q": "erp-1"}))] == ["T-ada"]


def test_employee_user_is_picked_by_autocomplete(admin_client, db):
    UserFactory(username="grace")
    UserFactory(username="linus")

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "timesheets", "model_name": "employee", "field_name": "user", "term": "gra"},
    )

    assert response.status_code == 200
    assert [item["text"] for item in response.json()["results"]] == ["grace"]


def _time_entries(count: int) -> None:
    """Create ``count`` entries, each with its own employee, project, contract and ticket."""
    for n in range(count):
        client = ClientFactory()
        TimeEntryFactory(
            employee=EmployeeFactory(),
            date=dt.date(2025, 2, 3) + dt.timedelta(days=n % 20),
            project=ProjectFactory(client=client),
            contract=ContractFactory(client=client),
            ticket=TicketFactory(client=client),
        )


def _changelist_queries(admin_client) -> tuple[int, int]:
    url = reverse("admin:timesheets_timeentry_changelist")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url)
    assert response.status_code == 200
    return len(queries), len(_results(response))


def test_time_entry_changelist_runs_the_same_queries_for_5_and_50_rows(admin_client, db):
    _time_entries(5)
    few, few_rows = _changelist_queries(admin_client)
    _time_entries(45)
    many, many_rows = _changelist_queries(admin_client)

    assert (few_rows, many_rows) == (5, 50)
    # 1 session, 2 user, 3 count for the paginator, 4 the page's rows with employee,
    # project, contract and ticket joined, 5 the date hierarchy's first/last date,
    # 6 its distinct days (the data spans less than a month).
    assert few == many == 6
