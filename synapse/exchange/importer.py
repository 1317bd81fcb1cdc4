"""Import a folder of CSV files (data-exchange.md): all or nothing, upserted on each file's key.

How it stays fast and flat at a million rows: every file is streamed and handled a
batch of ``BATCH_SIZE`` records at a time, and nothing kept across batches grows with
the file. For each batch: the cells and row rules are checked in Python; then one
query per referenced table resolves the batch's codes (a bounded cache keeps the
little tables); the duplicate-key check looks the batch's keys up in a ledger whose
older keys sit in a temporary table behind a fixed-size Bloom filter; the rows are
upserted after one query for the batch's existing rows — new rows by ``COPY`` on
PostgreSQL, sent from a second thread while the next batch is read (``_Writer``), by
``executemany`` on SQLite. New time entries (an empty table) go from the parsed values
straight to ``COPY`` rows, and a batch's copy waits until the next batch's queries are
done, so that it also runs while that batch is checked and built (``_hold``). Time
entries are costed as they are inserted (``timesheets.services.EntryCoster``), so each
is written once, and each person-day's hours are staged in a temporary table for the
24-hour check, done in SQL once the file is read. Rows are written while the files are
read, inside one transaction: the first error switches writing off (every remaining row
is still validated), and any error, or ``dry_run``, rolls the whole transaction back — so from
the outside every row of every file is validated first and nothing is written unless
all of them are valid.
Errors are reported in the order of the file's lines, as they always were.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, models, transaction

from projects.models import (
    Client,
    Contract,
    Downtime,
    Overhead,
    Project,
    ProjectExpense,
    ProjectProgress,
)
from projects.services import projects_refresh_derived
from support.models import Ticket, TicketPause
from support.services import tickets_sla_refresh
from surveys.models import SurveyInvitation, SurveyResponse
from synapse import rules
from synapse.accounts.services import leavers_deactivate
from synapse.exchange import schemas as s
from synapse.exchange.schemas import FILES, FileSchema, row_parser
from synapse.fields import FixedPointField
from timesheets.models import Employee, Holiday, Leave, Rate, TimeEntry
from timesheets.services import time_entries_recost
from timesheets.signals import employee_groups_sync

BATCH_SIZE = 5000
#: Bytes of a file read and decoded at once (``_ImportRun._blocks``).
READ_BLOCK = 1 << 20
PROGRESS_MIN_BYTES = 1_000_000
#: Keys of a file kept in memory for the duplicate check; beyond, a temporary table.
LEDGER_MEMORY = 20_000
#: Bits of the Bloom filter of a file's older keys (16 MB, whatever the file's size).
BLOOM_BITS = 1 << 27
#: Reference codes cached per table (the small tables stay whole, tickets rotate).
REF_CACHE_MAX = 20_000
#: After writing more rows than this to a table, refresh its planner statistics.
ANALYZE_MIN_ROWS = 10_000
#: A time-entry file of at least this size going into an empty table is loaded in bulk
#: (``_BulkLoad``: secondary indexes and foreign keys rebuilt once, after the rows).
BULK_MIN_BYTES = 8_000_000
#: Whether the bulk load also drops the foreign keys. No: dropping one locks the table
#: it refers to as well (employees, projects, contracts, tickets — every signed-in page
#: reads the employee), for the whole import; kept, only the time entries are locked.
BULK_FOREIGN_KEYS = False

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
_ABSENT = object()
#: One line of a decoded block, with its newline (only ``\n`` ends a line, as in a
#: binary file: ``str.splitlines`` would also cut at the separators Unicode knows).
_LINE = re.compile(r"[^\n]*\n|[^\n]+")


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
    #: Each account email the import changed (``--update-accounts``): "user: old → new".
    email_changes: list[str] = field(default_factory=list)

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
    computed: tuple[str, ...] = ()


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
        computed=("cost", "bill_value", "cost_contract_id"),
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

#: ``code → id`` lookups per referenced table (``known``); tickets have their own,
#: which also notes their contracts (``_ImportRun._tickets_lookup``).
_REF_LOOKUPS: dict[str, Callable[[list[str]], Iterable[tuple[str, int]]]] = {
    s.CLIENT: lambda codes: Client.objects.filter(code__in=codes).values_list("code", "pk"),
    s.EMPLOYEE: lambda codes: Employee.objects.filter(user__username__in=codes).values_list(
        "user__username", "pk"
    ),
    s.PROJECT: lambda codes: Project.objects.filter(code__in=codes).values_list("code", "pk"),
    s.CONTRACT: lambda codes: Contract.objects.filter(code__in=codes).values_list("code", "pk"),
    s.INVITATION: lambda codes: SurveyInvitation.objects.filter(
        invitation_id__in=codes
    ).values_list("invitation_id", "pk"),
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
    *,
    directory: Path,
    dry_run: bool = False,
    progress: TextIO | None = None,
    update_accounts: bool = False,
) -> ImportReport:
    """Validate and upsert every known CSV file in ``directory``; all or nothing.

    Return the report: per-file counts of rows created, updated and unchanged, and
    every error as ``FILE:LINE: COLUMN: message`` (LINE 1 is the header). When there
    is any error, or ``dry_run``, nothing is kept. After a real import the derived
    data of what changed is recomputed (time-entry costs, ticket SLA outcomes,
    project windows, role groups, leavers' accounts deactivated). ``progress`` gets a
    progress bar for large files.

    An ``employees.csv`` row naming a superuser is an error; so is one that would change
    an existing account's email, unless ``update_accounts`` (each change made is then
    listed in ``report.email_changes``).
    """
    run = _ImportRun(
        directory=Path(directory),
        dry_run=dry_run,
        progress=progress,
        update_accounts=update_accounts,
    )
    try:
        with transaction.atomic():
            run.execute()
            if run.report.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return run.report


class _ImportRun:
    """One import: bounded reference caches, what changed (for derived data), errors, counts."""

    def __init__(
        self,
        *,
        directory: Path,
        dry_run: bool,
        progress: TextIO | None,
        update_accounts: bool = False,
    ) -> None:
        self.directory = directory
        self.update_accounts = update_accounts
        self.progress = progress
        self.report = ImportReport(dry_run=dry_run)
        self.writing = True
        self.scratch = _Scratch()
        self.writer = _Writer()
        # Errors met while reading a batch (a byte that is not UTF-8, broken CSV): they
        # follow the errors of the batch's rows, which are checked after it is read.
        self._held: list[tuple[str, int, str, str]] | None = None
        # code → id of the codes met lately, per referenced table (bounded: REF_CACHE_MAX).
        self._refs: dict[str, dict[str, int]] = {}
        # Keys of the files that provide a referenced table, written or not (an error
        # earlier switches writing off, yet later files may refer to them).
        self._provided: dict[str, _KeyLedger] = {}
        self._employment: dict[str, tuple[dt.date, dt.date | None]] | None = None
        self._accounts: dict[str, tuple[str, bool]] | None = None
        self._invitation_slots: dict[tuple[str, str, str], str] | None = None
        self._answered: dict[str, str] | None = None
        self._coster: Any = None
        # ticket id → contract id of the tickets time entries met lately (bounded).
        self._ticket_contract: dict[int, int | None] = {}
        self._amounts: dict[int, Decimal] = {}
        self._written: dict[type[models.Model], int] = {}
        # What changed, for the derived data.
        self.recost_employees: set[int] = set()
        self.changed_employees: set[int] = set()
        self.recost_tickets: set[int] = set()
        self.sla_tickets: set[int] = set()
        self.changed_projects: set[int] = set()
        self.holidays_changed = False
        # Time entries: each row's person-day and hours, staged for the 24-hour check.
        self._days: _DayStage | None = None
        # The last batch of new time entries, copied in once the next batch's lookups are
        # done (``_hold``); None when there is none.
        self._deferred: Callable[[], None] | None = None

    # Driving.

    def execute(self) -> None:
        try:
            for schema in FILES:
                path = self.directory / schema.name
                if path.is_file():
                    self._import_file(schema, path)
            self.sync()
        finally:
            self.writer.close()
        if not self.report.errors and not self.report.dry_run:
            self._refresh_derived()
            self._analyze()
        self.scratch.drop_all()

    def error(self, name: str, line: int, column: str, message: str) -> None:
        """Record one error; from now on nothing more is written.

        The rows still on their way in are written first: a refusal of theirs is an
        error of earlier lines, reported before this one.
        """
        if self._held is not None:
            self._held.append((name, line, column, message))
            return
        if self._deferred is not None or self.writer.pending:
            self.sync()
        self.report.errors.append(f"{name}:{line}: {column}: {message}")
        self.writing = False

    def _analyze(self) -> None:
        """Refresh the planner statistics of the tables that received many rows.

        Right after a bulk load PostgreSQL plans a fresh table as nearly empty (nested
        loops, sorts spilled to disk) until autovacuum analyzes it (docs/performance.md).
        """
        tables = [m._meta.db_table for m, n in self._written.items() if n > ANALYZE_MIN_ROWS]
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")

    # Reading.

    def _lines(self, path: Path, name: str) -> Iterator[str]:
        """Yield the decoded lines of ``path``, each with its ``\\n``; a byte that is not
        UTF-8 is an error.

        Read and decoded a block of whole lines at a time (``_blocks``), the lines
        handed out by ``itertools.chain`` without a Python step per line (a million
        lines pass here).
        """
        return itertools.chain.from_iterable(self._blocks(path, name))

    def _blocks(self, path: Path, name: str) -> Iterator[list[str]]:
        """Yield the lines of ``path`` a block of about ``READ_BLOCK`` bytes at a time.

        A block is cut after its last newline byte, which never occurs inside a UTF-8
        sequence: a block of whole lines holds whole characters. When a block is not
        UTF-8, its lines before the one at fault are yielded, then the error is that
        line's (a sequence cut short is an error of its line, as at the end of the
        file) — recorded once those lines are read, as if the file were read line by line.
        """
        bar = self._bar(path, name)
        number = 0  # the lines yielded so far
        rest = b""
        with path.open("rb") as handle:
            while True:
                block = handle.read(READ_BLOCK)
                if block:
                    cut = block.rfind(b"\n") + 1
                    if not cut:
                        rest += block
                        continue
                    data, rest = rest + block[:cut], block[cut:]
                elif rest:
                    data, rest = rest, b""
                else:
                    break
                fault = None
                try:
                    text = data.decode()
                except UnicodeDecodeError as exc:
                    start = data.rfind(b"\n", 0, exc.start) + 1  # the line at fault
                    text, fault = data[:start].decode(), exc.reason
                lines = _LINE.findall(text)
                if number == 0 and lines:
                    lines[0] = lines[0].removeprefix("\ufeff")
                number += len(lines)
                if bar is not None:
                    bar.update(handle.tell() - len(rest) - bar.n)
                yield lines
                if fault is not None:
                    self.error(name, number + 1, "-", f"the file is not UTF-8 text ({fault})")
                    break
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

    def refs(self, table: str) -> dict[str, int]:
        """Return the cached ``code → id`` map of ``table`` (codes met lately, bounded)."""
        return self._refs.setdefault(table, {})

    def known(self, table: str, codes: Collection[str]) -> set[str]:
        """Return which of ``codes`` exist in ``table`` or earlier in this import.

        Codes found in the database are cached with their id (``refs``) for the batch's
        writes; one query per batch for the codes not cached yet.
        """
        cache = self.refs(table)
        missing = [code for code in codes if code not in cache]
        if not missing:
            return set(codes)
        if len(cache) + len(missing) > REF_CACHE_MAX:
            cache.clear()
            missing = list(codes)
        found = set(codes) - set(missing)
        for chunk in _chunks(_storable(missing), BATCH_SIZE):
            if table == s.TICKET:
                self._tickets_lookup(chunk, cache, found)
                continue
            for code, pk in _REF_LOOKUPS[table](chunk):
                cache[code] = pk
                found.add(code)
        unwritten = [code for code in missing if code not in found]
        ledger = self._provided.get(table)
        if unwritten and ledger is not None:
            found.update(key[0] for key in ledger.first_lines([(code,) for code in unwritten]))
        return found

    def _tickets_lookup(self, refs: Sequence[str], cache: dict[str, int], found: set[str]) -> None:
        """Look tickets up by ``refs`` into ``cache`` and ``found`` (``known``), and note
        their contracts for the time entries that take them (``_ticket_contracts``): one
        query for both, the refs as one array parameter on PostgreSQL (``_select_in``:
        thousands of them a batch, which ``ref__in`` would spell out one by one)."""
        contracts = self._ticket_contract
        if len(contracts) + len(refs) > REF_CACHE_MAX:
            contracts.clear()
        quote, meta = connection.ops.quote_name, Ticket._meta
        columns = ", ".join(
            quote(meta.get_field(name).column) for name in ("ref", "id", "contract")
        )
        ref = quote(meta.get_field("ref").column)
        sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {ref}"  # noqa: S608 - _meta
        for code, pk, contract in _select_in(sql, list(refs)):
            cache[code] = pk
            found.add(code)
            contracts[pk] = contract

    def employment(self) -> dict[str, tuple[dt.date, dt.date | None]]:
        if self._employment is None:
            self.sync()
            rows = Employee.objects.values_list("user__username", "employed_from", "employed_until")
            self._employment = {name: (start, until) for name, start, until in rows}
        return self._employment

    def accounts(self) -> dict[str, tuple[str, bool]]:
        """Return every user account as ``username → (email, is_superuser)``.

        Read once per import, like the employment (one row per person of the firm).
        """
        if self._accounts is None:
            self.sync()
            rows = get_user_model().objects.values_list("username", "email", "is_superuser")
            self._accounts = {name: (email, superuser) for name, email, superuser in rows}
        return self._accounts

    # One file.

    def _import_file(self, schema: FileSchema, path: Path) -> None:
        self.sync()
        name = schema.name
        counts = self.report.counts.setdefault(name, FileCounts())
        records = self._records(schema, path)
        first = next(records, None)
        if first is None:
            return
        header = first[1]
        target = TARGETS.get(name)
        table_empty = not (target.model if target else Employee).objects.exists()
        provides = (target.provides if target else s.EMPLOYEE) or None
        ledger = _KeyLedger(self.scratch, copy=self._ledger_copy(name), settle=self.sync)
        if provides is not None:
            self._provided[provides] = ledger
        bulk = None
        if name == "time_entries.csv":
            self._days = _DayStage(self.scratch)
            if table_empty and self.writing and path.stat().st_size >= BULK_MIN_BYTES:
                try:
                    with transaction.atomic():
                        bulk = _BulkLoad.start(TimeEntry, foreign_keys=BULK_FOREIGN_KEYS)
                except DatabaseError as exc:  # a deferred check of an earlier file failed
                    self.error(name, 1, "-", f"the database refused the rows: {exc}")
        job = _FileJob(
            schema=schema,
            header=header,
            target=target,
            counts=counts,
            ledger=ledger,
            table_empty=table_empty,
            fields=self._update_fields(header, target) if target else list(header),
            refs=[(c.name, c.ref) for c in schema.columns if c.ref and c.name in header],
            check=getattr(self, f"_check_{name.removesuffix('.csv')}", None),
            parse=row_parser(schema, header),
            attrs=[
                (column, target.attrs.get(column, column), _REF_OF.get(column))
                if target and column in target.attrs
                else (column, column, None)
                for column in header
            ],
        )
        while True:
            self._held = []
            chunk = list(itertools.islice(records, BATCH_SIZE))
            held, self._held = self._held, None
            if chunk:
                self._import_batch(job, chunk)
            for error in held:
                self.error(*error)
            if not chunk:
                break
        self.sync()
        if bulk is not None and self.writing:
            # Not after an error: the import is rolled back anyway (and its rows may be few).
            try:
                with transaction.atomic():
                    bulk.finish()
            except DatabaseError as exc:
                self.error(name, 1, "-", f"the database refused the rows: {exc}")
        if name == "time_entries.csv":
            self._check_day_totals(name)

    def _import_batch(self, job: _FileJob, chunk: list[tuple[int, list[str]]]) -> None:
        """Validate one batch of records in line order, then write its valid rows.

        The per-row order of the checks (and so of a row's messages) is: the cells,
        the duplicate key, the references, the row rule — a column keeps its first error.
        The cells and the row rules are checked first, without the database, while the
        previous batch is still being copied in (``_Writer``); then the lookups.
        """
        schema, name = job.schema, job.schema.name
        key_columns = schema.key
        check, rule = job.check, schema.rule
        parsed = []
        keys: list[tuple] = []
        codes: dict[str, set[str]] = {table: set() for _, table in job.refs}
        parse = job.parse
        for line, cells in chunk:
            values, errors = parse(cells)
            key = None
            problems = None
            if "-" not in errors:
                key = tuple(values.get(column) for column in key_columns)
                if None in key or any(column in errors for column in key_columns):
                    key = None
                else:
                    keys.append(key)
                for column, table in job.refs:
                    code = values.get(column)
                    if code is not None:
                        codes[table].add(code)
                if check is not None:
                    problems = {}
                    check(values, problems, line)
                else:
                    problems = rule(values)
            parsed.append((line, values, errors, key, problems))
        job.counts.rows += len(parsed)
        self.sync(release=False)  # the previous batch's rows stay held: see ``_hold``
        earlier = job.ledger.first_lines(keys) if keys else {}
        known = {table: self.known(table, found) for table, found in codes.items()}
        first_seen: dict[tuple, int] = {}
        days = self._days if name == "time_entries.csv" else None
        new_entries = days is not None and job.table_empty
        if new_entries:
            # The batch's last queries; then the held batch goes in while this one is
            # checked and built (nothing below queries the connection until the next
            # batch's ``sync``; the ledger's keys go through the writer as well).
            ticket_contracts = self._new_entries_lookups(parsed) if self.writing else {}
            self._release()
        batch: list[tuple[int, dict[str, Any]]] = []
        for line, values, errors, key, problems in parsed:
            if problems is not None:
                if key is not None:
                    first_line = earlier.get(key) or first_seen.setdefault(key, line)
                    if first_line != line:
                        errors.setdefault(
                            key_columns[0], f"duplicate key (first on line {first_line})"
                        )
                for column, table in job.refs:
                    code = values.get(column)
                    if code is not None and code not in known[table]:
                        errors.setdefault(column, f"unknown {table} “{code}”")
                for column, message in problems.items():
                    errors.setdefault(column, message)
                if days is not None:
                    days.add_row(values, problems, line=line, valid=not errors)
            if errors:
                for column, message in errors.items():
                    self.error(name, line, column, message)
                continue
            batch.append((line, values))
        job.ledger.add(first_seen)
        if new_entries:
            self._flush_new_entries(job, batch, days, ticket_contracts)
            return
        self.sync()  # keys the ledger sent may still be on their way in
        written = False
        if batch:
            flush = self._flush_employees if name == "employees.csv" else self._flush
            written = flush(name, job, batch)
        if days is not None:
            days.flush(written=written, writer=self.writer)

    def sync(self, *, release: bool = True) -> None:
        """Wait for the rows being copied in; a batch the database refused is an error.

        With ``release`` the rows held back (``_hold``) are sent first and waited for
        too; without, they stay held (the connection is free for the main thread's
        queries all the same).
        """
        if release:
            self._release()
        refused = self.writer.wait()
        if refused:
            # Before the errors are recorded: held rows are not sent after a refusal (an
            # error sends them first, which would report their refusal before this one).
            self.writing = False
        for name, line, message in refused:
            self.error(name, line, "-", f"the database refused the rows: {message}")

    def _hold(self, write: Callable[[], None]) -> None:
        """Keep ``write`` (a batch's copies) until the next batch's lookups are done.

        The connection runs one statement at a time and each batch queries it (codes,
        keys, tickets' contracts) before its rows can be built. Copying a batch in only
        after the next batch's queries lets the copy run while that batch's rows are
        checked and built and the following batch is read, instead of only while it is
        read: the rows of two batches at most are held. On SQLite the rows go at once.
        """
        self._release()
        if self.writer.background:
            self._deferred = write
        else:
            write()

    def _release(self) -> None:
        """Send the held batch (``_hold``), or drop its rows if an error came since."""
        write, self._deferred = self._deferred, None
        if write is not None:
            write()

    @staticmethod
    def _update_fields(header: list[str], target: _Target) -> list[str]:
        """Return the attributes an update writes: those of the columns present."""
        key = set(target.key)
        names = [target.attrs.get(column, column) for column in header]
        return [name for name in names if name not in key] + list(target.derived)

    def _attrs(self, job: _FileJob, values: dict[str, Any]) -> dict[str, Any]:
        """Return the model attributes of one parsed row (codes resolved to ids)."""
        refs = self._refs
        return {
            attr: value if table is None or value is None else refs[table].get(value)
            for column, attr, table in job.attrs
            if (value := values.get(column, _ABSENT)) is not _ABSENT
        }

    # Writing.

    def _flush(self, name: str, job: _FileJob, batch: list[tuple[int, dict[str, Any]]]) -> bool:
        """Upsert one batch of valid rows; return whether they were written."""
        if not self.writing:
            return False
        target, fields, counts = job.target, job.fields, job.counts
        rows = [self._attrs(job, values) for _, values in batch]
        existing = {} if job.table_empty else _existing(target, fields, rows)
        if name == "tickets.csv":
            for attrs in rows:
                old = existing.get((attrs["ref"],), {})
                attrs["status"] = ticket_status_for(
                    first_response_at=attrs.get("first_response_at", old.get("first_response_at")),
                    resolved_at=attrs.get("resolved_at", old.get("resolved_at")),
                    old=old.get("status"),
                )
        elif name == "time_entries.csv":
            self._cost_entries(
                [attrs for attrs in rows if _differs(target, fields, attrs, existing)]
                if existing
                else rows  # all new
            )
        try:
            with transaction.atomic():
                outcomes, copies = _apply(target, fields, rows, existing, defer_creates=True)
        except DatabaseError as exc:
            self.error(name, batch[0][0], "-", f"the database refused the rows: {exc}")
            return False
        if copies:
            table, columns, _ = _insert_plan(target.model)
            self.writer.copy(table, columns, copies, name=name, line=batch[0][0])
        after = getattr(self, f"_after_{name.removesuffix('.csv')}", None)
        table = target.provides
        cache = self.refs(table) if table is not None else None
        written = 0
        for (state, pk, old), attrs in zip(outcomes, rows, strict=True):
            counts.add(state)
            if state != UNCHANGED:
                written += 1
            if cache is not None and len(cache) < REF_CACHE_MAX:
                cache[attrs[target.key[0]]] = pk
            if after is not None and state != UNCHANGED:
                after(pk, attrs, old)
        self._written[target.model] = self._written.get(target.model, 0) + written
        return True

    def _new_entries_lookups(self, parsed: list[tuple]) -> dict[int, int | None]:
        """Make the queries a batch of new time entries needs; return tickets' contracts.

        The costing rates (once) and the contracts of the tickets of the entries with
        neither a project nor a contract, for all the batch's rows (the valid ones are
        among them).
        """
        self._entry_coster()
        codes = self.refs(s.TICKET)
        return self._ticket_contracts(
            codes.get(values.get("ticket_ref"))
            for _, values, _, _, _ in parsed
            if values.get("project_code") is None and values.get("contract_code") is None
        )

    def _ledger_copy(self, name: str) -> Callable[[str, Sequence[str], list], None]:
        """Return how a ledger of ``name`` writes its keys: through the writer, in order."""

        def copy(table: str, columns: Sequence[str], rows: list) -> None:
            self.writer.copy(table, columns, rows, name=name, line=rows[0][1])

        return copy

    def _flush_new_entries(
        self,
        job: _FileJob,
        batch: list[tuple[int, dict]],
        days: _DayStage,
        ticket_contracts: dict[int, int | None],
    ) -> None:
        """Copy one batch of time entries into a table that held none; held (``_hold``).

        Straight from the parsed values to database rows (``_new_entry_rows``); the
        batch's staged person-days go with them, marked written if the rows were sent.
        No query: ``_new_entries_lookups`` made them.
        """
        rows: list[list[Any]] = []
        if self.writing and batch:
            rows = self._new_entry_rows(job, batch, self._coster, ticket_contracts)
            job.counts.created += len(rows)
            self._written[TimeEntry] = self._written.get(TimeEntry, 0) + len(rows)
        table, columns, _ = _insert_plan(TimeEntry)
        name, line = job.schema.name, batch[0][0] if batch else 0
        staged, days.pending = days.pending, []

        def write() -> None:
            written = bool(rows) and self.writing
            if written:
                self.writer.copy(table, columns, rows, name=name, line=line)
            days.flush(written=written, writer=self.writer, pending=staged)

        self._hold(write)

    def _new_entry_rows(
        self,
        job: _FileJob,
        batch: list[tuple[int, dict]],
        coster: Any,
        ticket_contracts: dict[int, int | None],
    ) -> list[list[Any]]:
        """Return new time entries as database rows in ``_insert_plan`` order, costed.

        What ``_attrs``, ``_cost_entries`` and ``_insert_rows`` make of them, without a
        dict per row: codes become ids, hours integer hundredths, dates as the database
        takes them; cost and bill_value are ``EntryCoster.costs`` (cents, which is what
        a MoneyField stores) and cost_contract_id ``EntryCoster.cost_contract``. The
        columns absent from the file get their field's default.
        """
        if job.build_rows is None:
            job.build_rows = _entry_row_builder(job.attrs, self.refs, coster)
        return job.build_rows(batch, ticket_contracts)

    def _entry_coster(self) -> Any:
        from timesheets.services import EntryCoster

        if self._coster is None:
            self._coster = EntryCoster()
        return self._coster

    def _ticket_contracts(self, ids: Iterable[int | None]) -> dict[int, int | None]:
        """Return ``ticket id → contract id`` of the tickets ``ids`` (None: no ticket).

        One query for the tickets not met lately: a ticket's entries come close together
        in a file, and tickets are not written while time entries are read. Bounded like
        the reference caches (``REF_CACHE_MAX``).
        """
        tickets = set(ids) - {None}
        known = self._ticket_contract
        missing = [pk for pk in tickets if pk not in known]
        if len(known) + len(missing) > REF_CACHE_MAX:
            known.clear()
            missing = list(tickets)
        if missing:
            known.update(Ticket.objects.filter(pk__in=missing).values_list("pk", "contract_id"))
        return known

    def _cost_entries(self, rows: list[dict[str, Any]]) -> None:
        """Set each new or changed time entry's cost, billable value and cost contract.

        The values ``timesheets.services.time_entries_recost`` stores (``EntryCoster``
        is its Python twin), computed before the rows are written so that each row is
        written once instead of being inserted and then updated.
        """
        coster = self._entry_coster()
        ticket_contracts = self._ticket_contracts(
            attrs.get("ticket_id")
            for attrs in rows
            if attrs.get("project_id") is None and attrs.get("contract_id") is None
        )
        amounts = self._amounts
        if len(amounts) > 50_000:
            amounts.clear()
        for attrs in rows:
            cost, bill = coster.costs(
                employee_id=attrs["employee_id"],
                day=attrs["date"],
                hours=_hundredths(attrs["hours"]),
                billable=attrs["billable"],
            )
            # Cents as the Decimal a MoneyField holds (amounts repeat: made once each).
            attrs["cost"] = amounts.get(cost) or amounts.setdefault(cost, Decimal(cost).scaleb(-2))
            attrs["bill_value"] = amounts.get(bill) or amounts.setdefault(
                bill, Decimal(bill).scaleb(-2)
            )
            attrs["cost_contract_id"] = coster.cost_contract(
                project_id=attrs.get("project_id"),
                contract_id=attrs.get("contract_id"),
                ticket_contract_id=ticket_contracts.get(attrs.get("ticket_id")),
            )

    def _flush_employees(
        self, name: str, job: _FileJob, batch: list[tuple[int, dict[str, Any]]]
    ) -> bool:
        """Upsert users, employees and each employee's rate at ``employed_from``."""
        if not self.writing:
            return False
        fields, counts = job.fields, job.counts
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
                employees, _ = _apply(employee_target, header_fields, employee_rows, existing)
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
                rates, _ = _apply(rate_target, rate_fields, rate_rows, existing)
        except DatabaseError as exc:
            self.error(name, batch[0][0], "-", f"the database refused the rows: {exc}")
            return False
        changed_emails = {u.pk for u in email_changed}
        for values in rows:
            old = users.get(values["username"])
            if old is not None and old["pk"] in changed_emails:
                self.report.email_changes.append(
                    f"{values['username']}: {old['email'] or '(none)'} → "
                    f"{values['email'] or '(none)'}"
                )
        for values, (state, pk, _), (rate_state, _, _) in zip(rows, employees, rates, strict=True):
            self.refs(s.EMPLOYEE)[values["username"]] = pk
            if state == UNCHANGED and (
                rate_state != UNCHANGED or user_ids[values["username"]] in changed_emails
            ):
                state = UPDATED
            counts.add(state)
            if state != UNCHANGED:
                self.changed_employees.add(pk)
            if rate_state != UNCHANGED:
                self.recost_employees.add(pk)
        return True

    # Checks beyond the row rule (references to other records, cross-row facts).

    def _check_employees(self, values: dict[str, Any], errors: dict[str, str], line: int) -> None:
        username = values.get("username")
        account = self.accounts().get(username) if username else None
        problems = rules.validate_employee(
            values, account=account, update_accounts=self.update_accounts
        )
        for column, message in problems.items():
            errors.setdefault(column, message)
        start = values.get("employed_from")
        if start is not None and "username" in values:
            self.employment()[values["username"]] = (start, values.get("employed_until"))

    def _check_time_entries(
        self, values: dict[str, Any], errors: dict[str, str], line: int
    ) -> None:
        username = values.get("username")
        employment = self.employment().get(username) if username else None
        for column, message in rules.validate_time_entry(values, employment=employment).items():
            errors.setdefault(column, message)

    def _check_day_totals(self, name: str) -> None:
        """Report each person-day whose hours would exceed 24, on its last line in the file.

        The total counts the person's stored entries of that day that the file does
        not replace: stored rows now (the file's written entries among them), minus
        what unwritten entries would replace, plus the unwritten entries' hours.
        """
        self.sync()
        for line, username, day, total in self._days.over(rules.MAX_DAY_HOURS):
            self.error(name, line, "hours", rules.day_total_message(username, day, total))
        self._days = None

    def _check_survey_invitations(
        self, values: dict[str, Any], errors: dict[str, str], line: int
    ) -> None:
        if self._invitation_slots is None:
            self.sync()
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
            self.sync()
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

    def _refresh_derived(self) -> None:
        """Recompute what is derived from the imported rows (bulk, in the transaction)."""
        for chunk in _chunks(sorted(self.recost_employees)):
            time_entries_recost(TimeEntry.objects.filter(employee_id__in=chunk))
        for chunk in _chunks(sorted(self.recost_tickets)):
            time_entries_recost(TimeEntry.objects.filter(ticket_id__in=chunk))
        if self.holidays_changed:
            # Holidays move business-hours clocks of any ticket: refresh them all once.
            tickets_sla_refresh(Ticket.objects.all())
        else:
            for chunk in _chunks(sorted(self.sla_tickets)):
                tickets_sla_refresh(Ticket.objects.filter(pk__in=chunk))
        for chunk in _chunks(sorted(self.changed_projects)):
            projects_refresh_derived(Project.objects.filter(pk__in=chunk))
        for chunk in _chunks(sorted(self.changed_employees)):
            changed = Employee.objects.filter(pk__in=chunk)
            for employee in changed.select_related("user"):
                employee_groups_sync(employee=employee)
            leavers_deactivate(employees=changed)


_REF_OF = {column.name: column.ref for schema in FILES for column in schema.columns if column.ref}
_EMPLOYEE_FIELDS = {
    "full_name",
    "email",
    "role",
    "hours_per_day",
    "employed_from",
    "employed_until",
}


def _entry_row_builder(
    attrs: list[tuple[str, str, str | None]],
    refs: Callable[[str], dict[str, int]],
    coster: Any,
) -> Callable[[list[tuple[int, dict]], dict[int, int | None]], list[list[Any]]]:
    """Return ``build(batch, ticket_contracts)``: a batch of new time entries as rows.

    ``_ImportRun._new_entry_rows`` for one header (``attrs``: column, attribute, the
    table its codes refer to), compiled once into straight code as ``row_parser`` is
    (a million rows pass here): each row starts from the fields' defaults in
    ``_insert_plan`` order; a column's value is set as it is, through the ``refs`` of
    its table (code → id), or through its field's conversion; then the coster's
    ``costs`` and ``cost_contract``. Columns are named by position and through the
    namespace only: no text of the file is part of the source.
    """
    _, _, plan = _insert_plan(TimeEntry)
    at = {attname: index for index, (attname, *_) in enumerate(plan)}
    namespace: dict[str, Any] = {
        "template": [default for _, _, _, default, _ in plan],
        "costs": coster.costs,
        "cost_contract": coster.cost_contract,
    }
    sets = []
    for n, (column, attr, table) in enumerate(attrs):
        index, convert = at[attr], plan[at[attr]][1]
        namespace[f"C{n}"] = column
        if table is not None:
            namespace[f"R{n}"] = refs(table)
            sets.append(
                f"        v = values[C{n}]\n"
                f"        row[{index}] = v if v is None else R{n}.get(v)\n"
            )
        elif convert is not None:
            namespace[f"F{n}"] = convert
            sets.append(
                f"        v = values[C{n}]\n        row[{index}] = v if v is None else F{n}(v)\n"
            )
        else:
            sets.append(f"        row[{index}] = values[C{n}]\n")
    source = (
        "def build(batch, ticket_contracts):\n"
        "    rows = []\n"
        "    for _, values in batch:\n"
        "        row = template.copy()\n"
        + "".join(sets)
        + f"        row[{at['cost']}], row[{at['bill_value']}] = costs(\n"
        f"            employee_id=row[{at['employee_id']}], day=values['date'],\n"
        f"            hours=row[{at['hours']}], billable=row[{at['billable']}])\n"
        f"        row[{at['cost_contract_id']}] = cost_contract(\n"
        f"            project_id=row[{at['project_id']}], contract_id=row[{at['contract_id']}],\n"
        f"            ticket_contract_id=ticket_contracts.get(row[{at['ticket_id']}]))\n"
        "        rows.append(row)\n"
        "    return rows\n"
    )
    exec(compile(source, "<time entry rows>", "exec"), namespace)  # noqa: S102 - our code
    return namespace["build"]


@dataclass
class _FileJob:
    """What the batches of one file share: its header, target, checks and key ledger."""

    schema: FileSchema
    header: list[str]
    target: _Target | None
    counts: FileCounts
    ledger: _KeyLedger
    table_empty: bool
    fields: list[str]
    refs: list[tuple[str, str]]
    check: Callable[[dict[str, Any], dict[str, str], int], None] | None
    parse: Callable[[Sequence[str]], tuple[dict[str, Any], dict[str, str]]]
    attrs: list[tuple[str, str, str | None]]
    #: New time entries' rows from parsed values (``_entry_row_builder``), made once.
    build_rows: Callable[[list[tuple[int, dict]], dict], list[list[Any]]] | None = None


class _Scratch:
    """The temporary tables of one import, where what grows with a file's size is kept.

    Temporary tables live in the import's transaction (a rollback removes them) and are
    dropped at its end; their names are unique per process.
    """

    _numbers = itertools.count(1)

    def __init__(self) -> None:
        self.tables: list[str] = []

    def create(self, columns: str) -> str:
        name = f"exchange_scratch_{next(self._numbers)}"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns})")
        self.tables.append(name)
        return name

    @staticmethod
    def analyze(table: str) -> None:
        """Give PostgreSQL row counts for a filled temporary table (autovacuum never does)."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {table}")

    def drop_all(self) -> None:
        with connection.cursor() as cursor:
            for name in self.tables:
                cursor.execute(f"DROP TABLE IF EXISTS {name}")
        self.tables = []


class _BulkLoad:
    """Load many rows into an empty table without maintaining its indexes row by row.

    PostgreSQL's "Populating a Database" advice, inside the import's transaction: the
    table's secondary indexes, unique constraints and (``foreign_keys``) foreign keys
    are dropped before the rows are copied in, and recreated afterwards from the
    definitions the catalog held (``pg_get_indexdef`` / ``pg_get_constraintdef``: the
    same names, columns, predicates and deferrability as the migrations made). Building
    an index from all the rows at once is a sort, several times cheaper than a btree
    insertion per row per index; re-adding a foreign key or unique constraint checks
    every row in one statement, so what the constraints guarantee still holds when the
    import commits. DDL is transactional: a failed or dry-run import rolls it all back.

    Locks: dropping an index or constraint takes an ACCESS EXCLUSIVE lock on the table
    (no one can read time entries) and dropping a foreign key takes one on the table it
    refers to too (employees, projects, contracts, tickets), held until the import
    commits. Hence only for a large file into an empty table (``BULK_MIN_BYTES``), e.g.
    the first load of a firm's history. PostgreSQL only; elsewhere ``start`` is None.
    """

    def __init__(self, table: str, drops: list[str], creates: list[str]) -> None:
        self.table = table
        self.drops = drops
        self.creates = creates

    @classmethod
    def start(cls, model: type[models.Model], *, foreign_keys: bool = True) -> _BulkLoad | None:
        """Drop the secondary indexes and constraints of ``model``'s table; None: not here."""
        if connection.vendor != "postgresql":
            return None
        table = connection.ops.quote_name(model._meta.db_table)
        kinds = ["u", "f"] if foreign_keys else ["u"]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = %s::regclass)",
                [table],
            )
            if cursor.fetchone()[0]:  # another table refers to this one: leave it whole
                return None
            # Unique before foreign keys: a foreign key may rest on a unique index.
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = %s::regclass AND contype = ANY(%s)"
                " ORDER BY contype = 'f', conname",
                [table, kinds],
            )
            constraints = cursor.fetchall()
            # The indexes no constraint owns (a unique constraint's goes with it).
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid"
                " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint k"
                "   WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)"
                " ORDER BY c.relname",
                [table],
            )
            indexes = cursor.fetchall()
            quote = connection.ops.quote_name
            drops = [
                f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}" for name, _ in constraints
            ]
            drops += [f"DROP INDEX {quote(name)}" for name, _ in indexes]
            creates = [sql for _, sql in indexes]
            creates += [
                f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {sql}"
                for name, sql in constraints
            ]
            _run_ddl(cursor, drops)
        return cls(table, drops, creates)

    def finish(self) -> None:
        """Recreate what ``start`` dropped (every row checked against the constraints)."""
        with connection.cursor() as cursor:
            _run_ddl(cursor, self.creates)


def _run_ddl(cursor: Any, statements: list[str]) -> None:
    """Run DDL on tables with deferred foreign keys: the pending checks are done first.

    PostgreSQL refuses to alter a table with pending trigger events (the deferred
    checks of rows written earlier in the transaction, e.g. projects.csv's, and
    dropping or adding a foreign key alters the table it refers to); the checks run at
    ``SET CONSTRAINTS ALL IMMEDIATE``, then they are deferred again (Django's default).
    """
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for sql in statements:
        cursor.execute(sql)
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class _Writer:
    """Copies rows in while the import reads on: a second thread on the same connection.

    On PostgreSQL a batch's ``COPY`` (parsing, a dozen index insertions per time entry
    and the foreign-key checks) takes as long as reading and checking the next batch
    in Python; a one-worker thread runs the copies in order on the import's connection
    so that both proceed at once. The main thread calls ``wait`` before any other
    statement (one statement at a time on a connection). Each copy runs in its own
    savepoint with the foreign keys checked at its end (``SET CONSTRAINTS ... IMMEDIATE``
    for the statement, then back to Django's deferred default) rather than all at
    commit; a refused batch is rolled back to its savepoint and reported by ``wait``.
    On SQLite the copy is simply done at once.
    """

    def __init__(self) -> None:
        self.background = connection.vendor == "postgresql"
        self.pool: ThreadPoolExecutor | None = None
        self.pending: list[tuple[Future, str, int]] = []
        self.refused: list[tuple[str, int, str]] = []

    def copy(
        self,
        table: str,
        columns: Sequence[str],
        rows: list[Sequence[Any]],
        *,
        name: str,
        line: int,
    ) -> None:
        """Insert ``rows`` (database values) into ``table``; ``name:line`` blames a refusal."""
        if not self.background:
            # At once, in a savepoint: a refused batch is undone and reported by ``wait``
            # like a refused copy, so the import goes on validating the rest of the file.
            try:
                with transaction.atomic():
                    _write_rows(table, columns, rows)
            except DatabaseError as exc:
                self.refused.append((name, line, str(exc)))
            return
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="exchange-copy")
        connection.ensure_connection()
        raw = connection.connection
        future = self.pool.submit(_copy_in_savepoint, raw, table, columns, rows)
        self.pending.append((future, name, line))

    def wait(self) -> list[tuple[str, int, str]]:
        """Wait for every copy submitted; return ``(file, line, message)`` of those refused."""
        refused, self.refused = self.refused, []
        for future, name, line in self.pending:
            message = future.result()
            if message is not None:
                refused.append((name, line, message))
        self.pending = []
        return refused

    def close(self) -> None:
        """Wait for the copies still running (before the transaction ends) and stop."""
        for future, _, _ in self.pending:
            future.exception()
        self.pending = []
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None


def _copy_in_savepoint(
    raw: Any, table: str, columns: Sequence[str], rows: list[Sequence[Any]]
) -> str | None:
    """COPY ``rows`` into ``table`` on the psycopg connection ``raw``; None, or why refused.

    PostgreSQL's own foreign-key triggers check every row, at the end of the COPY.
    """
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with raw.cursor() as cursor:
        try:
            # Statements without parameters go together: one round trip each.
            cursor.execute("SAVEPOINT exchange_copy; SET CONSTRAINTS ALL IMMEDIATE")
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                _copy_rows(copy, rows)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED; RELEASE SAVEPOINT exchange_copy")
        except Exception as exc:  # reported as the batch's error
            cursor.execute(
                "ROLLBACK TO SAVEPOINT exchange_copy; RELEASE SAVEPOINT exchange_copy;"
                " SET CONSTRAINTS ALL DEFERRED"
            )
            return str(exc)
    return None


class _KeyLedger:
    """The keys met so far in one file with the line of their first occurrence.

    The duplicate-key check of data-exchange.md without a dict of every key: the latest
    ``LEDGER_MEMORY`` keys are in memory; older ones move to a temporary table (no
    index: writing it stays cheap) and into a Bloom filter of fixed size (``BLOOM_BITS``
    bits, three per key). A key the filter has never seen was never met; only the few
    keys it may have seen — true duplicates and about one in 100,000 others at a
    million keys — are looked up in the table, with one query per batch.
    """

    def __init__(
        self,
        scratch: _Scratch,
        *,
        copy: Callable[[str, Sequence[str], list], None] | None = None,
        settle: Callable[[], None] | None = None,
    ) -> None:
        """``copy`` writes keys to the table (default ``_write_rows``); ``settle`` frees
        the connection for the statement that creates the table."""
        self.scratch = scratch
        self.copy = copy or _write_rows
        self.settle = settle
        self.memory: dict[tuple, int] = {}
        self.table: str | None = None
        self.bloom: bytearray | None = None

    # A key's three bits come from its hash (``hash(key)``: equal keys hash alike, aware
    # datetimes included): its low bits, its high bits, and the two combined (double
    # hashing, as good as three hashes for a Bloom filter). ``first_lines`` and ``add``
    # compute them inline, the hot path; the table holds each key's text (``_key_text``).

    def first_lines(self, keys: Sequence[tuple]) -> dict[tuple, int]:
        """Return the first line of each of ``keys`` met before (absent: never met)."""
        memory = self.memory
        found = {key: memory[key] for key in keys if key in memory}
        bloom = self.bloom
        if bloom is None:
            return found
        mask = BLOOM_BITS - 1
        maybe = {}
        for key in keys:
            if key in found:
                continue
            first = hash(key)
            low = first & mask
            if not bloom[low >> 3] & (1 << (low & 7)):  # most keys stop at the first bit
                continue
            high = (first >> 32) & mask
            if not bloom[high >> 3] & (1 << (high & 7)):
                continue
            at = (low + 2 * high + 1) & mask
            if bloom[at >> 3] & (1 << (at & 7)):
                maybe[_key_text(key)] = key
        if maybe:
            sql = f"SELECT k, MIN(line) FROM {self.table} WHERE k"  # our own table
            for text, line in _select_in(sql, list(maybe), suffix=" GROUP BY k"):
                found[maybe[text]] = line
        return found

    def add(self, first: dict[tuple, int]) -> None:
        """Note the keys met for the first time (with their line)."""
        self.memory.update(first)
        if len(self.memory) < LEDGER_MEMORY:
            return
        if self.table is None:
            if self.settle is not None:
                self.settle()
            self.table = self.scratch.create("k text, line integer")
            self.bloom = bytearray(BLOOM_BITS >> 3)
        bloom = self.bloom
        mask = BLOOM_BITS - 1
        for key in self.memory:
            first = hash(key)  # the three bits unrolled: a million keys pass here
            low = first & mask
            bloom[low >> 3] |= 1 << (low & 7)
            high = (first >> 32) & mask
            bloom[high >> 3] |= 1 << (high & 7)
            at = (low + 2 * high + 1) & mask
            bloom[at >> 3] |= 1 << (at & 7)
        rows = [(_key_text(key), line) for key, line in self.memory.items()]
        self.copy(self.table, ("k", "line"), rows)
        self.memory = {}


class _DayStage:
    """Time entries' ``(line, entry_id, username, date, hours)``, staged for the 24-hour check.

    Rows are buffered for one batch, then written to a temporary table with whether the
    import wrote them; ``over`` then finds, in SQL, the person-days over the limit.
    """

    COLUMNS = ("line", "entry_id", "username", "day", "hours", "written")

    def __init__(self, scratch: _Scratch) -> None:
        self.scratch = scratch
        self.table = scratch.create(
            "line integer, entry_id text, username text, day date, hours bigint, written boolean"
        )
        self.pending: list[list[Any]] = []
        self.first_day: dt.date | None = None
        self.last_day: dt.date | None = None

    def add_row(
        self, values: dict[str, Any], problems: dict[str, str], *, line: int, valid: bool
    ) -> None:
        """Stage a time entry's hours (not when its person, day or hours are unusable)."""
        username, day, hours = values.get("username"), values.get("date"), values.get("hours")
        if username is None or day is None or hours is None or "hours" in problems:
            return
        entry_id = values.get("entry_id")
        self.pending.append([line, entry_id, username, day, _hundredths(hours), valid])
        if self.first_day is None or day < self.first_day:
            self.first_day = day
        if self.last_day is None or day > self.last_day:
            self.last_day = day

    def flush(self, *, written: bool, writer: _Writer, pending: list | None = None) -> None:
        """Write a batch's staged rows; the valid ones were written to the database if ``written``.

        ``pending``: the batch's rows taken from ``pending`` earlier (default: those staged
        since the last flush). ``over`` reads a written row only for its person-day and
        line, so the written rows of a person-day in the batch are staged as one row with
        the last of their lines (fewer rows to stage).
        """
        if pending is None:
            pending, self.pending = self.pending, []
        if not pending:
            return
        last: dict[tuple[str, dt.date], int] = {}
        rows: list[tuple] = []
        for line, entry_id, username, day, hours, valid in pending:
            if valid and written:
                last[username, day] = line  # staged in line order: the last one stays
            else:
                rows.append((line, entry_id, username, day, hours, False))
        rows.extend((line, None, username, day, 0, True) for (username, day), line in last.items())
        if connection.vendor == "postgresql":
            # PostgreSQL text cannot hold NUL (such codes exist nowhere anyway); psycopg
            # adapts the dates itself.
            rows = [
                (line, _no_nul(entry_id), _no_nul(username), day, hours, stored)
                if (entry_id and "\x00" in entry_id) or "\x00" in username
                else (line, entry_id, username, day, hours, stored)
                for line, entry_id, username, day, hours, stored in rows
            ]
        else:
            adapt = connection.ops.adapt_datefield_value
            rows = [
                (line, entry_id, username, adapt(day), hours, stored)
                for line, entry_id, username, day, hours, stored in rows
            ]
        writer.copy(self.table, self.COLUMNS, rows, name="time_entries.csv", line=pending[0][0])

    def over(self, limit: Decimal) -> list[tuple[int, str, dt.date, Decimal]]:
        """Return ``(last line, username, day, total)`` of the person-days over ``limit`` hours.

        total = the person's entries stored now (the file's written rows among them)
        − the stored entries that unwritten rows would replace + the unwritten rows;
        one grouped statement, sorted by line.
        """
        self.scratch.analyze(self.table)
        if self.first_day is None:
            return []
        quote = connection.ops.quote_name
        entries = quote(TimeEntry._meta.db_table)
        employees = quote(Employee._meta.db_table)
        users = quote(get_user_model()._meta.db_table)
        sql = f"""
            WITH f AS (
                SELECT username, day, MAX(line) AS line,
                       SUM(CASE WHEN written THEN 0 ELSE hours END) AS unwritten
                FROM {self.table} GROUP BY username, day
            ), stored AS (
                SELECT u.username AS username, e.date AS day, SUM(e.hours) AS hours
                FROM {entries} e
                JOIN {employees} p ON p.id = e.employee_id
                JOIN {users} u ON u.id = p.user_id
                WHERE e.date BETWEEN %s AND %s
                GROUP BY u.username, e.date
            ), replaced AS (
                SELECT u.username AS username, e.date AS day, SUM(e.hours) AS hours
                FROM {self.table} t
                JOIN {entries} e ON e.entry_id = t.entry_id
                JOIN {employees} p ON p.id = e.employee_id
                JOIN {users} u ON u.id = p.user_id
                WHERE NOT t.written
                GROUP BY u.username, e.date
            )
            SELECT f.line, f.username, f.day,
                   COALESCE(stored.hours, 0) - COALESCE(replaced.hours, 0) + f.unwritten
            FROM f
            LEFT JOIN stored ON stored.username = f.username AND stored.day = f.day
            LEFT JOIN replaced ON replaced.username = f.username AND replaced.day = f.day
            WHERE COALESCE(stored.hours, 0) - COALESCE(replaced.hours, 0) + f.unwritten > %s
            ORDER BY f.line
        """  # table names from _meta and our own temporary table
        adapt = connection.ops.adapt_datefield_value
        params = [adapt(self.first_day), adapt(self.last_day), _hundredths(limit)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
        return [
            (line, username, _as_date(day), Decimal(int(total)).scaleb(-2))
            for line, username, day, total in found
        ]


def _no_nul(text: str | None) -> str | None:
    """Return ``text`` with NUL characters replaced (PostgreSQL text cannot hold them)."""
    return text.replace("\x00", "\ufffd") if text else text


def _hundredths(value: Decimal) -> int:
    """Return a decimal of at most 2 places as an integer of hundredths (exact).

    Remembered per value (hours repeat: a handful of values over a million entries).
    """
    units = _HUNDREDTHS.get(value)
    if units is None:
        units = int(value.scaleb(2))
        if len(_HUNDREDTHS) < 10_000:
            _HUNDREDTHS[value] = units
    return units


_HUNDREDTHS: dict[Decimal, int] = {}


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _key_text(key: tuple) -> str:
    """Return one text per key value (instants in UTC, as aware datetimes compare).

    A one-code key is its code (most files); any other key is the ``repr`` of its
    parts, which starts with ``(`` — as does a code then, so that no two keys share a text.
    """
    if len(key) == 1 and type(key[0]) is str:
        code = key[0]
        if not code.startswith("(") and "\x00" not in code:
            return code
    parts = tuple(
        value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value for value in key
    )
    return repr(parts)


def _storable(codes: Iterable[str]) -> list[str]:
    """Return the codes the database can hold (PostgreSQL text cannot contain NUL)."""
    if connection.vendor == "postgresql":
        return [code for code in codes if "\x00" not in code]
    return list(codes)


def _select_in(sql: str, values: list[Any], suffix: str = "") -> list[tuple]:
    """Run ``sql`` (ending in ``WHERE column``) for ``values``: ``= ANY`` or chunked ``IN``."""
    found: list[tuple] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{sql} = ANY(%s){suffix}", [values])
            return cursor.fetchall()
        for chunk in _chunks(values, 500):
            cursor.execute(f"{sql} IN ({', '.join(['%s'] * len(chunk))}){suffix}", chunk)
            found.extend(cursor.fetchall())
    return found


def _write_rows(table: str, columns: Sequence[str], rows: list[Sequence[Any]]) -> None:
    """Insert ``rows`` of database values: ``COPY`` on PostgreSQL, ``executemany`` elsewhere.

    ``COPY`` streams the rows in one statement rather than an INSERT per row; a row the
    database refuses fails the whole statement.
    """
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                _copy_rows(copy, rows)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def _copy_rows(copy: Any, rows: Iterable[Sequence[Any]]) -> None:
    """Send ``rows`` (database values) through a psycopg ``COPY ... FROM STDIN``.

    psycopg formats each row in C with the adapters it uses for query parameters (NULL
    is ``\\N``, text escaped, dates and aware datetimes in ISO form, booleans ``t``/``f``),
    rather than building the text in Python; the same values are stored.
    """
    write = copy.write_row
    for row in rows:
        write(row)


def _chunks(items: Sequence[Any], size: int = 1000) -> Iterator[Sequence[Any]]:
    """Yield ``items`` in consecutive slices of at most ``size``."""
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
        scale, prepare = field.places, field.get_prep_value
        known: dict[Any, int] = {}  # hours and amounts repeat: convert each value once

        def fixed_point(value: Any) -> Any:
            units = known.get(value)
            if units is not None:
                return units
            units = None
            # A parsed cell has at most ``places`` decimals: the shift is exact and cheap.
            if type(value) is Decimal:
                shifted = value.scaleb(scale)
                if int(shifted) == shifted:
                    units = int(shifted)
            if units is None:
                units = prepare(value)
            if len(known) > 50_000:
                known.clear()
            known[value] = units
            return units

        return fixed_point
    if isinstance(field, models.DateTimeField):
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(field, models.CharField | models.BooleanField | models.IntegerField):
        return None
    if isinstance(field, models.ForeignKey):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _insert_plan(model: type[models.Model]) -> tuple[str, list[str], list[tuple]]:
    """Return the table, columns and per-field conversion of ``_insert_rows`` for ``model``."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    plan = []
    for f in fields:
        convert = _db_converter(f)
        plain_date = isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField)
        if plain_date and connection.vendor == "postgresql":
            convert = None  # psycopg adapts dates itself (the backend's adapter is a no-op)
        dynamic = f.has_default() and callable(f.default)
        default = None if dynamic else f.get_default()
        if convert is not None and default is not None:
            default = convert(default)
        plan.append((f.attname, convert, dynamic, default, f))
    return connection.ops.quote_name(model._meta.db_table), [f.column for f in fields], plan


def _insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> list[list[Any]]:
    """Return ``rows`` (model attributes; missing ones get the field default) as database rows.

    Written with ``COPY`` on PostgreSQL, a parameterised ``executemany`` on SQLite, rather
    than ``bulk_create``, which caps a SQLite insert at 999 parameters and compiles every
    value through the query compiler (docs/performance.md). Values are prepared
    as each field would (the integer hundredths of money and hours, dates, aware
    datetimes), so what is stored is the same.
    """
    _, _, plan = _insert_plan(model)
    names = [attname for attname, *_ in plan]
    converts = [(index, step[1]) for index, step in enumerate(plan) if step[1] is not None]
    missing = object()
    params = []
    for attrs in rows:
        row = [attrs.get(name, missing) for name in names]
        for index, convert in converts:
            value = row[index]
            if value is not None and value is not missing:
                row[index] = convert(value)
        if missing in row:
            for index, (_, convert, dynamic, default, f) in enumerate(plan):
                if row[index] is missing:
                    value = f.get_default() if dynamic else default
                    row[index] = (
                        convert(value) if dynamic and convert and value is not None else value
                    )
        params.append(row)
    return params


def _differs(
    target: _Target, fields: list[str], attrs: dict[str, Any], existing: dict[tuple, dict]
) -> bool:
    """Return whether a row is new or changes its stored row (what ``_apply`` writes)."""
    old = existing.get(tuple(attrs[name] for name in target.key))
    return old is None or any(old[name] != attrs[name] for name in fields if name in attrs)


def _apply(
    target: _Target,
    fields: list[str],
    rows: list[dict[str, Any]],
    existing: dict[tuple, dict[str, Any]],
    *,
    defer_creates: bool = False,
) -> tuple[list[tuple[str, int | None, dict[str, Any] | None]], list[list[Any]]]:
    """Update the changed rows and create the new ones; return ``(state, id, old)`` each.

    The id of a created row is read back only when the target needs it (a file others
    refer to); otherwise it is None. With ``defer_creates`` (a target nobody needs ids
    of) the new rows are returned as database rows for the caller to copy in instead.
    """
    model = target.model
    creates: list[dict[str, Any]] = []
    updates: list[models.Model] = []
    outcomes: list[tuple[str, Any, dict[str, Any] | None]] = []
    looked_up = rows
    if not existing:  # all new (an empty table): no key to look up
        creates, outcomes, looked_up = list(rows), [(CREATED, None, None)] * len(rows), []
    for attrs in looked_up:
        old = existing.get(tuple(attrs[name] for name in target.key))
        if old is None:
            creates.append(attrs)
            outcomes.append((CREATED, None, None))
        elif any(old[name] != attrs[name] for name in fields if name in attrs):
            updates.append(model(pk=old["pk"], **attrs))
            outcomes.append((UPDATED, old["pk"], old))
        else:
            outcomes.append((UNCHANGED, old["pk"], old))
    if updates and fields:
        model.objects.bulk_update(updates, [*fields, *target.computed], batch_size=500)
    if not creates:
        return outcomes, []
    needs_ids = bool(target.provides or target.needs_ids)
    params = _insert_rows(model, creates)
    if defer_creates and not needs_ids:
        return outcomes, params
    table, columns, _ = _insert_plan(model)
    _write_rows(table, columns, params)
    if needs_ids:
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
    return outcomes, []
