"""Write ``docs/permissions.md`` from the permission matrices the tests check.

``python -m tests.permission_docs`` (or ``make docs``) writes it;
``tests/docs/test_permissions_doc.py`` fails when the committed file differs, so the
page always shows exactly what the tests assert.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "permissions.md"

INTRO = """\
# Who may see and change what

Generated from the permission matrices of the test suite (`tests/test_permission_matrix.py`,
`tests/test_api_matrix.py`) by `python -m tests.permission_docs` (or `make docs`); a test
fails when this page differs from them, so every cell below is checked on every run.

The rule behind every cell: **nobody moves a number except by doing the work.** Each rule
lives in one place per app, and every surface (page, HTMX endpoint, API, admin, import,
export, email) asks it:

- `synapse/accounts/roles.py`: who is asking — a role from the employee record; none for
  a leaver (`employed_until` in the past); a superuser whose second factor is not verified
  (`SYNAPSE_ADMIN_REQUIRE_OTP`) has only their employee role.
- `timesheets/policies.py`: whose time each role reads and changes, week states (a
  submitted or approved week is fixed for everyone but admins), what time may be booked
  to, and who sees money.
- `support/policies.py`: which tickets each role reads and works, and the ticket history
  fields only the desk's actions (or an admin, audited) may set.
- `synapse/dashboards/policies.py`: which KPIs and scopes each role sees on the dashboards,
  from the two above — staff their own numbers (`/dashboard/me/`), managers also their
  direct reports' (`/dashboard/`, scoped to them), executives everything; money KPIs
  (money units, margins, revenue, cost overrun and CPI) for executives and admins only.

| data | staff | manager | executive | admin (verified) |
|---|---|---|---|---|
| own time entries | read; write while the week is a draft or rejected | same | same | everything, audited |
| team's time entries | – | read; approve or reject submitted weeks | read | everything |
| tickets | own and unassigned: read, work through the desk's actions | + team's | read all | everything |
| ticket history and SLA fields | only through the desk's actions, with the real time | same | – | directly, audited |
| money (rates, costs, bill values, fees, revenue, budgets) | – | – | read | everything |
| KPIs | own employee scope | own and team's | every scope | every scope |
| money KPIs (margins, revenue, MRR, CLV/CAC, cost overrun, CPI) | – | – | read | read |

Codes, in the order anonymous · staff · manager · executive · admin: 200/201/204 done;
302 to the sign-in page (or back to the page, for a form post); 400 the request's content
is refused with its message; 401 the API asks for credentials; 403 refused; 404 not
visible to that role; 405 the URL does not take that method; 409 kept because other
records depend on it.
"""


def _codes(codes: tuple[int, ...]) -> str:
    return " · ".join(str(code) for code in codes)


def render() -> str:
    """Return the whole page from the matrices."""
    from tests.test_api_matrix import (
        ADMIN_CHANGELIST,
        ADMIN_MODELS,
        DETAILS,
        FIELDS,
        READS,
        WRITES,
    )
    from tests.test_permission_matrix import HELD_ROLES, MATRIX, ROLES

    parts = [INTRO]
    parts.append(
        "\n## Pages, HTMX endpoints and API lists\n\n"
        "`{name}` stands for a record: `_mine` is the staff member's own (their manager's "
        "team's), `_other` somebody's outside that team. A POST here carries an empty "
        "body: a form the role may use comes back with its errors, and nothing is written.\n\n"
        "| URL | GET | POST |\n|---|---|---|\n"
    )
    parts.extend(f"| `{row.url}` | {_codes(row.get)} | {_codes(row.post)} |\n" for row in MATRIX)
    parts.append(
        "\nEvery URL above is also checked for two accounts whose reach is cut: a superuser "
        f"who is also {' or '.join(HELD_ROLES)} and has not verified the second factor "
        "answers exactly like that role, and a leaver exactly like a signed-out visitor "
        "(their API tokens stop working too).\n"
    )
    parts.append(
        "\n## API records\n\n"
        "Each record route with GET, an empty PATCH (a write that changes nothing) and "
        "DELETE.\n\n| URL | GET | PATCH | DELETE | note |\n|---|---|---|---|---|\n"
    )
    parts.extend(
        f"| `{d.url}` | {_codes(d.get)} | {_codes(d.patch)} | {_codes(d.delete)} | {d.note} |\n"
        for d in DETAILS
    )
    parts.append("\n## API fields\n\nWho reads and who writes each field of each resource.\n")
    for resource, fields in FIELDS.items():
        parts.append(f"\n### `{resource}`\n\n| field | read by | written by |\n|---|---|---|\n")
        parts.extend(
            f"| `{name}` | {READS[read]} | {WRITES[write]} |\n"
            for name, (read, write) in fields.items()
        )
    parts.append(
        "\n## The admin\n\nEvery model of the admin; its list page answers "
        f"{_codes(ADMIN_CHANGELIST)} (employees are not admin users; the admin asks a "
        "superuser for the second factor). A non-superuser given admin access reaches "
        "what their role reaches, without money.\n\n"
    )
    parts.append("".join(f"- `{model}`\n" for model in ADMIN_MODELS))
    url_cells = len(MATRIX) * 2 * (len(ROLES) + len(HELD_ROLES) + 1)
    api_cells = len(DETAILS) * 3 * len(ROLES)
    field_cells = sum(len(fields) for fields in FIELDS.values())
    admin_cells = len(ADMIN_MODELS) * len(ROLES)
    parts.append(
        "\n## How much is checked\n\n"
        f"- {url_cells} URL × role × method cells ({len(MATRIX)} URLs);\n"
        f"- {api_cells} API record × role × method cells ({len(DETAILS)} routes);\n"
        f"- {field_cells} API fields, each with its read and write rule;\n"
        f"- {admin_cells} admin model × role cells ({len(ADMIN_MODELS)} models).\n"
    )
    return "".join(parts)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synapse.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
