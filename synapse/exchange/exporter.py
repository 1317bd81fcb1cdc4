"""Export the database as the folder of CSV files that ``import_data`` reads.

The format is canonical so that export → import into an empty database → export
gives byte-identical files: every file is written (a header alone when empty),
columns in the documented order, rows sorted by the file's key in code-point order
(the same on SQLite and PostgreSQL), decimals with exactly two places, datetimes in
UTC with a ``Z``, booleans ``true``/``false``, ``\\n`` line endings, UTF-8.

Text is written exactly as stored, even when it begins with ``=``, ``+``, ``-`` or ``@``:
these files are the machine format ``import_data`` reads back, not a download for
spreadsheets (the admin's CSV export is that, through ``synapse.spreadsheets``).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from django.db import connection
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Collate

from projects.models import (
    Client,
    Contract,
    Downtime,
    Overhead,
    Project,
    ProjectExpense,
    ProjectProgress,
)
from support.models import Ticket, TicketPause
from surveys.models import SurveyInvitation, SurveyResponse
from synapse.exchange.schemas import FILES, SCHEMAS
from synapse.values import format_value
from timesheets.models import Employee, Holiday, Leave, Rate, TimeEntry


def _first_rate(column: str) -> Subquery:
    """Return the employee's ``column`` rate in force from ``employed_from``, as a subquery."""
    return Subquery(
        Rate.objects.filter(
            employee=OuterRef("pk"), effective_from=OuterRef("employed_from")
        ).values(column)[:1]
    )


def _employees() -> QuerySet:
    return Employee.objects.annotate(
        first_cost_rate=_first_rate("cost_rate"), first_bill_rate=_first_rate("bill_rate")
    )


def _rates() -> QuerySet:
    # The rate at employed_from travels in employees.csv; the others are rate changes.
    return Rate.objects.exclude(effective_from=F("employee__employed_from"))


#: file → (rows, the ORM path of each column in schema order, the ORM paths of the key).
EXPORTS: dict[str, tuple[Callable[[], QuerySet], tuple[str, ...], tuple[str, ...]]] = {
    "clients.csv": (
        Client.objects.all,
        ("code", "name", "became_client_on", "churned_on"),
        ("code",),
    ),
    "employees.csv": (
        _employees,
        (
            "user__username",
            "full_name",
            "email",
            "role",
            "hours_per_day",
            "employed_from",
            "employed_until",
            "first_cost_rate",
            "first_bill_rate",
        ),
        ("user__username",),
    ),
    "rates.csv": (
        _rates,
        ("employee__user__username", "effective_from", "cost_rate", "bill_rate"),
        ("employee__user__username", "effective_from"),
    ),
    "holidays.csv": (Holiday.objects.all, ("date", "name"), ("date",)),
    "leave.csv": (
        Leave.objects.all,
        ("employee__user__username", "date", "hours"),
        ("employee__user__username", "date"),
    ),
    "projects.csv": (
        Project.objects.all,
        (
            "code",
            "client__code",
            "name",
            "billing",
            "revenue",
            "budget",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "status",
            "requirements_met",
            "user_count",
        ),
        ("code",),
    ),
    "progress.csv": (
        ProjectProgress.objects.all,
        ("project__code", "date", "percent_complete"),
        ("project__code", "date"),
    ),
    "project_expenses.csv": (
        ProjectExpense.objects.all,
        ("expense_id", "project__code", "date", "category", "amount"),
        ("expense_id",),
    ),
    "downtime.csv": (
        Downtime.objects.all,
        ("downtime_id", "project__code", "started_at", "ended_at"),
        ("downtime_id",),
    ),
    "contracts.csv": (
        Contract.objects.all,
        ("code", "client__code", "name", "monthly_fee", "start_date", "end_date"),
        ("code",),
    ),
    "overheads.csv": (
        Overhead.objects.all,
        ("month", "category", "amount"),
        ("month", "category"),
    ),
    "tickets.csv": (
        Ticket.objects.all,
        (
            "ref",
            "client__code",
            "project__code",
            "contract__code",
            "priority",
            "subject",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "assignee__user__username",
            "escalated",
            "first_contact_resolved",
        ),
        ("ref",),
    ),
    "ticket_pauses.csv": (
        TicketPause.objects.all,
        ("ticket__ref", "paused_at", "resumed_at"),
        ("ticket__ref", "paused_at"),
    ),
    "time_entries.csv": (
        TimeEntry.objects.all,
        (
            "entry_id",
            "employee__user__username",
            "date",
            "hours",
            "billable",
            "activity",
            "project__code",
            "contract__code",
            "ticket__ref",
            "note",
        ),
        ("entry_id",),
    ),
    "survey_invitations.csv": (
        SurveyInvitation.objects.all,
        (
            "invitation_id",
            "kind",
            "client__code",
            "contact_email",
            "sent_at",
            "project__code",
            "ticket__ref",
        ),
        ("invitation_id",),
    ),
    "survey_responses.csv": (
        SurveyResponse.objects.all,
        (
            "response_id",
            "kind",
            "client__code",
            "score",
            "responded_at",
            "invitation__invitation_id",
            "project__code",
            "ticket__ref",
            "comment",
        ),
        ("response_id",),
    ),
}

_TEXT_KEYS = {"code", "user__username", "employee__user__username", "project__code", "ticket__ref"}
_TEXT_KEYS |= {"category", "expense_id", "downtime_id", "ref", "entry_id"}
_TEXT_KEYS |= {"invitation_id", "response_id"}


def _ordering(path: str) -> F | Collate:
    """Return the sort expression of a key path: code-point order for text on every database."""
    if path in _TEXT_KEYS and connection.vendor == "postgresql":
        return Collate(F(path), "C")
    return F(path)


def exchange_export(*, directory: Path) -> dict[str, int]:
    """Write every file of the CSV format from the database into ``directory``.

    Return the number of data rows written per file.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for schema in FILES:
        rows, paths, key = EXPORTS[schema.name]
        parsers = [column.parse for column in SCHEMAS[schema.name].columns]
        queryset = rows().order_by(*(_ordering(path).asc() for path in key)).values_list(*paths)
        count = 0
        with (directory / schema.name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([column.name for column in schema.columns])
            for row in queryset.iterator(chunk_size=5000):
                writer.writerow(
                    [format_value(v, parse) for v, parse in zip(row, parsers, strict=True)]
                )
                count += 1
        written[schema.name] = count
    return written
