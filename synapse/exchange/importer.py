"""Import a folder of CSV files (data-exchange.md): all or nothing, upserted on each file's key.

How it stays fast at a million rows: every file is streamed (one record in memory at
a time plus a batch), foreign keys are resolved through one ``code → id`` dict per
referenced table loaded once, and rows are written with ``bulk_create`` /
``bulk_update`` per batch of ``BATCH_SIZE`` after one query for the batch's existing
rows. Rows are written while the files are read, inside one transaction: the first
error switches writing off (every remaining row is still validated), and any error,
or ``dry_run``, rolls the whole transaction back — so from the outside every row of
every file is validated first and nothing is written unless all of them are valid.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Sum

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
from synapse.exchange import rules
from synapse.exchange import schemas as s
from synapse.exchange.schemas import FILES, FileSchema, parse_row
from synapse.fields import FixedPointField
from timesheets.models import Employee, Holiday, Leave, Rate, TimeEntry

BATCH_SIZE = 2000
PROGRESS_MIN_BYTES = 1_000_000

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass
class FileCounts:
    """What the import did (or would do) with the rows of one file."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, state: str) -> None:
        setattr(self, state, getattr(self, state) + 1)


@dataclass
class ImportReport:
    """The outcome of an import: counts per file read, and every error found."""

    counts: dict[str, FileCounts] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rollback(Exception):
    """Raised inside the import transaction to undo it (errors found, or a dry run)."""


@dataclass(frozen=True)
class _Target:
    """How the rows of one file become model rows.

    ``attrs`` maps a column to the model attribute it fills when they differ (a
    column with a ``ref`` holds a code and fills the ``*_id`` attribute with the id);
    ``key`` are the model attributes of the file's key; ``provides`` names the
    reference table whose ``code → id`` map the file's key feeds.
    """

    model: type[models.Model]
    key: tuple[str, ...]
    attrs: dict[str, str] = field(default_factory=dict)
    provides: str | None = None
    derived: tuple[str, ...] = ()
    old_extra: tuple[str, ...] = ()
    needs_ids: bool = False


TARGETS: dict[str, _Target] = {
    "clients.csv": _Target(Client, ("code",), provides=s.CLIENT),
    "rates.csv": _Target(Rate, ("employee_id", "effective_from"), {"username": "employee_id"}),
    "holidays.csv": _Target(Holiday, ("date",)),
    "leave.csv": _Target(Leave, ("employee_id", "date"), {"username": "employee_id"}),
    "projects.csv": _Target(Project, ("code",), {"client_code": "client_id"}, provides=s.PROJECT),
    "progress.csv": _Target(
        ProjectProgress, ("project_id", "date"), {"project_code": "project_id"}
    ),
    "project_expenses.csv": _Target(
        ProjectExpense, ("expense_id",), {"project_code": "project_id"}
    ),
    "downtime.csv": _Target(Downtime, ("downtime_id",), {"project_code": "project_id"}),
    "contracts.csv": _Target(
        Contract, ("code",), {"client_code": "client_id"}, provides=s.CONTRACT
    ),
    "overheads.csv": _Target(Overhead, ("month", "category")),
    "tickets.csv": _Target(
        Ticket,
        ("ref",),
        {
            "client_code": "client_id",
            "project_code": "project_id",
            "contract_code": "contract_id",
            "assignee": "assignee_id",
        },
        provides=s.TICKET,
        derived=("status",),
        old_extra=("first_response_at", "resolved_at"),
    ),
    "ticket_pauses.csv": _Target(
        TicketPause, ("ticket_id", "paused_at"), {"ticket_ref": "ticket_id"}
    ),
    "time_entries.csv": _Target(
        TimeEntry,
        ("entry_id",),
        {
            "username": "employee_id",
            "project_code": "project_id",
            "contract_code": "contract_id",
            "ticket_ref": "ticket_id",
        },
    ),
    "survey_invitations.csv": _Target(
        SurveyInvitation,
        ("invitation_id",),
        {"client_code": "client_id", "project_code": "project_id", "ticket_ref": "ticket_id"},
        provides=s.INVITATION,
    ),
    "survey_responses.csv": _Target(
        SurveyResponse,
        ("response_id",),
        {
            "client_code": "client_id",
            "invitation_id": "invitation_id",
            "project_code": "project_id",
            "ticket_ref": "ticket_id",
        },
    ),
}

_REF_LOADERS: dict[str, Callable[[], Iterable[tuple[str, int]]]] = {
    s.CLIENT: lambda: Client.objects.values_list("code", "pk"),
    s.EMPLOYEE: lambda: Employee.objects.values_list("user__username", "pk"),
    s.PROJECT: lambda: Project.objects.values_list("code", "pk"),
    s.CONTRACT: lambda: Contract.objects.values_list("code", "pk"),
    s.TICKET: lambda: Ticket.objects.values_list("ref", "pk"),
    s.INVITATION: lambda: SurveyInvitation.objects.values_list("invitation_id", "pk"),
}


def ticket_status_for(
    *, first_response_at: dt.datetime | None, resolved_at: dt.datetime | None, old: str | None
) -> str:
    """Return the status an imported ticket gets (tickets.csv has no status column).

    A resolved ticket is ``resolved`` (or stays ``closed``); an unresolved one keeps a
    working status it already has (in progress, waiting), else is ``in_progress`` once
    answered and ``new`` before.
    """
    done = {Ticket.Status.RESOLVED, Ticket.Status.CLOSED}
    if resolved_at is not None:
        return old if old in done else Ticket.Status.RESOLVED
    if old in {Ticket.Status.IN_PROGRESS, Ticket.Status.WAITING}:
        return old
    return Ticket.Status.IN_PROGRESS if first_response_at is not None else Ticket.Status.NEW


def exchange_import(
    *, directory: Path, dry_run: bool = False, progress: TextIO | None = None
) -> ImportReport:
    """Validate and upsert every known CSV file in ``directory``; all or nothing.

    Return the report: per-file counts of rows created, updated and unchanged, and
    every error as ``FILE:LINE: COLUMN: message`` (LINE 1 is the header). When there
    is any error, or ``dry_run``, nothing is kept. After a real import the derived
    data of what changed is recomputed (time-entry costs, ticket SLA outcomes,
    project windows, role groups). ``progress`` gets a progress bar for large files.
    """
    run = _ImportRun(directory=Path(directory), dry_run=dry_run, progress=progress)
    try:
        with transaction.atomic():
            run.execute()
            if run.report.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return run.report


class _ImportRun:
    """One import: reference maps, what changed (for derived data), errors and counts."""

    def __init__(self, *, directory: Path, dry_run: bool, progress: TextIO | None) -> None:
        self.directory = directory
        self.progress = progress
        self.report = ImportReport(dry_run=dry_run)
        self.writing = True
        self._refs: dict[str, dict[str, int | None]] = {}
        self._employment: dict[str, tuple[dt.date, dt.date | None]] | None = None
        self._invitation_slots: dict[tuple[str, str, str], str] | None = None
        self._answered: dict[str, str] | None = None
        # What changed, for the derived data.
        self.recost_employees: set[int] = set()
        self.changed_employees: set[int] = set()
        self.recost_tickets: set[int] = set()
        self.sla_tickets: set[int] = set()
        self.changed_projects: set[int] = set()
        self.holidays_changed = False
        # Time entries: a person's day total, checked once the file is read.
        self._day: dict[tuple[str, dt.date], list] = {}
        self._unwritten_day: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
        self._unwritten_keys: list[str] = []
        self._replaced_day: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)

    # Driving.

    def execute(self) -> None:
        for schema in FILES:
            path = self.directory / schema.name
            if path.is_file():
                self._import_file(schema, path)
        if not self.report.errors and not self.report.dry_run:
            self._refresh_derived()

    def error(self, name: str, line: int, column: str, message: str) -> None:
        """Record one error; from now on nothing more is written."""
        self.report.errors.append(f"{name}:{line}: {column}: {message}")
        self.writing = False

    # Reading.

    def _lines(self, path: Path, name: str) -> Iterator[str]:
        """Yield the decoded lines of ``path``; a byte that is not UTF-8 is an error."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        bar = self._bar(path, name)
        number = 0
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    text = decoder.decode(raw)
                except UnicodeDecodeError as exc:
                    self.error(name, number, "-", f"the file is not UTF-8 text ({exc.reason})")
                    break
                if number == 1 and text.startswith("\ufeff"):
                    text = text[1:]
                if bar is not None and number % 1000 == 0:
                    bar.update(handle.tell() - bar.n)
                yield text
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                self.error(name, number, "-", f"the file is not UTF-8 text ({exc.reason})")
        if bar is not None:
            bar.update(bar.total - bar.n)
            bar.close()

    def _bar(self, path: Path, name: str) -> Any:
        if self.progress is None:
            return None
        size = path.stat().st_size
        if size < PROGRESS_MIN_BYTES:
            return None
        from tqdm import tqdm

        return tqdm(total=size, desc=name, unit="B", unit_scale=True, file=self.progress)

    def _records(self, schema: FileSchema, path: Path) -> Iterator[tuple[int, list[str]]]:
        """Yield ``(line, cells)`` of each data record after checking the header."""
        reader = csv.reader(self._lines(path, schema.name), strict=True)
        line = 1
        try:
            header = next(reader, None)
            if header is None:
                self.error(schema.name, 1, "-", "the header row is missing")
                return
            problems = schema.header_errors(header)
            for column, message in problems:
                self.error(schema.name, 1, column, message)
            if problems:
                return
            yield 1, header
            for line, cells in enumerate(reader, start=2):
                if cells:
                    yield line, cells
        except csv.Error as exc:
            self.error(schema.name, line + 1, "-", f"the file is not valid CSV ({exc})")

    # Reference data.

    def refs(self, table: str) -> dict[str, int | None]:
        """Return the ``code → id`` map of ``table`` (id None: imported, not yet written)."""
        if table not in self._refs:
            self._refs[table] = dict(_REF_LOADERS[table]())
        return self._refs[table]

    def employment(self) -> dict[str, tuple[dt.date, dt.date | None]]:
        if self._employment is None:
            rows = Employee.objects.values_list("user__username", "employed_from", "employed_until")
            self._employment = {name: (start, until) for name, start, until in rows}
        return self._employment

    # One file.

    def _import_file(self, schema: FileSchema, path: Path) -> None:
        name = schema.name
        counts = self.report.counts.setdefault(name, FileCounts())
        records = self._records(schema, path)
        first = next(records, None)
        if first is None:
            return
        header = first[1]
        target = TARGETS.get(name)
        refs = [(c.name, c.ref) for c in schema.columns if c.ref and c.name in header]
        key_columns = schema.key
        seen: dict[tuple, int] = {}
        batch: list[tuple[int, dict[str, Any]]] = []
        flush = self._flush_employees if name == "employees.csv" else self._flush
        check = getattr(self, f"_check_{name.removesuffix('.csv')}", None)
        table_empty = not (target.model if target else Employee).objects.exists()
        fields = self._update_fields(header, target) if target else list(header)
        for line, cells in records:
            counts.rows += 1
            values, errors = parse_row(schema, header, cells)
            if "-" not in errors:
                key = tuple(values.get(column) for column in key_columns)
                if None not in key and not any(column in errors for column in key_columns):
                    first_line = seen.setdefault(key, line)
                    if first_line != line:
                        errors.setdefault(
                            key_columns[0], f"duplicate key (first on line {first_line})"
                        )
                    elif target is None or target.provides:
                        table = target.provides if target else s.EMPLOYEE
                        known = self.refs(table)
                        known.setdefault(key[0], None)
                for column, table in refs:
                    code = values.get(column)
                    if code is not None and code not in self.refs(table):
                        errors.setdefault(column, f"unknown {table} “{code}”")
                if check is not None:
                    check(values, errors, line)
                else:
                    for column, message in schema.rule(values).items():
                        errors.setdefault(column, message)
            if errors:
                for column, message in errors.items():
                    self.error(name, line, column, message)
                continue
            batch.append((line, values))
            if len(batch) >= BATCH_SIZE:
                flush(name, target, fields, batch, counts, table_empty)
                batch = []
        if batch:
            flush(name, target, fields, batch, counts, table_empty)
        if name == "time_entries.csv":
            self._check_day_totals(name)

    @staticmethod
    def _update_fields(header: list[str], target: _Target) -> list[str]:
        """Return the attributes an update writes: those of the columns present."""
        key = set(target.key)
        names = [target.attrs.get(column, column) for column in header]
        return [name for name in names if name not in key] + list(target.derived)

    def _attrs(self, target: _Target, values: dict[str, Any]) -> dict[str, Any]:
        """Return the model attributes of one parsed row (codes resolved to ids)."""
        attrs: dict[str, Any] = {}
        for column, value in values.items():
            attr = target.attrs.get(column)
            if attr is None:
                attrs[column] = value
            elif value is None:
                attrs[attr] = None
            else:
                attrs[attr] = self._refs[_REF_OF[column]].get(value)
        return attrs

    # Writing.

    def _flush(
        self,
        name: str,
        target: _Target,
        fields: list[str],
        batch: list[tuple[int, dict[str, Any]]],
        counts: FileCounts,
        table_empty: bool,
    ) -> None:
        if not self.writing:
            self._unwritten(name, batch)
            return
        rows = [self._attrs(target, values) for _, values in batch]
        existing = {} if table_empty else _existing(target, fields, rows)
        if name == "tickets.csv":
            for attrs in rows:
                old = existing.get((attrs["ref"],), {})
                attrs["status"] = ticket_status_for(
                    first_response_at=attrs.get("first_response_at", old.get("first_response_at")),
                    resolved_at=attrs.get("resolved_at", old.get("resolved_at")),
                    old=old.get("status"),
                )
        try:
            with transaction.atomic():
                outcomes = _apply(target, fields, rows, existing)
        except DatabaseError as exc:
            self.error(name, batch[0][0], "-", f"the database refused the rows: {exc}")
            self._unwritten(name, batch)
            return
        after = getattr(self, f"_after_{name.removesuffix('.csv')}", None)
        table = target.provides
        for (state, pk, old), attrs in zip(outcomes, rows, strict=True):
            counts.add(state)
            if table is not None:
                self._refs[table][attrs[target.key[0]]] = pk
            if after is not None and state != UNCHANGED:
                after(pk, attrs, old)

    def _unwritten(self, name: str, batch: list[tuple[int, dict[str, Any]]]) -> None:
        """Note rows validated but not written (an error was found earlier)."""
        if name == "time_entries.csv":
            for _, values in batch:
                self._entry_unwritten(values)

    def _flush_employees(
        self,
        name: str,
        target: _Target | None,
        fields: list[str],
        batch: list[tuple[int, dict[str, Any]]],
        counts: FileCounts,
        table_empty: bool,
    ) -> None:
        """Upsert users, employees and each employee's rate at ``employed_from``."""
        if not self.writing:
            return
        user_model = get_user_model()
        rows = [values for _, values in batch]
        usernames = [values["username"] for values in rows]
        users = {
            row["username"]: row
            for row in user_model.objects.filter(username__in=usernames).values(
                "pk", "username", "email"
            )
        }
        new_users = [
            user_model(
                username=values["username"],
                email=values.get("email") or "",
                password=make_password(None),
            )
            for values in rows
            if values["username"] not in users
        ]
        email_changed = [
            user_model(pk=users[values["username"]]["pk"], email=values["email"])
            for values in rows
            if "email" in values
            and values["username"] in users
            and users[values["username"]]["email"] != values["email"]
        ]
        header_fields = [f for f in fields if f in _EMPLOYEE_FIELDS]
        try:
            with transaction.atomic():
                user_model.objects.bulk_create(new_users)
                user_model.objects.bulk_update(email_changed, ["email"])
                user_ids = {u.username: u.pk for u in new_users}
                user_ids.update({key: row["pk"] for key, row in users.items()})
                employee_target = _Target(Employee, ("user_id",), needs_ids=True)
                employee_rows = [
                    {"user_id": user_ids[v["username"]]}
                    | {f: v[f] for f in header_fields if f in v}
                    for v in rows
                ]
                existing = _existing(employee_target, header_fields, employee_rows)
                employees = _apply(employee_target, header_fields, employee_rows, existing)
                rate_target = _Target(Rate, ("employee_id", "effective_from"))
                rate_rows = [
                    {
                        "employee_id": pk,
                        "effective_from": v["employed_from"],
                        "cost_rate": v["cost_rate"],
                        "bill_rate": v["bill_rate"],
                    }
                    for (_, pk, _), v in zip(employees, rows, strict=True)
                ]
                rate_fields = ["cost_rate", "bill_rate"]
                existing = _existing(rate_target, rate_fields, rate_rows)
                rates = _apply(rate_target, rate_fields, rate_rows, existing)
        except DatabaseError as exc:
            self.error(name, batch[0][0], "-", f"the database refused the rows: {exc}")
            return
        changed_emails = {u.pk for u in email_changed}
        for values, (state, pk, _), (rate_state, _, _) in zip(rows, employees, rates, strict=True):
            self._refs[s.EMPLOYEE][values["username"]] = pk
            if state == UNCHANGED and (
                rate_state != UNCHANGED or user_ids[values["username"]] in changed_emails
            ):
                state = UPDATED
            counts.add(state)
            if state != UNCHANGED:
                self.changed_employees.add(pk)
            if rate_state != UNCHANGED:
                self.recost_employees.add(pk)

    # Checks beyond the row rule (references to other records, cross-row facts).

    def _check_employees(self, values: dict[str, Any], errors: dict[str, str], line: int) -> None:
        for column, message in rules.validate_employee(values).items():
            errors.setdefault(column, message)
        start = values.get("employed_from")
        if start is not None and "username" in values:
            self.employment()[values["username"]] = (start, values.get("employed_until"))

    def _check_time_entries(
        self, values: dict[str, Any], errors: dict[str, str], line: int
    ) -> None:
        username, day = values.get("username"), values.get("date")
        employment = self.employment().get(username) if username else None
        problems = rules.validate_time_entry(values, employment=employment)
        for column, message in problems.items():
            errors.setdefault(column, message)
        hours = values.get("hours")
        if username is None or day is None or hours is None or "hours" in problems:
            return
        slot = self._day.get((username, day))
        if slot is None:
            self._day[(username, day)] = [hours, line]
        else:
            slot[0] += hours
            slot[1] = line
        if errors:
            self._entry_unwritten(values)

    def _entry_unwritten(self, values: dict[str, Any]) -> None:
        username, day, hours = values.get("username"), values.get("date"), values.get("hours")
        if username is None or day is None or hours is None:
            return
        self._unwritten_day[(username, day)] += hours
        if values.get("entry_id") is not None:
            self._unwritten_keys.append(values["entry_id"])
            if len(self._unwritten_keys) >= BATCH_SIZE:
                self._replaced_flush()

    def _replaced_flush(self) -> None:
        """Note the stored hours that unwritten entries would replace."""
        stored = TimeEntry.objects.filter(entry_id__in=self._unwritten_keys).values_list(
            "employee__user__username", "date", "hours"
        )
        for username, day, hours in stored:
            self._replaced_day[(username, day)] += hours
        self._unwritten_keys = []

    def _check_day_totals(self, name: str) -> None:
        """Report each person-day whose hours would exceed 24, on its last line in the file.

        The total counts the person's stored entries of that day that the file does
        not replace: stored rows now (the file's written entries among them), minus
        what unwritten entries would replace, plus the unwritten entries' hours.
        """
        if not self._day:
            return
        self._replaced_flush()
        usernames = {username for username, _ in self._day}
        days = [day for _, day in self._day]
        stored = (
            TimeEntry.objects.filter(
                employee__user__username__in=usernames, date__range=(min(days), max(days))
            )
            .values("employee__user__username", "date")
            .annotate(total=Sum("hours"))
        )
        if not self._unwritten_day:
            stored = stored.filter(total__gt=rules.MAX_DAY_HOURS)
        totals: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
        for row in stored.order_by():
            totals[(row["employee__user__username"], row["date"])] = row["total"]
        for person_day, hours in self._unwritten_day.items():
            totals[person_day] += hours - self._replaced_day.get(person_day, Decimal(0))
        over = [
            (slot[1], person_day, totals[person_day])
            for person_day, slot in self._day.items()
            if totals.get(person_day, Decimal(0)) > rules.MAX_DAY_HOURS
        ]
        for line, (username, day), total in sorted(over):
            self.error(name, line, "hours", rules.day_total_message(username, day, total))

    def _check_survey_invitations(
        self, values: dict[str, Any], errors: dict[str, str], line: int
    ) -> None:
        if self._invitation_slots is None:
            self._invitation_slots = {}
            stored = SurveyInvitation.objects.values_list(
                "invitation_id", "kind", "project__code", "ticket__ref"
            )
            for invitation, kind, project, ticket in stored:
                if project is not None:
                    self._invitation_slots[("project", kind, project)] = invitation
                if ticket is not None:
                    self._invitation_slots[("ticket", kind, ticket)] = invitation
        for column, message in rules.validate_survey_invitation(values).items():
            errors.setdefault(column, message)
        invitation, kind = values.get("invitation_id"), values.get("kind")
        for column, what in (("project_code", "project"), ("ticket_ref", "ticket")):
            code = values.get(column)
            if code is None or kind is None or invitation is None:
                continue
            other = self._invitation_slots.setdefault((what, kind, code), invitation)
            if other != invitation:
                errors.setdefault(
                    column, f"{what} “{code}” already has a {kind} invitation ({other})"
                )

    def _check_survey_responses(
        self, values: dict[str, Any], errors: dict[str, str], line: int
    ) -> None:
        for column, message in rules.validate_survey_response(values).items():
            errors.setdefault(column, message)
        if self._answered is None:
            self._answered = dict(
                SurveyResponse.objects.filter(invitation__isnull=False).values_list(
                    "invitation__invitation_id", "response_id"
                )
            )
        invitation, response = values.get("invitation_id"), values.get("response_id")
        if invitation is not None and response is not None:
            other = self._answered.setdefault(invitation, response)
            if other != response:
                errors.setdefault(
                    "invitation_id", f"invitation “{invitation}” is already answered ({other})"
                )

    # What changed, for derived data.

    def _after_rates(self, pk: int, attrs: dict[str, Any], old: dict | None) -> None:
        self.recost_employees.add(attrs["employee_id"])

    def _after_holidays(self, pk: int, attrs: dict[str, Any], old: dict | None) -> None:
        self.holidays_changed = True

    def _after_projects(self, pk: int, attrs: dict[str, Any], old: dict | None) -> None:
        self.changed_projects.add(pk)

    def _after_tickets(self, pk: int, attrs: dict[str, Any], old: dict | None) -> None:
        self.sla_tickets.add(pk)
        if old is not None and old.get("contract_id") != attrs.get("contract_id"):
            self.recost_tickets.add(pk)

    def _after_ticket_pauses(self, pk: int, attrs: dict[str, Any], old: dict | None) -> None:
        self.sla_tickets.add(attrs["ticket_id"])

    def _after_time_entries(self, pk: int, attrs: dict[str, Any], old: dict | None) -> None:
        self.recost_employees.add(attrs["employee_id"])

    def _refresh_derived(self) -> None:
        """Recompute what is derived from the imported rows (bulk, in the transaction)."""
        from timesheets.services import time_entries_recost

        for chunk in _chunks(sorted(self.recost_employees)):
            time_entries_recost(TimeEntry.objects.filter(employee_id__in=chunk))
        for chunk in _chunks(sorted(self.recost_tickets)):
            time_entries_recost(TimeEntry.objects.filter(ticket_id__in=chunk))
        self._refresh_tickets()
        try:
            from projects.services import projects_refresh_derived
        except ImportError:
            self.report.notes.append("projects_refresh_derived is not available: skipped")
        else:
            for chunk in _chunks(sorted(self.changed_projects)):
                projects_refresh_derived(Project.objects.filter(pk__in=chunk))
        try:
            from synapse.accounts.signals import employee_groups_sync
        except ImportError:
            pass
        else:
            changed = Employee.objects.filter(pk__in=self.changed_employees)
            for employee in changed.select_related("user"):
                employee_groups_sync(employee=employee)

    def _refresh_tickets(self) -> None:
        if not self.sla_tickets and not self.holidays_changed:
            return
        try:
            from support.services import tickets_sla_refresh
        except ImportError:
            self.report.notes.append("support.services.tickets_sla_refresh missing: SLA skipped")
            return
        if self.holidays_changed:
            # Holidays move business-hours clocks of any ticket: refresh them all once.
            tickets_sla_refresh(Ticket.objects.all())
            return
        for chunk in _chunks(sorted(self.sla_tickets)):
            tickets_sla_refresh(Ticket.objects.filter(pk__in=chunk))


_REF_OF = {column.name: column.ref for schema in FILES for column in schema.columns if column.ref}
_EMPLOYEE_FIELDS = {
    "full_name",
    "email",
    "role",
    "hours_per_day",
    "employed_from",
    "employed_until",
}


def _chunks(items: list[int], size: int = 1000) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(
    target: _Target, fields: list[str], rows: list[dict[str, Any]]
) -> dict[tuple, dict[str, Any]]:
    """Return the stored rows matching the keys of ``rows``, by key (one query)."""
    lookups = {f"{name}__in": {attrs[name] for attrs in rows} for name in target.key}
    columns = {"pk", *target.key, *fields, *target.old_extra}
    if target.model is Ticket:
        columns.add("contract_id")
    stored = target.model.objects.filter(**lookups).values(*columns)
    return {tuple(row[name] for name in target.key): row for row in stored}


def _db_converter(field: models.Field) -> Callable[[Any], Any] | None:
    """Return how a field's Python value becomes its database parameter (None: as is)."""
    if isinstance(field, FixedPointField):
        return field.get_prep_value
    if isinstance(field, models.DateTimeField):
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(field, models.CharField | models.BooleanField | models.IntegerField):
        return None
    if isinstance(field, models.ForeignKey):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _insert_many(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (model attributes; missing ones get the field default) in one statement.

    A parameterised ``executemany`` rather than ``bulk_create``: Django's SQLite backend
    caps a bulk insert at 999 parameters (about 75 time entries a statement) and
    compiles every value through the query compiler, which made a million-row import
    several times slower. Values are prepared as each field would (the integer
    hundredths of money and hours, dates, aware datetimes), so what is stored is the same.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - names from _meta
    plan = []
    for f in fields:
        convert = _db_converter(f)
        dynamic = f.has_default() and callable(f.default)
        default = None if dynamic else f.get_default()
        if convert is not None and default is not None:
            default = convert(default)
        plan.append((f.attname, convert, dynamic, default, f))
    params = []
    for attrs in rows:
        row = []
        for attname, convert, dynamic, default, f in plan:
            if attname in attrs:
                value = attrs[attname]
            elif dynamic:
                value = f.get_default()
            else:
                row.append(default)
                continue
            row.append(value if convert is None or value is None else convert(value))
        params.append(row)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _apply(
    target: _Target,
    fields: list[str],
    rows: list[dict[str, Any]],
    existing: dict[tuple, dict[str, Any]],
) -> list[tuple[str, int | None, dict[str, Any] | None]]:
    """Create the new rows and update the changed ones; return ``(state, id, old)`` each.

    The id of a created row is read back only when the target needs it (a file others
    refer to); otherwise it is None.
    """
    model = target.model
    creates: list[dict[str, Any]] = []
    updates: list[models.Model] = []
    outcomes: list[tuple[str, Any, dict[str, Any] | None]] = []
    for attrs in rows:
        old = existing.get(tuple(attrs[name] for name in target.key))
        if old is None:
            creates.append(attrs)
            outcomes.append((CREATED, None, None))
        elif any(old[name] != attrs[name] for name in fields if name in attrs):
            updates.append(model(pk=old["pk"], **attrs))
            outcomes.append((UPDATED, old["pk"], old))
        else:
            outcomes.append((UNCHANGED, old["pk"], old))
    if creates:
        _insert_many(model, creates)
        if target.provides or target.needs_ids:
            key = target.key[0]
            ids = dict(
                model.objects.filter(**{f"{key}__in": [attrs[key] for attrs in creates]})
                .values_list(key, "pk")
                .order_by()
            )
            outcomes = [
                (state, ids[attrs[key]] if state == CREATED else pk, old)
                for (state, pk, old), attrs in zip(outcomes, rows, strict=True)
            ]
    if updates and fields:
        model.objects.bulk_update(updates, fields, batch_size=500)
    return outcomes
