"""Fuzz the forms and the CSV import: bad input gets a message, never a server error.

Random and hostile values (huge numbers, NUL bytes, odd Unicode, malformed dates and
row tokens) are posted to the timesheet cell, the ticket forms, the survey answer and
the login page: every response is a page (no 5xx, no exception out of the view). Random
bytes and random cells in each CSV file of the import end in the import's own report
(exit status 1 with ``FILE:LINE: COLUMN: message`` lines) or a clean import, never a
traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys import services as survey_services
from synapse.exchange.schemas import FILES
from tests.factories import (
    ClientFactory,
    EmployeeFactory,
    ProjectFactory,
    SurveyInvitationFactory,
    TicketFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
#: Few derandomized examples in ``make test``; ``HYPOTHESIS_PROFILE=thorough`` digs deeper.
FUZZ = settings(
    max_examples=300 if THOROUGH else 20,
    deadline=None,
    derandomize=not THOROUGH,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Values that have broken parsers elsewhere: overflow, NaN, NUL, lookalike digits, markup.
NASTY = [
    "",
    " ",
    "0",
    "-1",
    "-0",
    "1e309",
    "1e-309",
    "NaN",
    "Infinity",
    "-inf",
    "99999999999999999999999999",
    "9223372036854775808",
    "24.001",
    "23.999",
    "0.005",
    "1,5",
    "８",
    "\x00",
    "a\x00b",
    "2025-02-30",
    "0000-00-00",
    "9999-12-31",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "p99999999999999999999-c0-t0-delivery-1",
    "p1-c1-t1-rework-1",
    "p0-c0-t0-nope-1",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "x" * 5000,
    "\u202e\ufeff",
    "true",
    "P1",
    "resolved",
]
values = st.one_of(st.sampled_from(NASTY), st.text(max_size=30), st.integers().map(str))


def fields(*names: str) -> st.SearchStrategy[dict[str, str]]:
    """Return dicts of some of ``names`` with fuzzed values."""
    return st.fixed_dictionaries({}, optional=dict.fromkeys(names, values))


def assert_page(response) -> None:
    assert response.status_code < 500, response.status_code


@pytest.fixture
def staff() -> Client:
    """A logged-in staff member with a project to log time on and a ticket of their own."""
    employee = EmployeeFactory(user=UserFactory(username="fuzz-staff"), role="staff")
    ProjectFactory(code="PRJ-FZ")
    TicketFactory(assignee=employee, opened_at=timezone.now() - dt.timedelta(hours=1))
    browser = Client()
    browser.force_login(employee.user)
    return browser


@FUZZ
@given(data=fields("row", "day", "hours", "seen"))
def test_the_timesheet_cell_never_fails_on_bad_input(staff, data):
    assert_page(staff.post(reverse("timesheets:cell"), data, headers={"HX-Request": "true"}))
    assert_page(staff.post(reverse("timesheets:cell"), data))


@FUZZ
@given(
    data=fields(
        "client",
        "contract",
        "project",
        "priority",
        "subject",
        "description",
        "assign_to_me",
        "version",
    )
)
def test_the_ticket_forms_never_fail_on_bad_input(staff, data):
    from support.models import Ticket

    ticket = Ticket.objects.get(assignee__user__username="fuzz-staff")
    assert_page(staff.post(reverse("support:ticket_create"), data))
    assert_page(staff.post(reverse("support:ticket_edit", args=[ticket.pk]), data))


@FUZZ
@given(
    data=fields(
        "version", "to_status", "note", "first_contact_resolved", "assignee", "reason", "body"
    )
)
def test_the_ticket_actions_never_fail_on_bad_input(staff, data):
    from support.models import Ticket

    ticket = Ticket.objects.get(assignee__user__username="fuzz-staff")
    for name in ("ticket_transition", "ticket_assign", "ticket_escalate", "ticket_comment"):
        url = reverse(f"support:{name}", args=[ticket.pk])
        assert_page(staff.post(url, data))
        assert_page(staff.post(url, data, headers={"HX-Request": "true"}))


@FUZZ
@given(data=fields("score", "comment"), kind=st.sampled_from(["csat", "nps"]))
@override_settings(SYNAPSE_SURVEY_POSTS_PER_WINDOW=10_000)
def test_the_survey_answer_never_fails_on_bad_input(data, kind):
    cache.clear()
    invitation = SurveyInvitationFactory(kind=kind, sent_at=timezone.now())
    token = survey_services.survey_token_for(invitation)
    assert_page(Client().post(reverse("surveys:answer", kwargs={"token": token}), data))
    assert_page(Client().get(reverse("surveys:answer", kwargs={"token": token + "x"})))


@FUZZ
@given(data=fields("username", "password"))
def test_the_login_never_fails_on_bad_input(data):
    assert_page(Client().post(reverse("accounts:login"), data))


# --- The CSV import ------------------------------------------------------------------------


def run_import(folder: Path) -> str:
    """Run ``import_data`` on ``folder``; return "imported" or "refused" (exit status 1).

    Any other exception (a traceback) fails the test.
    """
    err = io.StringIO()
    try:
        call_command("import_data", str(folder), stdout=io.StringIO(), stderr=err)
    except CommandError as error:
        assert error.returncode == 1, error
        report = err.getvalue()
        assert report.strip(), "refused without saying why"
        assert "Traceback" not in report
        return "refused"
    return "imported"


SCHEMA_NAMES = [schema.name for schema in FILES]


@FUZZ
@given(name=st.sampled_from(SCHEMA_NAMES), content=st.binary(max_size=300))
def test_random_bytes_in_any_file_are_refused_cleanly(name, content):
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, name).write_bytes(content)
        assert run_import(Path(folder)) in {"imported", "refused"}


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, str]:
    """Return a file name and CSV text with that file's header and fuzzed cells."""
    schema = draw(st.sampled_from(FILES))
    header = [column.name for column in schema.columns]
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    rows = draw(st.lists(st.lists(values, min_size=len(header), max_size=len(header)), max_size=4))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return schema.name, out.getvalue()


@FUZZ
@given(file=csv_files())
def test_random_cells_in_any_file_end_in_the_import_report(file):
    if not _exists("C-FZ"):  # a client the fuzzed rows may refer to
        ClientFactory(code="C-FZ")
    name, text = file
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, name).write_text(text, encoding="utf-8")
        assert run_import(Path(folder)) in {"imported", "refused"}


def _exists(code: str) -> bool:
    from projects.models import Client as ClientModel

    return ClientModel.objects.filter(code=code).exists()


def test_a_file_that_is_not_utf8_is_one_clear_error():
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "clients.csv").write_bytes(
            "code,name,became_client_on\nC1,Müller,2025-01-01\n".encode("latin-1")
        )
        err = io.StringIO()
        with pytest.raises(CommandError) as refused:
            call_command("import_data", folder, stdout=io.StringIO(), stderr=err)
    assert refused.value.returncode == 1
    assert "clients.csv" in err.getvalue()
    assert "UTF-8" in err.getvalue()


def test_a_client_id_past_the_id_range_is_an_invalid_choice_not_a_crash(staff):
    """Found by the fuzz pass: the ticket form narrowed its choices with any digit string,
    and a number past 64 bits overflowed the query (SQLite) into a server error."""
    response = staff.post(
        reverse("support:ticket_create"),
        {"client": "99999999999999999999999999", "priority": "P1", "subject": "Overflow"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
