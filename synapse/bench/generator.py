"""Generate the benchmark firm, deterministically and in bulk.

Everything but the time entries is written straight to the database with
``bulk_create`` in batches, with primary keys chosen here (so children reference
their parents without reading ids back) and the sequences reset afterwards. The
time entries are written to ``time_entries.csv`` of data-exchange.md instead, so
that the benchmark imports them through ``import_data`` like a migrating firm would.

One ``random.Random(seed)`` drives every choice, and the history ends on the
scale's fixed ``end`` day, so a scale always gives the same firm. Memory stays
bounded: tickets are generated and written a batch at a time, keeping only a
small tuple per ticket for the time entries and survey invitations that refer
to it.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, models, transaction

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
from synapse.bench.scales import Scale
from synapse.kpis.periods import local_midnight
from timesheets.models import Employee, Holiday, Leave, Rate

BATCH = 5000
BENCH_EXECUTIVE = "bench-exec"
ENTRY_COLUMNS = [
    "entry_id",
    "username",
    "date",
    "hours",
    "billable",
    "activity",
    "project_code",
    "contract_code",
    "ticket_ref",
    "note",
]
PRIORITIES = ("P1", "P2", "P3", "P4")
PRIORITY_WEIGHTS = (4, 18, 50, 28)
#: Mean wall-clock hours to resolve, per priority.
RESOLVE_MEAN_HOURS = {"P1": 2.5, "P2": 6.0, "P3": 18.0, "P4": 45.0}
RESPOND_MEAN_HOURS = {"P1": 0.3, "P2": 1.0, "P3": 2.5, "P4": 5.0}
HOLIDAYS = ((1, 1, "New Year"), (5, 1, "Labour Day"), (12, 25, "Christmas"), (12, 26, "Boxing"))


@dataclass
class Person:
    """A generated employee: role, kind of work, employment and yearly rates."""

    pk: int
    username: str
    role: str
    kind: str  # executive, manager, consultant, engineer
    employed_from: dt.date
    employed_until: dt.date | None
    cost_rate: Decimal

    def employed_on(self, day: dt.date) -> bool:
        return self.employed_from <= day and (
            self.employed_until is None or day <= self.employed_until
        )


@dataclass
class ProjectPlan:
    """A generated project, kept for time entries and tickets."""

    pk: int
    code: str
    client_pk: int
    actual_start: dt.date
    actual_end: dt.date | None
    status: str


@dataclass
class FirmSummary:
    """What the generator wrote: record counts and the days the history spans."""

    counts: dict[str, int] = field(default_factory=dict)
    start: dt.date | None = None
    end: dt.date | None = None


def fast_insert(model: type[models.Model], objects: Iterable[models.Model]) -> int:
    """Insert ``objects`` (primary keys set, or left to the database) as fast as it goes.

    ``COPY`` on PostgreSQL, a parameterised ``executemany`` elsewhere; values go through
    each field's ``get_db_prep_save`` (money and hours become integer hundredths). No
    signals, no ``save()``: derived columns are filled afterwards. Return the row count.
    """
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.auto_created)]
    objects = list(objects)
    if not objects:
        return 0
    if all(getattr(o, "pk", None) is not None for o in objects):
        fields = [model._meta.pk, *fields]
    rows = [
        [f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields] for o in objects
    ]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
    return len(rows)


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def _money(value: float) -> Decimal:
    return Decimal(round(value * 100)) / 100


def _quarters(hours: float) -> Decimal:
    """Return ``hours`` rounded to a quarter of an hour (at least a quarter)."""
    return Decimal(max(1, round(hours * 4))) / 4


class FirmGenerator:
    """Plan and write one firm of ``scale``; ``write()`` then ``write_time_entries(path)``."""

    def __init__(self, scale: Scale) -> None:
        self.scale = scale
        self.rng = random.Random(scale.seed)
        self.start = scale.start
        self.end = scale.end
        self.summary = FirmSummary(start=self.start, end=self.end)
        self.holidays: set[dt.date] = set()
        self.people: list[Person] = []
        self.leave: dict[tuple[int, dt.date], Decimal] = {}
        self.clients: list[tuple[int, str, dt.date, dt.date | None]] = []
        self.contracts_by_client: dict[int, list[tuple[str, dt.date, dt.date | None]]] = (
            defaultdict(list)
        )
        self.contracts: list[tuple[str, dt.date, dt.date | None]] = []
        self.projects: list[ProjectPlan] = []
        self.tickets_by_day: dict[dt.date, list[str]] = defaultdict(list)
        self.ticket_days: list[dt.date] = []

    # --- plan and write ----------------------------------------------------------------

    def write(self) -> FirmSummary:
        """Write every record but the time entries; return the counts."""
        with transaction.atomic():
            self._holidays()
            self._people()
            self._clients()
            self._projects()
            self._overheads()
            tickets = self._tickets()
            self._surveys(tickets)
        self._reset_sequences()
        return self.summary

    def refresh_derived(self) -> None:
        """Fill the derived columns the bulk writes skipped: the project windows, and the
        tickets' SLA outcome as of the end of the history (the desk's one SLA path)."""
        projects_refresh_derived(Project.objects.all())
        now = local_midnight(self.end + dt.timedelta(days=1))
        tickets_sla_refresh(Ticket.objects.all(), now=now)

    def _holidays(self) -> None:
        rows = []
        for year in range(self.start.year - 1, self.end.year + 1):
            for month, day, name in HOLIDAYS:
                date = dt.date(year, month, day)
                self.holidays.add(date)
                rows.append(Holiday(date=date, name=f"{name} {year}"))
        fast_insert(Holiday, rows)
        self.summary.counts["holidays"] = len(rows)

    def _people(self) -> None:
        rng, scale = self.rng, self.scale
        user_model = get_user_model()
        n = scale.people
        executives = max(1, n // 25)
        managers = max(1, n // 10)
        staff = n - executives - managers
        kinds = ["executive"] * executives + ["manager"] * managers
        consultants = round(staff * 0.62)
        kinds += ["consultant"] * consultants + ["engineer"] * (staff - consultants)
        span = (self.end - self.start).days
        for index, kind in enumerate(kinds, start=1):
            role = kind if kind in ("executive", "manager") else "staff"
            joined = self.start - dt.timedelta(days=rng.randint(30, 2000))
            if index > executives + managers and rng.random() < 0.12:
                joined = self.start + dt.timedelta(days=rng.randint(30, max(31, span - 60)))
            until = None
            if index > executives + managers and rng.random() < 0.06:
                until = max(joined, self.start) + dt.timedelta(days=rng.randint(60, span))
                until = None if until >= self.end else until
            cost = {"executive": 110, "manager": 80, "consultant": 62, "engineer": 50}[kind]
            self.people.append(
                Person(
                    pk=index,
                    username=f"{kind[:3]}{index:04d}",
                    role=role,
                    kind=kind,
                    employed_from=joined,
                    employed_until=until,
                    cost_rate=_money(cost * rng.uniform(0.85, 1.15)),
                )
            )
        users = [
            user_model(id=p.pk, username=p.username, email=f"{p.username}@bench.test", password="!")
            for p in self.people
        ]
        users.append(
            user_model(id=n + 1, username=BENCH_EXECUTIVE, password="!", email="exec@bench.test")
        )
        fast_insert(user_model, users)
        employees = [
            Employee(
                id=p.pk,
                user_id=p.pk,
                full_name=f"Bench {p.kind.title()} {p.pk}",
                email=f"{p.username}@bench.test",
                role=p.role,
                hours_per_day=Decimal(8),
                employed_from=p.employed_from,
                employed_until=p.employed_until,
            )
            for p in self.people
        ]
        employees.append(
            Employee(
                id=n + 1,
                user_id=n + 1,
                full_name="Bench Executive",
                role="executive",
                employed_from=self.start - dt.timedelta(days=3650),
            )
        )
        fast_insert(Employee, employees)
        rates = []
        for p in self.people:
            cost = p.cost_rate
            bill_markup = Decimal(str(round(rng.uniform(1.8, 2.3), 2)))
            rates.append(
                Rate(
                    employee_id=p.pk,
                    effective_from=p.employed_from,
                    cost_rate=cost,
                    bill_rate=_money(float(cost * bill_markup)),
                )
            )
            for year in range(max(p.employed_from.year + 1, self.start.year), self.end.year + 1):
                cost = _money(float(cost) * 1.03)
                rates.append(
                    Rate(
                        employee_id=p.pk,
                        effective_from=dt.date(year, 1, 1),
                        cost_rate=cost,
                        bill_rate=_money(float(cost * bill_markup)),
                    )
                )
        fast_insert(Rate, rates)
        leave = []
        for p in self.people:
            for year in range(self.start.year, self.end.year + 1):
                days = [dt.date(year, 1, 1) + dt.timedelta(days=k) for k in range(365)]
                for day in rng.sample(days, 22):
                    if day.weekday() >= 5 or not p.employed_on(day):
                        continue
                    hours = Decimal(8) if rng.random() < 0.85 else Decimal(4)
                    self.leave[(p.pk, day)] = hours
                    leave.append(Leave(employee_id=p.pk, date=day, hours=hours))
        fast_insert(Leave, leave)
        self.summary.counts.update(employees=len(employees), rates=len(rates), leave=len(leave))

    def _clients(self) -> None:
        rng = self.rng
        span = (self.end - self.start).days
        clients, contracts = [], []
        number = 0
        for index in range(1, self.scale.clients + 1):
            if rng.random() < 0.6:
                became = self.start - dt.timedelta(days=rng.randint(1, 1500))
            else:
                became = self.start + dt.timedelta(days=rng.randint(0, span - 30))
            churned = None
            if rng.random() < 0.15:
                churned = became + dt.timedelta(days=rng.randint(120, 1500))
                churned = None if churned > self.end else churned
            code = f"C{index:04d}"
            self.clients.append((index, code, became, churned))
            clients.append(
                Client(
                    id=index,
                    code=code,
                    name=f"Client {index}",
                    became_client_on=became,
                    churned_on=churned,
                )
            )
            start = became
            for _ in range(rng.choice((1, 1, 2, 2, 3))):
                number += 1
                length = rng.randint(365, 1100)
                end = start + dt.timedelta(days=length)
                if churned is not None and end >= churned:
                    end = churned - dt.timedelta(days=1)
                if end < start:
                    break
                open_ended = churned is None and end > self.end and rng.random() < 0.5
                fee = _money(rng.uniform(3000, 16000))
                ccode = f"K{number:05d}"
                contracts.append(
                    Contract(
                        id=number,
                        code=ccode,
                        client_id=index,
                        name=f"Managed services {number}",
                        monthly_fee=fee,
                        start_date=start,
                        end_date=None if open_ended else end,
                    )
                )
                self.contracts_by_client[index].append((ccode, start, None if open_ended else end))
                if open_ended or end >= self.end:
                    break
                start = end + dt.timedelta(days=1)
        fast_insert(Client, clients)
        fast_insert(Contract, contracts)
        self.contracts = [c for rows in self.contracts_by_client.values() for c in rows]
        self.summary.counts.update(clients=len(clients), contracts=len(contracts))

    def _active_client(self, day: dt.date) -> int:
        for _ in range(50):
            pk, _, became, churned = self.rng.choice(self.clients)
            if became <= day and (churned is None or churned > day):
                return pk
        return self.clients[0][0]

    def _projects(self) -> None:
        rng = self.rng
        span = (self.end - self.start).days
        consultants = sum(1 for p in self.people if p.kind in ("consultant", "manager"))
        plans = []
        for index in range(1, self.scale.projects + 1):
            planned_start = self.start + dt.timedelta(days=rng.randint(-60, span - 20))
            planned_days = rng.randint(40, 200)
            actual_start = planned_start + dt.timedelta(days=rng.randint(-5, 15))
            actual_days = round(planned_days * rng.uniform(0.85, 1.25))
            actual_end = actual_start + dt.timedelta(days=actual_days)
            status = "completed"
            if actual_end > self.end:
                status, actual_end = "active", None
            elif rng.random() < 0.04:
                status = "cancelled"
            plans.append((index, planned_start, planned_days, actual_start, actual_end, status))
        # Size budgets from the staffing the time entries will show: every consultant on
        # one of the projects running that day.
        running = sum(p[2] for p in plans) / max(1, span + 120)
        daily_cost = consultants * 6.5 * 62 * 5 / 7 / max(1.0, running)
        projects, progress, expenses, downtimes = [], [], [], []
        for index, planned_start, planned_days, actual_start, actual_end, status in plans:
            client = self._active_client(actual_start)
            code = f"P{index:05d}"
            budget = _money(planned_days * daily_cost * rng.uniform(0.9, 1.2))
            fixed = rng.random() < 0.7
            revenue = _money(float(budget) / rng.uniform(0.5, 0.65)) if fixed else None
            projects.append(
                Project(
                    id=index,
                    code=code,
                    client_id=client,
                    name=f"Integration {index}",
                    billing="fixed" if fixed else "time_and_materials",
                    revenue=revenue,
                    budget=budget,
                    planned_start=planned_start,
                    planned_end=planned_start + dt.timedelta(days=planned_days),
                    actual_start=actual_start,
                    actual_end=actual_end,
                    status=status,
                    requirements_met=status == "completed" and rng.random() < 0.92,
                    user_count=rng.randint(50, 2500),
                )
            )
            self.projects.append(ProjectPlan(index, code, client, actual_start, actual_end, status))
            last = min(actual_end or self.end, self.end)
            total = max(1, (last - actual_start).days)
            day, percent = actual_start + dt.timedelta(days=14), 0.0
            while day <= last:
                percent = min(100.0, 100.0 * (day - actual_start).days / total)
                progress.append(
                    ProjectProgress(project_id=index, date=day, percent_complete=_money(percent))
                )
                day += dt.timedelta(days=14)
            for k in range(rng.randint(1, 4)):
                when = actual_start + dt.timedelta(days=rng.randint(0, total))
                expenses.append(
                    ProjectExpense(
                        expense_id=f"{code}-X{k}",
                        project_id=index,
                        date=when,
                        category="hardware",
                        amount=_money(float(budget) * rng.uniform(0.01, 0.05)),
                    )
                )
            for k in range(rng.randint(0, 3)):
                began = local_midnight(actual_start) + dt.timedelta(
                    hours=rng.randint(0, total * 24)
                )
                downtimes.append(
                    Downtime(
                        downtime_id=f"{code}-D{k}",
                        project_id=index,
                        started_at=began,
                        ended_at=began + dt.timedelta(minutes=rng.randint(20, 600)),
                    )
                )
        fast_insert(Project, projects)
        fast_insert(ProjectProgress, progress)
        fast_insert(ProjectExpense, expenses)
        fast_insert(Downtime, downtimes)
        self.summary.counts.update(
            projects=len(projects),
            progress=len(progress),
            expenses=len(expenses),
            downtimes=len(downtimes),
        )

    def _overheads(self) -> None:
        rows = []
        month = dt.date(self.start.year, self.start.month, 1)
        size = self.scale.people * 1000
        while month <= self.end:
            for category, share in (
                ("sales_marketing", 2.0),
                ("general_admin", 3.0),
                ("facilities", 1.5),
                ("other", 0.5),
            ):
                rows.append(
                    Overhead(
                        month=month,
                        category=category,
                        amount=_money(size * share * self.rng.uniform(0.9, 1.1)),
                    )
                )
            month = (month + dt.timedelta(days=32)).replace(day=1)
        fast_insert(Overhead, rows)
        self.summary.counts["overheads"] = len(rows)

    def _tickets(self) -> list[tuple[int, int, int | None, dt.datetime]]:
        """Write the tickets and their pauses; return (id, client, project, resolved_at)
        of every resolved ticket, for the survey invitations."""
        rng = self.rng
        engineers = [p for p in self.people if p.kind == "engineer"] or self.people
        days = [d for d in _days(self.start, self.end) if d.weekday() < 5 or rng.random() < 0.3]
        completed_by_client: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
        for project in self.projects:
            if project.status == "completed":
                completed_by_client[project.client_pk].append((project.actual_end, project.pk))
        for rows in completed_by_client.values():
            rows.sort()
        cutoff = local_midnight(self.end + dt.timedelta(days=1))
        resolved: list[tuple[int, int, int | None, dt.datetime]] = []
        tickets: list[Ticket] = []
        pauses: list[TicketPause] = []
        written = paused = 0
        for number in range(1, self.scale.tickets + 1):
            day = days[(number * len(days)) // (self.scale.tickets + 1)]
            client = self._active_client(day)
            contract = self._contract_on(client, day)
            project = None
            if rng.random() < 0.15:
                done = completed_by_client.get(client, [])
                k = bisect.bisect_left(done, (day - dt.timedelta(days=30), 0))
                if k < len(done) and done[k][0] < day:
                    project = done[k][1]
            priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
            opened = local_midnight(day) + dt.timedelta(minutes=rng.randint(7 * 60, 19 * 60))
            response = opened + dt.timedelta(
                hours=rng.expovariate(1 / RESPOND_MEAN_HOURS[priority])
            )
            work = dt.timedelta(hours=rng.expovariate(1 / RESOLVE_MEAN_HOURS[priority]))
            pause = None
            if rng.random() < 0.3:
                pause_at = response + work * rng.uniform(0.1, 0.6)
                length = dt.timedelta(minutes=rng.randint(30, 48 * 60))
                pause = (pause_at, pause_at + length)
                work += length
            resolved_at = max(response, opened + work)
            if resolved_at >= cutoff:
                resolved_at = None
                if pause is not None and pause[1] >= cutoff:
                    pause = (pause[0], None)
            if response >= cutoff:
                response = None
            assignee = rng.choice(engineers)
            for _ in range(10):
                if assignee.employed_on(day):
                    break
                assignee = rng.choice(engineers)
            status = "in_progress" if resolved_at is None else rng.choice(("resolved", "closed"))
            if resolved_at is None and pause is not None and pause[1] is None:
                status = "waiting"
            ref = f"T{number:07d}"
            tickets.append(
                Ticket(
                    id=number,
                    ref=ref,
                    client_id=client,
                    project_id=project,
                    contract_id=contract[0] if contract else None,
                    priority=priority,
                    subject=f"Ticket {number}",
                    status=status,
                    opened_at=opened,
                    first_response_at=response,
                    resolved_at=resolved_at,
                    assignee_id=assignee.pk,
                    escalated=rng.random() < 0.07,
                    first_contact_resolved=resolved_at is not None and rng.random() < 0.78,
                )
            )
            if pause is not None and (response is None or pause[0] < cutoff):
                pauses.append(
                    TicketPause(ticket_id=number, paused_at=pause[0], resumed_at=pause[1])
                )
            self.tickets_by_day[day].append(ref)
            if resolved_at is not None:
                resolved.append((number, client, project, resolved_at))
            if len(tickets) >= BATCH:
                fast_insert(Ticket, tickets)
                fast_insert(TicketPause, pauses)
                written, paused = written + len(tickets), paused + len(pauses)
                tickets, pauses = [], []
        fast_insert(Ticket, tickets)
        fast_insert(TicketPause, pauses)
        self.summary.counts.update(tickets=written + len(tickets), pauses=paused + len(pauses))
        return resolved

    def _contract_on(self, client: int, day: dt.date) -> tuple[int, str] | None:
        for code, start, end in self.contracts_by_client.get(client, []):
            if start <= day and (end is None or day <= end):
                return (int(code[1:]), code)
        return None

    def _surveys(self, resolved: list[tuple[int, int, int | None, dt.datetime]]) -> None:
        rng = self.rng
        target = self.scale.responses
        invitations_wanted = round(target / 0.4)
        share = min(1.0, invitations_wanted / max(1, len(resolved)))
        picked = [resolved[int(k / share)] for k in range(int(len(resolved) * share))]
        invitations, responses = [], []
        number = 0

        def flush() -> None:
            fast_insert(SurveyInvitation, invitations)
            fast_insert(SurveyResponse, responses)
            invitations.clear()
            responses.clear()

        counts = {"invitations": 0, "responses": 0}
        cutoff = local_midnight(self.end + dt.timedelta(days=1))
        plans: list[tuple[str, int, int | None, int | None, dt.datetime]] = [
            ("csat", client, None, ticket, at + dt.timedelta(hours=1))
            for ticket, client, _, at in picked
        ]
        for project in self.projects:
            if project.status == "completed":
                at = local_midnight(project.actual_end) + dt.timedelta(hours=10)
                plans.append(("csat", project.client_pk, project.pk, None, at))
        month = self.start
        while month <= self.end:
            for pk, _, became, churned in self.clients:
                if became <= month and (churned is None or churned > month):
                    plans.append(
                        (
                            "nps",
                            pk,
                            None,
                            None,
                            local_midnight(month) + dt.timedelta(days=rng.randint(0, 80), hours=10),
                        )
                    )
            month = dt.date(month.year + (month.month + 2) // 12, (month.month + 2) % 12 + 1, 1)
        for kind, client, project, ticket, sent_at in plans:
            if sent_at >= cutoff:
                continue
            number += 1
            answered = rng.random() < 0.4
            responded_at = sent_at + dt.timedelta(hours=rng.randint(1, 96))
            if responded_at >= cutoff:
                answered = False
            invitations.append(
                SurveyInvitation(
                    id=number,
                    invitation_id=f"INV-{number:07d}",
                    kind=kind,
                    client_id=client,
                    contact_email=f"contact{client}@client.test",
                    sent_at=sent_at,
                    project_id=project,
                    ticket_id=ticket,
                    used_at=responded_at if answered else None,
                )
            )
            if answered:
                if kind == "csat":
                    score = rng.choices((5, 4, 3, 2, 1), (55, 33, 7, 3, 2))[0]
                else:
                    score = rng.choices(range(11), (1, 1, 1, 1, 2, 2, 4, 9, 17, 30, 32))[0]
                responses.append(
                    SurveyResponse(
                        id=number,
                        response_id=f"RSP-{number:07d}",
                        kind=kind,
                        client_id=client,
                        score=score,
                        responded_at=responded_at,
                        invitation_id=number,
                        project_id=project,
                        ticket_id=ticket,
                    )
                )
                counts["responses"] += 1
            counts["invitations"] += 1
            if len(invitations) >= BATCH:
                flush()
        flush()
        self.summary.counts.update(
            survey_invitations=counts["invitations"], survey_responses=counts["responses"]
        )

    def _reset_sequences(self) -> None:
        models = [
            get_user_model(),
            Employee,
            Client,
            Contract,
            Project,
            Ticket,
            SurveyInvitation,
            SurveyResponse,
        ]
        statements = connection.ops.sequence_reset_sql(no_style(), models)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    # --- time entries ------------------------------------------------------------------

    def write_time_entries(self, path: Path) -> int:
        """Write ``time_entries.csv`` (data-exchange.md) for the whole history; return rows.

        Per working day (not a weekend, holiday or full-day leave, inside employment):
        consultants and managers log delivery on a project running that day (now and
        then rework, internal time, training), engineers log managed-services work on
        a contract and on that day's tickets, executives internal time; ~4.3 entries a
        person-day, ~8 hours.
        """
        running: dict[dt.date, list[ProjectPlan]] = {}
        for day in _days(self.start, self.end):
            running[day] = []
        for project in self.projects:
            last = project.actual_end or self.end
            for day in _days(max(project.actual_start, self.start), min(last, self.end)):
                running[day].append(project)
        contracts_on: dict[dt.date, list[str]] = {}
        rows = 0
        current: dict[int, ProjectPlan] = {}
        with path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(ENTRY_COLUMNS)
            for day in _days(self.start, self.end):
                if day.weekday() >= 5 or day in self.holidays:
                    continue
                iso = day.isoformat()
                projects = running[day]
                if day.day == 1 or day not in contracts_on:
                    contracts_on.clear()
                    contracts_on[day] = [
                        code
                        for code, start, end in self.contracts
                        if start <= day and (end is None or day <= end)
                    ]
                contracts = contracts_on.get(day) or next(iter(contracts_on.values()))
                tickets = self.tickets_by_day.get(day, [])
                for person in self.people:
                    if not person.employed_on(day):
                        continue
                    leave = self.leave.get((person.pk, day))
                    if leave is not None and leave >= 8:
                        continue
                    budget = 8.0 - float(leave or 0)
                    for entry in self._day_entries(
                        person, budget, projects, contracts, tickets, current
                    ):
                        rows += 1
                        out.writerow([f"E{rows:08d}", person.username, iso, *entry])
                del running[day]
        return rows

    def _day_entries(
        self,
        person: Person,
        budget: float,
        projects: list[ProjectPlan],
        contracts: list[str],
        tickets: list[str],
        current: dict[int, ProjectPlan],
    ) -> list[list[object]]:
        rng = self.rng
        entries: list[list[object]] = []

        def add(
            hours: float,
            billable: bool,
            activity: str,
            project: str = "",
            contract: str = "",
            ticket: str = "",
        ) -> None:
            nonlocal budget
            hours = min(hours, budget)
            if hours <= 0:
                return
            quarters = _quarters(hours)
            budget -= float(quarters)
            entries.append(
                [quarters, "true" if billable else "false", activity, project, contract, ticket, ""]
            )

        if person.kind == "executive":
            add(budget * rng.uniform(0.9, 1.0), False, "internal")
            return entries
        if person.kind in ("consultant", "manager"):
            project = current.get(person.pk)
            if project is None or project not in projects:
                project = rng.choice(projects) if projects else None
                if project is not None:
                    current[person.pk] = project
            if project is None:
                add(budget * 0.5, False, "training")
                add(budget, False, "internal")
                return entries
            share = 0.5 if person.kind == "manager" else 0.82
            delivery = budget * share * rng.uniform(0.9, 1.1)
            add(delivery / 2, True, "delivery", project.code)
            if rng.random() < 0.15:
                add(rng.uniform(0.5, 1.5), False, "rework", project.code)
            add(delivery / 2, True, "delivery", project.code)
            if rng.random() < 0.4:
                add(rng.uniform(0.5, 1.0), False, "training")
            add(budget * rng.uniform(0.7, 1.0), False, "internal")
            return entries
        contract = rng.choice(contracts) if contracts else ""
        add(budget * rng.uniform(0.35, 0.45), True, "support", contract=contract)
        for _ in range(2):
            if tickets:
                add(rng.uniform(0.75, 1.75), True, "support", ticket=rng.choice(tickets))
        add(budget * rng.uniform(0.4, 0.6), True, "support", contract=contract)
        add(budget * rng.uniform(0.6, 1.0), False, "internal")
        return entries


def estimated_entries(scale: Scale) -> int:
    """Return roughly how many time entries ``scale`` generates (for progress messages)."""
    return math.ceil(scale.people * scale.years * 236 * 4.3)
