"""The folder-of-CSV format: one schema per file, in import order (data-exchange.md "Files").

A ``FileSchema`` lists its columns (name, parser, required, default, the table a
code refers to), its key columns and its row rule (``synapse.rules``).
``parse_row`` turns the cells of one record into a dict of parsed values keyed by
column name plus a dict of errors keyed by column name; nothing here touches the
database, so forms and the API can reuse it for single records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from synapse import rules
from synapse.values import (
    Parser,
    choice_parser,
    parse_boolean,
    parse_code,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_email,
    parse_integer,
    parse_month,
    parse_text,
)

# Referenced tables: a column with ``ref`` holds a code that must exist in the
# database or earlier in the same import.
CLIENT, EMPLOYEE, PROJECT, CONTRACT, TICKET, INVITATION = (
    "client",
    "employee",
    "project",
    "contract",
    "ticket",
    "invitation",
)

EMPTY = "is required"
#: Parsed values remembered per column of a file (``row_parser``).
PARSED_MEMO = 4096
_UNPARSED = object()


@dataclass(frozen=True)
class Column:
    """One column of a file: how to read its cells and whether a value is required."""

    name: str
    parse: Parser = parse_text
    required: bool = False
    default: Any = None
    ref: str | None = None
    #: What the column means, for the format reference (docs/data-exchange.md).
    doc: str = ""


@dataclass(frozen=True)
class FileSchema:
    """One CSV file: its columns in canonical order, its key and its row rule."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    rule: Callable[..., rules.Errors]
    #: What one row is, for the format reference (docs/data-exchange.md).
    about: str = ""
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {column.name: column for column in self.columns})

    @property
    def required(self) -> tuple[str, ...]:
        """Return the names of the columns that must be in the header."""
        return tuple(column.name for column in self.columns if column.required)

    def header_errors(self, header: Sequence[str]) -> list[tuple[str, str]]:
        """Return ``(column, message)`` for unknown, repeated and missing required columns."""
        errors: list[tuple[str, str]] = []
        seen: set[str] = set()
        for name in header:
            if name not in self.by_name:
                errors.append((name or "-", "unknown column"))
            elif name in seen:
                errors.append((name, "column appears twice"))
            seen.add(name)
        errors.extend(
            (name, "required column is missing") for name in self.required if name not in seen
        )
        return errors


def parse_row(
    schema: FileSchema, header: Sequence[str], cells: Sequence[str]
) -> tuple[dict[str, Any], rules.Errors]:
    """Return the parsed values and the cell errors of one record (no row rules).

    Columns absent from the header are absent from the values (an update then keeps
    what is stored); an empty cell gives the column's default, or an error when the
    column is required.
    """
    return row_parser(schema, header)(cells)


def row_parser(
    schema: FileSchema, header: Sequence[str]
) -> Callable[[Sequence[str]], tuple[dict[str, Any], rules.Errors]]:
    """Return ``parse_row`` for one header, compiled once: a function of its own.

    The import calls it for every record of a file (a million time entries), so the
    per-column work a generic loop would repeat (which parser, required, default,
    whether a blank cell counts as empty) is decided here and written out as straight
    Python code, one short block per column (``_COLUMN_CODE``), compiled with
    ``exec`` — as ``collections.namedtuple`` and ``dataclasses`` build their methods.
    The code refers to columns by position only: no text of the file (nor of the
    header) is ever part of the source. Plain text and code cells are read inline.
    The other cells' values repeat (dates, hours, booleans, choices): each column
    remembers the values of up to ``PARSED_MEMO`` texts it parsed (parsers are pure
    and values immutable), so a repeated cell is a dict lookup; the rest, a blank
    cell or a text that fails (parsed again each time), goes to ``parse_cell``.
    """
    width = len(header)
    namespace: dict[str, Any] = {"U": _UNPARSED, "EMPTY": EMPTY}
    blocks = []
    for at, name in enumerate(header):
        column = schema.by_name[name]
        kind = (
            "text"
            if column.parse is parse_text
            else "code"
            if column.parse is parse_code
            else "parsed"
        )
        memo: dict[str, Any] = {}
        namespace.update(
            {
                f"N{at}": name,
                f"D{at}": column.default,
                f"M{at}": memo,
                f"P{at}": _cell_parser(name, column, memo),
            }
        )
        blocks.append(
            _COLUMN_CODE[kind].format(
                t=f"t{at}",
                N=f"N{at}",
                D=f"D{at}",
                M=f"M{at}",
                P=f"P{at}",
                empty=f"errors[N{at}] = EMPTY\n        " if column.required else "",
            )
        )
    names = "".join(f"t{at}, " for at in range(width))  # "t0, t1, "
    unpack = f"    {names}= cells\n" if width else ""
    source = (
        "def parse(cells):\n"
        "    values = {}\n"
        "    errors = {}\n"
        f"    if len(cells) != {width}:\n"
        f"        errors['-'] = f'the row has {{len(cells)}} cells but the header has {width}'\n"
        "        return values, errors\n" + unpack + "".join(blocks) + "    return values, errors\n"
    )
    exec(compile(source, f"<row_parser {schema.name}>", "exec"), namespace)  # our code
    return namespace["parse"]


#: The code of one column in ``row_parser``'s function, by kind of cell: ``t`` is the
#: cell's text, ``N`` the column's name, ``D`` its default, ``M`` its memo of parsed
#: texts, ``P`` its ``_cell_parser``; ``empty`` marks a blank cell of a required column.
_COLUMN_CODE = {
    # Plain text: kept as it is, blanks included; an empty cell is the default.
    "text": (
        "    if {t}:\n        values[{N}] = {t}\n    else:\n        {empty}values[{N}] = {D}\n"
    ),
    # A code: stripped; a blank cell is the default.
    "code": (
        "    if {t} and not {t}.isspace():\n"
        "        values[{N}] = {t}.strip()\n"
        "    else:\n"
        "        {empty}values[{N}] = {D}\n"
    ),
    # Parsed: a text met lately is a dict lookup; the rest is parsed.
    "parsed": (
        "    v = {M}.get({t}, U)\n"
        "    if v is U:\n"
        "        {P}({t}, values, errors)\n"
        "    else:\n"
        "        values[{N}] = v\n"
    ),
}


def _cell_parser(
    name: str, column: Column, memo: dict[str, Any]
) -> Callable[[str, dict[str, Any], rules.Errors], None]:
    """Return how a parsed column reads a cell its memo does not hold (``row_parser``)."""
    parser, required, default = column.parse, column.required, column.default

    def parse_cell(text: str, values: dict[str, Any], errors: rules.Errors) -> None:
        if not text or text.isspace():
            if required:
                errors[name] = EMPTY
            values[name] = default
            return
        try:
            value = parser(text)
        except ValueError as exc:
            errors[name] = str(exc)
            return
        if len(memo) >= PARSED_MEMO:
            memo.clear()
        memo[text] = values[name] = value

    return parse_cell


money = parse_decimal
hours = parse_decimal


def _code(name: str, *, required: bool = False, ref: str | None = None, doc: str = "") -> Column:
    return Column(name, parse_code, required=required, ref=ref, doc=doc)


CLIENTS = FileSchema(
    "clients.csv",
    (
        _code("code", required=True, doc="the client's code, its key everywhere"),
        Column("name", required=True),
        Column("became_client_on", parse_date, required=True),
        Column("churned_on", parse_date, doc="the last day as a client; empty while a client"),
    ),
    key=("code",),
    rule=rules.validate_client,
    about="A client company: since when it is a client and, once it leaves, when it churned.",
)

EMPLOYEES = FileSchema(
    "employees.csv",
    (
        _code("username", required=True, doc="the sign-in name, the person's key"),
        Column("full_name", required=True),
        Column("email", parse_email, default="", doc="where password resets and digests go"),
        Column("role", choice_parser("staff", "manager", "executive"), required=True),
        Column("hours_per_day", hours, default=Decimal(8), doc="contracted hours on a working day"),
        Column("employed_from", parse_date, required=True),
        Column("employed_until", parse_date, doc="the last day employed; empty while employed"),
        Column("cost_rate", money, required=True, doc="labour cost per hour"),
        Column("bill_rate", money, required=True, doc="price per billable hour"),
    ),
    key=("username",),
    rule=rules.validate_employee,
    about=(
        "A person of the firm and their sign-in account. The rates are the ones in force from "
        "`employed_from`; later changes go in `rates.csv`."
    ),
)

RATES = FileSchema(
    "rates.csv",
    (
        _code("username", required=True, ref=EMPLOYEE),
        Column("effective_from", parse_date, required=True, doc="first day the rates apply"),
        Column("cost_rate", money, required=True),
        Column("bill_rate", money, required=True),
    ),
    key=("username", "effective_from"),
    rule=rules.validate_rate,
    about=(
        "A change of a person's cost and bill rate, in force from `effective_from` until the next"
        " change."
    ),
)

HOLIDAYS = FileSchema(
    "holidays.csv",
    (Column("date", parse_date, required=True), Column("name", required=True)),
    key=("date",),
    rule=rules.validate_holiday,
    about="A company holiday: nobody is expected to work that day.",
)

LEAVE = FileSchema(
    "leave.csv",
    (
        _code("username", required=True, ref=EMPLOYEE),
        Column("date", parse_date, required=True),
        Column(
            "hours", hours, required=True, doc="hours of leave that day, more than 0 and at most 24"
        ),
    ),
    key=("username", "date"),
    rule=rules.validate_leave,
    about="Leave a person took on one day, in hours.",
)

PROJECTS = FileSchema(
    "projects.csv",
    (
        _code("code", required=True),
        _code("client_code", required=True, ref=CLIENT),
        Column("name", required=True),
        Column("billing", choice_parser("fixed", "time_and_materials"), default="fixed"),
        Column("revenue", money, doc="the price; required for a fixed-price project"),
        Column("budget", money, required=True, doc="the planned direct cost (labour and expenses)"),
        Column("planned_start", parse_date, required=True),
        Column("planned_end", parse_date, required=True),
        Column("actual_start", parse_date),
        Column("actual_end", parse_date),
        Column(
            "status",
            choice_parser("planned", "active", "completed", "cancelled"),
            required=True,
        ),
        Column(
            "requirements_met",
            parse_boolean,
            default=False,
            doc="whether the delivered system met its requirements",
        ),
        Column("user_count", parse_integer, default=0, doc="people who use the delivered system"),
    ),
    key=("code",),
    rule=rules.validate_project,
    about="An integration project for a client, with its plan, budget and outcome.",
)

PROGRESS = FileSchema(
    "progress.csv",
    (
        _code("project_code", required=True, ref=PROJECT),
        Column("date", parse_date, required=True),
        Column("percent_complete", parse_decimal, required=True, doc="0 to 100"),
    ),
    key=("project_code", "date"),
    rule=rules.validate_progress,
    about="How far a project was on a date, as a percentage (earned value).",
)

PROJECT_EXPENSES = FileSchema(
    "project_expenses.csv",
    (
        _code("expense_id", required=True),
        _code("project_code", required=True, ref=PROJECT),
        Column("date", parse_date, required=True),
        Column("category", required=True, doc="free text, e.g. vendor or travel"),
        Column("amount", money, required=True),
    ),
    key=("expense_id",),
    rule=rules.validate_project_expense,
    about="A direct cost of a project other than labour (vendors, licences, travel).",
)

DOWNTIME = FileSchema(
    "downtime.csv",
    (
        _code("downtime_id", required=True),
        _code("project_code", required=True, ref=PROJECT),
        Column("started_at", parse_datetime, required=True),
        Column("ended_at", parse_datetime, required=True),
    ),
    key=("downtime_id",),
    rule=rules.validate_downtime,
    about=(
        "An interval during which a client's systems were down because of an integration project."
    ),
)

CONTRACTS = FileSchema(
    "contracts.csv",
    (
        _code("code", required=True),
        _code("client_code", required=True, ref=CLIENT),
        Column("name", required=True),
        Column("monthly_fee", money, required=True, doc="what the client pays each month"),
        Column("start_date", parse_date, required=True),
        Column("end_date", parse_date, doc="the last day; empty while running"),
    ),
    key=("code",),
    rule=rules.validate_contract,
    about="A recurring managed-services contract with a monthly fee.",
)

OVERHEADS = FileSchema(
    "overheads.csv",
    (
        Column("month", parse_month, required=True, doc="the month, YYYY-MM"),
        Column(
            "category",
            choice_parser("sales_marketing", "general_admin", "facilities", "other"),
            required=True,
        ),
        Column("amount", money, required=True),
    ),
    key=("month", "category"),
    rule=rules.validate_overhead,
    about=(
        "An overhead cost of one month, by category (sales and marketing feed the acquisition "
        "cost)."
    ),
)

TICKETS = FileSchema(
    "tickets.csv",
    (
        _code("ref", required=True, doc="the ticket's reference, its key"),
        _code("client_code", required=True, ref=CLIENT),
        _code("project_code", ref=PROJECT),
        _code("contract_code", ref=CONTRACT),
        Column("priority", choice_parser("P1", "P2", "P3", "P4"), required=True),
        Column("subject", required=True),
        Column("opened_at", parse_datetime, required=True),
        Column("first_response_at", parse_datetime, doc="the first answer to the client"),
        Column("resolved_at", parse_datetime, doc="empty while open"),
        _code("assignee", ref=EMPLOYEE, doc="username of the person working it"),
        Column("escalated", parse_boolean, default=False),
        Column(
            "first_contact_resolved",
            parse_boolean,
            default=False,
            doc="solved in the first contact",
        ),
    ),
    key=("ref",),
    rule=rules.validate_ticket,
    about="A support ticket with its history: when it was opened, first answered and resolved.",
)

TICKET_PAUSES = FileSchema(
    "ticket_pauses.csv",
    (
        _code("ticket_ref", required=True, ref=TICKET),
        Column("paused_at", parse_datetime, required=True),
        Column("resumed_at", parse_datetime, doc="empty while still waiting"),
    ),
    key=("ticket_ref", "paused_at"),
    rule=rules.validate_ticket_pause,
    about="An interval during which a ticket waited on the customer (its SLA clock stops).",
)

TIME_ENTRIES = FileSchema(
    "time_entries.csv",
    (
        _code("entry_id", required=True),
        _code("username", required=True, ref=EMPLOYEE),
        Column("date", parse_date, required=True),
        Column("hours", hours, required=True),
        Column(
            "billable",
            parse_boolean,
            required=True,
            doc="billed to the client; never for internal or training",
        ),
        Column(
            "activity",
            choice_parser("delivery", "rework", "support", "internal", "training"),
            required=True,
        ),
        _code("project_code", ref=PROJECT, doc="the cost goes to this project when set"),
        _code("contract_code", ref=CONTRACT, doc="else to this contract when set"),
        _code("ticket_ref", ref=TICKET, doc="else to the ticket's contract, if it has one"),
        Column("note", default=""),
    ),
    key=("entry_id",),
    rule=rules.validate_time_entry,
    about="Hours a person logged on one day, on a project, a contract, a ticket, or internal work.",
)

SURVEY_INVITATIONS = FileSchema(
    "survey_invitations.csv",
    (
        _code("invitation_id", required=True),
        Column("kind", choice_parser("csat", "nps"), required=True),
        _code("client_code", required=True, ref=CLIENT),
        Column("contact_email", parse_email, required=True),
        Column("sent_at", parse_datetime, required=True),
        _code("project_code", ref=PROJECT),
        _code("ticket_ref", ref=TICKET),
    ),
    key=("invitation_id",),
    rule=rules.validate_survey_invitation,
    about="A satisfaction survey sent to a client contact.",
)

SURVEY_RESPONSES = FileSchema(
    "survey_responses.csv",
    (
        _code("response_id", required=True),
        Column("kind", choice_parser("csat", "nps"), required=True),
        _code("client_code", required=True, ref=CLIENT),
        Column("score", parse_integer, required=True, doc="1–5 for csat, 0–10 for nps"),
        Column("responded_at", parse_datetime, required=True),
        _code("invitation_id", ref=INVITATION, doc="the invitation answered, if any"),
        _code("project_code", ref=PROJECT),
        _code("ticket_ref", ref=TICKET),
        Column("comment", default=""),
    ),
    key=("response_id",),
    rule=rules.validate_survey_response,
    about="A client's answer to a CSAT (1–5) or NPS (0–10) survey.",
)

#: Every file, in the order the import reads them (references point backwards).
FILES: tuple[FileSchema, ...] = (
    CLIENTS,
    EMPLOYEES,
    RATES,
    HOLIDAYS,
    LEAVE,
    PROJECTS,
    PROGRESS,
    PROJECT_EXPENSES,
    DOWNTIME,
    CONTRACTS,
    OVERHEADS,
    TICKETS,
    TICKET_PAUSES,
    TIME_ENTRIES,
    SURVEY_INVITATIONS,
    SURVEY_RESPONSES,
)
SCHEMAS = {schema.name: schema for schema in FILES}
