"""Every URL of the product × every role × GET and POST → the status code it must answer.

Read a row as: who may do what. Codes, in the order of ``ROLES``:

- 302 for anonymous users on signed-in pages (to the sign-in page; the admin's own one),
  401 for anonymous API calls;
- 403 for a signed-in role the page is not for; 404 for a record the role may not see
  (its existence is not revealed);
- 200 for a page shown, and for a POST with an empty body to a form the role may use
  (the form comes back with its errors, nothing is written); 400 where the API refuses
  an empty body; 405 for a method the URL does not take.

POSTs carry no CSRF token here (Django's test client skips the check) so that the
matrix tests permissions; CSRF has its own tests (e.g. tests/surveys/test_views.py).

To add a page: add a ``Row`` (``{name}`` placeholders are filled from the ``world``
fixture). ``test_every_url_is_in_the_matrix`` fails until every URL name is covered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "staff", "manager", "executive", "superuser")

# Shorthands for a row's codes, in the order of ROLES.
EXECUTIVE_PAGE = (302, 403, 403, 200, 200)
SIGNED_IN_PAGE = (302, 200, 200, 200, 200)
PUBLIC_PAGE = (200, 200, 200, 200, 200)
NOT_ALLOWED = (405, 405, 405, 405, 405)
ADMIN_ONLY = (302, 302, 302, 302, 200)
TICKET_ACTION = (302, 302, 302, 403, 302)  # an empty POST: back to the ticket, with an error
OTHERS_TICKET_ACTION = (302, 404, 404, 403, 302)
OWN_WEEK_ACTION = (302, 302, 302, 302, 403)  # an empty POST: back to the week, with an error
# The API answers anonymous requests 401 (token auth asks for credentials).
API_READ = (401, 200, 200, 200, 200)
API_MANAGER_READ = (401, 403, 200, 200, 200)
API_EXECUTIVE_READ = (401, 403, 403, 200, 200)
API_NO_WRITE = (401, 405, 405, 405, 405)


@dataclass(frozen=True)
class Row:
    """One URL and the status code each role gets for GET and for POST."""

    url: str
    get: tuple[int, ...]
    post: tuple[int, ...]
    data: dict[str, Any] = field(default_factory=dict)


MATRIX: list[Row] = [
    # Sign-in and landing.
    Row("/", (302,) * 5, (302,) * 5),
    Row("/accounts/login/", (200, 302, 302, 302, 302), (200, 302, 302, 302, 302)),
    Row("/accounts/logout/", NOT_ALLOWED, (302, 302, 302, 302, 302)),
    Row("/accounts/no-role/", (302, 403, 403, 403, 403), (302, 403, 403, 403, 403)),
    # Password reset: public pages (a signed-in user may use them too). An empty POST to
    # the request form comes back with its errors; a link with a bad uid/token shows the
    # "invalid link" page for either method; the two notice pages only take GET.
    Row("/accounts/password-reset/", PUBLIC_PAGE, PUBLIC_PAGE),
    Row("/accounts/password-reset/sent/", PUBLIC_PAGE, NOT_ALLOWED),
    Row("/accounts/password-reset/MQ/not-a-token/", PUBLIC_PAGE, PUBLIC_PAGE),
    Row("/accounts/password-reset/done/", PUBLIC_PAGE, NOT_ALLOWED),
    # Admin: superusers only (employees are not ``is_staff`` unless an admin says so).
    Row("/admin/", ADMIN_ONLY, ADMIN_ONLY),
    Row("/admin/surveys/surveyresponse/", ADMIN_ONLY, ADMIN_ONLY),
    Row("/admin/support/ticket/{ticket_mine}/change/", ADMIN_ONLY, ADMIN_ONLY),
    # Dashboards: read-only pages (``require_safe``), so a POST is a 405 for anyone. Who
    # sees which KPI and scope is synapse/dashboards/policies.py: executives everything;
    # managers their own and their direct reports' employee scopes (their own by
    # default), staff their own (on My numbers and KPI pages); no money KPI below
    # executives. A scope or KPI the role may not see is a 403.
    Row("/dashboard/", (302, 403, 200, 200, 200), NOT_ALLOWED),
    Row("/dashboard/?scope=employee:{staff_username}", (302, 403, 200, 200, 200), NOT_ALLOWED),
    Row("/dashboard/?scope=employee:{stranger_username}", (302, 403, 403, 200, 200), NOT_ALLOWED),
    Row("/dashboard/?scope=company", (302, 403, 403, 200, 200), NOT_ALLOWED),
    Row("/dashboard/?scope=client:{client_code}", (302, 403, 403, 200, 200), NOT_ALLOWED),
    # My numbers: one's own employee scope; a superuser without an employee record has none.
    Row("/dashboard/me/", (302, 200, 200, 200, 403), NOT_ALLOWED),
    Row("/dashboard/kpi/csat/", EXECUTIVE_PAGE, NOT_ALLOWED),  # no employee scope
    Row("/dashboard/kpi/mrr/", EXECUTIVE_PAGE, NOT_ALLOWED),  # money
    Row("/dashboard/kpi/rework_rate/", SIGNED_IN_PAGE, NOT_ALLOWED),  # superuser: company
    Row(
        "/dashboard/kpi/rework_rate/?scope=employee:{staff_username}",
        SIGNED_IN_PAGE,
        NOT_ALLOWED,
    ),
    Row(
        "/dashboard/kpi/rework_rate/?scope=employee:{stranger_username}",
        EXECUTIVE_PAGE,
        NOT_ALLOWED,
    ),
    Row("/dashboard/kpi/rework_rate/?scope=company", EXECUTIVE_PAGE, NOT_ALLOWED),
    Row("/dashboard/client/{client_code}/", EXECUTIVE_PAGE, NOT_ALLOWED),
    Row("/dashboard/project/{project_code}/", EXECUTIVE_PAGE, NOT_ALLOWED),
    Row("/dashboard/employee/{staff_username}/", (302, 403, 200, 200, 200), NOT_ALLOWED),
    Row("/dashboard/employee/{stranger_username}/", EXECUTIVE_PAGE, NOT_ALLOWED),
    # Timesheets: everyone with a role logs their own week (staff opening their own sheet
    # go to their week); managers approve their team's; executives read every week and
    # approve none; staff see no one else's week.
    Row("/timesheet/", (302, 200, 200, 200, 302), NOT_ALLOWED),  # a superuser has no week
    Row("/timesheet/cell/", NOT_ALLOWED, OWN_WEEK_ACTION),
    Row("/timesheet/rows/", NOT_ALLOWED, OWN_WEEK_ACTION),
    Row("/timesheet/copy-last-week/", NOT_ALLOWED, OWN_WEEK_ACTION),
    Row("/timesheet/submit/", NOT_ALLOWED, OWN_WEEK_ACTION),
    Row("/timesheet/approvals/", (302, 403, 200, 200, 200), NOT_ALLOWED),
    Row("/timesheet/sheets/{sheet_mine}/", (302, 302, 200, 200, 200), NOT_ALLOWED),
    Row("/timesheet/sheets/{sheet_other}/", (302, 404, 404, 200, 200), NOT_ALLOWED),
    Row("/timesheet/sheets/{sheet_mine}/approve/", NOT_ALLOWED, (302, 403, 200, 403, 200)),
    Row("/timesheet/sheets/{sheet_mine}/reject/", NOT_ALLOWED, (302, 403, 200, 403, 200)),
    Row("/timesheet/sheets/{sheet_other}/approve/", NOT_ALLOWED, (302, 403, 404, 403, 200)),
    # Ticket desk: staff work their own and unassigned tickets, managers their team's,
    # executives read everything and change nothing.
    Row("/tickets/", SIGNED_IN_PAGE, NOT_ALLOWED),
    Row("/tickets/new/", (302, 200, 200, 403, 200), (302, 200, 200, 403, 200)),
    Row("/tickets/{ticket_mine}/", SIGNED_IN_PAGE, NOT_ALLOWED),
    Row("/tickets/{ticket_other}/", (302, 404, 404, 200, 200), NOT_ALLOWED),
    Row("/tickets/{ticket_mine}/edit/", (302, 200, 200, 403, 200), (302, 200, 200, 403, 200)),
    Row("/tickets/{ticket_other}/edit/", (302, 404, 404, 403, 200), (302, 404, 404, 403, 200)),
    Row("/tickets/{ticket_mine}/status/", NOT_ALLOWED, TICKET_ACTION),
    Row("/tickets/{ticket_other}/status/", NOT_ALLOWED, OTHERS_TICKET_ACTION),
    Row("/tickets/{ticket_mine}/assign/", NOT_ALLOWED, TICKET_ACTION),
    Row("/tickets/{ticket_mine}/escalate/", NOT_ALLOWED, TICKET_ACTION),
    Row("/tickets/{ticket_mine}/comments/", NOT_ALLOWED, TICKET_ACTION),
    Row("/tickets/{ticket_other}/comments/", NOT_ALLOWED, OTHERS_TICKET_ACTION),
    # Client surveys: no login; the signed link is the permission.
    Row("/survey/{survey_token}/", PUBLIC_PAGE, PUBLIC_PAGE),
    Row("/survey/not-a-signed-token/", (400,) * 5, (400,) * 5, {"score": "5"}),
    Row("/survey/thanks/", PUBLIC_PAGE, NOT_ALLOWED),
    # API roots (session auth here; detail routes are covered by tests/api).
    Row("/api/schema/", API_READ, API_NO_WRITE),
    Row("/api/docs/", API_READ, API_NO_WRITE),
    Row("/api/redoc/", API_READ, API_NO_WRITE),
    Row("/api/v1/", API_READ, API_NO_WRITE),
    Row("/api/no-such-endpoint/", (404,) * 5, (404,) * 5),
    Row("/api/v1/kpis/", (401, 400, 400, 400, 400), API_NO_WRITE),
    Row("/api/v1/kpis/?start=2025-01-01&end=2025-01-31", API_EXECUTIVE_READ, API_NO_WRITE),
    Row(
        "/api/v1/kpis/?start=2025-01-01&end=2025-01-31&scope=employee:{staff_username}",
        API_READ,
        API_NO_WRITE,
    ),
    Row("/api/v1/clients/", API_READ, (401, 403, 403, 403, 400)),
    Row("/api/v1/contracts/", API_READ, (401, 403, 403, 403, 400)),
    Row("/api/v1/projects/", API_READ, (401, 403, 403, 403, 400)),
    Row("/api/v1/project-progress/", API_READ, (401, 403, 403, 403, 400)),
    Row("/api/v1/project-expenses/", API_READ, (401, 403, 403, 403, 400)),
    Row("/api/v1/downtime/", API_READ, (401, 403, 403, 403, 400)),
    Row("/api/v1/employees/", API_READ, (401, 403, 403, 403, 403)),
    Row("/api/v1/time-entries/", API_READ, (401, 400, 400, 400, 400)),
    Row("/api/v1/tickets/", API_READ, (401, 400, 400, 403, 400)),
    # Pauses are the waiting transition's to write: only a superuser writes one directly.
    Row("/api/v1/ticket-pauses/", API_READ, (401, 403, 403, 403, 400)),
    # The desk's actions on a ticket (POST only): an empty body is a 400 for agents.
    Row("/api/v1/tickets/{ticket_mine_ref}/comments/", API_NO_WRITE, (401, 400, 400, 403, 400)),
    Row("/api/v1/tickets/{ticket_mine_ref}/escalate/", API_NO_WRITE, (401, 400, 400, 403, 400)),
    Row("/api/v1/tickets/{ticket_other_ref}/comments/", API_NO_WRITE, (401, 404, 404, 403, 400)),
    Row("/api/v1/ticket-events/", API_READ, (401, 405, 405, 403, 405)),
    Row("/api/v1/survey-invitations/", API_MANAGER_READ, (401, 403, 403, 403, 400)),
    Row("/api/v1/survey-responses/", API_MANAGER_READ, (401, 403, 403, 403, 400)),
    # Staff and managers get 200 with only the snapshots their role may read (tests/api).
    Row("/api/v1/kpi-snapshots/", API_READ, (401, 403, 403, 403, 403)),
]

# URL names the matrix does not list one by one, and why.
UNLISTED = {
    "admin": "the Django admin's own pages: its index, a changelist and a change form are listed",
}
UNLISTED_SUFFIXES = {
    "-detail": "API detail routes: tests/api checks each object's permissions",
}


@pytest.fixture
def world(access_world: dict[str, Any]) -> dict[str, Any]:
    """The people and records the matrix's URLs point at (``tests/conftest.py``)."""
    return access_world


def _request(client: Client, world: dict[str, Any], row: Row, role: str, method: str):
    if role != "anonymous":
        client.force_login(world["users"][role])
    url = row.url.format(**world)
    if method == "get":
        return client.get(url)
    return client.post(url, row.data)


CASES = [
    pytest.param(row, role, method, id=f"{method.upper()} {row.url} {role}")
    for row in MATRIX
    for method in ("get", "post")
    for role in ROLES
]


@pytest.mark.parametrize(("row", "role", "method"), CASES)
def test_status_code(client, world, row, role, method):
    expected = getattr(row, method)[ROLES.index(role)]
    response = _request(client, world, row, role, method)
    assert response.status_code == expected
    if role == "anonymous" and expected == 302:
        assert "/login/" in response["Location"]


def _url_names(patterns: list, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            prefix = f"{namespace}:{inner}" if namespace and inner else namespace or inner
            names |= _url_names(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def test_every_url_is_in_the_matrix(world):
    """A new page must get a row: every named URL resolves from some row, or is unlisted."""
    covered = {resolve(row.url.format(**world).split("?")[0]).view_name for row in MATRIX}
    missing = {
        name
        for name in _url_names(get_resolver().url_patterns)
        if name.split(":")[0] not in UNLISTED
        and not any(name.endswith(suffix) for suffix in UNLISTED_SUFFIXES)
        and name not in covered
    }
    assert missing == set()


# Cut reach: the same matrix read for accounts whose reach is cut short (accounts/roles.py).

HELD_ROLES = ("staff", "executive")


@pytest.mark.parametrize(
    ("row", "role", "method"),
    [
        pytest.param(row, role, method, id=f"{method.upper()} {row.url} {role}")
        for row in MATRIX
        for method in ("get", "post")
        for role in HELD_ROLES
    ],
)
def test_an_unverified_superuser_gets_what_their_employee_role_gets(
    client, world, settings, row, role, method
):
    """With the second factor required and not verified, a superuser who is also on the
    staff (or an executive) answers exactly like that employee role, on every URL."""
    settings.SYNAPSE_ADMIN_REQUIRE_OTP = True
    user = world["users"][role]
    user.is_superuser = user.is_staff = True
    user.save()
    expected = getattr(row, method)[ROLES.index(role)]
    assert _request(client, world, row, role, method).status_code == expected


@pytest.mark.parametrize(
    ("row", "method"),
    [
        pytest.param(row, method, id=f"{method.upper()} {row.url}")
        for row in MATRIX
        for method in ("get", "post")
    ],
)
def test_a_leaver_gets_what_anonymous_users_get(client, world, row, method):
    """A manager whose employment ended yesterday (account still active: nobody saved the
    record since) answers like a signed-out visitor on every URL."""
    manager = world["users"]["manager"]
    type(manager.employee).objects.filter(pk=manager.employee.pk).update(
        employed_until=timezone.localdate() - dt.timedelta(days=1)
    )
    manager.refresh_from_db()
    assert manager.is_active
    expected = getattr(row, method)[ROLES.index("anonymous")]
    response = _request(client, world, row, "manager", method)
    assert response.status_code == expected
    if expected == 302:
        assert "/login/" in response["Location"]
