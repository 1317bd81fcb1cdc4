"""Plan the demo firm in memory: people, clients, contracts, projects, time, tickets, surveys.

``DemoFirm(options).plan()`` builds the whole history as plain Python objects with one
seeded random generator, so the same seed and the same ``today`` always give the same
firm; ``synapse.demo.writer`` then writes it with ``bulk_create``.

The shape is chosen so that the KPIs of kpis.md land around their benchmark bands:
staff log ~80 % of their available hours as billable work, projects are staffed from
a bench of consultants and mostly finish on time and on budget, support engineers
spend most of their time on managed-services contracts whose fees are calibrated to
a ~45 % gross margin, a few tickets breach their SLA, and overheads are sized so the
firm nets ~11 %.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from synapse.demo import names
from synapse.demo.clock import (
    BusinessClock,
    add_months,
    at_local,
    clock_add,
    company_holidays,
    days_between,
    month_start,
)

# SLA targets used to place responses and resolutions (support migration 0003 defaults).
SLA_TARGETS = {  # priority: (respond minutes, resolve minutes, business-hours clock?)
    "P1": (60, 4 * 60, False),
    "P2": (4 * 60, 8 * 60, True),
    "P3": (8 * 60, 24 * 60, True),
    "P4": (16 * 60, 80 * 60, True),
}
PRIORITY_WEIGHTS = {"P1": 4, "P2": 18, "P3": 50, "P4": 28}
ESCALATION_P = {"P1": 0.25, "P2": 0.10, "P3": 0.04, "P4": 0.02}
FIRST_CONTACT_P = {"P1": 0.35, "P2": 0.72, "P3": 0.92, "P4": 0.93}
#: Billable effort by month: December and August are quieter.
SEASON = {1: 0.97, 2: 1.0, 3: 1.0, 4: 0.99, 5: 1.0, 6: 1.0, 7: 0.97, 8: 0.93, 9: 1.0, 10: 1.0,
          11: 1.0, 12: 0.92}  # fmt: skip

TARGET_MS_MARGIN = 0.45
TARGET_NET_MARGIN = 0.11
TICKETS_PER_WEEKDAY = 4.5
QUARTER = Decimal("0.25")


@dataclass(frozen=True)
class DemoOptions:
    """What to generate: the seed, the day the history runs up to, and its length."""

    seed: int = 42
    today: dt.date = dt.date(2025, 1, 1)
    months: int = 24
    demo_users: bool = True


@dataclass
class Person:
    """A planned employee (role ``staff``/``manager``/``executive``; ``kind`` refines staff)."""

    index: int
    username: str
    first_name: str
    last_name: str
    role: str
    kind: str  # executive, manager, consultant, engineer
    employed_from: dt.date
    employed_until: dt.date | None
    rates: list[tuple[dt.date, Decimal, Decimal]]
    bias: float  # share of capacity spent on billable work
    sloppiness: float  # how often timesheets are incomplete
    manager: Person | None = None
    password: str = ""
    obj: object = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def employed_on(self, day: dt.date) -> bool:
        return self.employed_from <= day and (
            self.employed_until is None or day <= self.employed_until
        )

    def cost_rate(self, day: dt.date) -> float:
        rate = self.rates[0][1]
        for start, cost, _ in self.rates:
            if start <= day:
                rate = cost
        return float(rate)

    def bill_rate(self, day: dt.date) -> float:
        rate = self.rates[0][2]
        for start, _, bill in self.rates:
            if start <= day:
                rate = bill
        return float(rate)


@dataclass
class ClientPlan:
    """A planned client with its support effort and satisfaction."""

    code: str
    name: str
    became: dt.date
    churned: dt.date | None
    health: float  # probability a CSAT answer is 4–5
    effort: float  # support hours per unit of fee, relative to the average client
    domain: str
    project_contacts: list[tuple[str, str]] = field(default_factory=list)
    support_contacts: list[tuple[str, str]] = field(default_factory=list)
    obj: object = None

    def active_on(self, day: dt.date) -> bool:
        return self.became <= day and (self.churned is None or self.churned > day)


@dataclass
class ContractPlan:
    """A planned managed-services contract; ``rel_fee`` is scaled to money after costing."""

    code: str
    client: ClientPlan
    name: str
    rel_fee: float
    start: dt.date
    end: dt.date | None
    fee: Decimal = Decimal(0)
    obj: object = None

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass
class ProjectPlan:
    """A planned project: its schedule as it will actually run, its team and its outcome."""

    code: str
    client: ClientPlan
    name: str
    billing: str
    planned_start: dt.date
    planned_end: dt.date
    run_start: dt.date
    run_end: dt.date  # the last day work happens (the actual end, or the cancellation)
    cancelled: bool
    over_budget: float
    markup: float
    rework_rate: float
    requirements_met: bool
    user_count: int
    team: list[tuple[Person, float]] = field(default_factory=list)
    daily_cost: dict[dt.date, float] = field(default_factory=lambda: defaultdict(float))
    daily_bill: dict[dt.date, float] = field(default_factory=lambda: defaultdict(float))
    expenses: list[tuple[dt.date, str, Decimal]] = field(default_factory=list)
    downtimes: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    progress: list[tuple[dt.date, Decimal]] = field(default_factory=list)
    budget: Decimal = Decimal(0)
    revenue: Decimal | None = None
    status: str = "planned"
    obj: object = None

    @property
    def actual_start(self) -> dt.date | None:
        return None if self.status == "planned" else self.run_start

    @property
    def actual_end(self) -> dt.date | None:
        return self.run_end if self.status in ("completed", "cancelled") else None


@dataclass
class TicketPlan:
    """A planned ticket with its whole timeline (cut at the demo's cut-off moment)."""

    ref: str
    client: ClientPlan
    project: ProjectPlan | None
    contract: ContractPlan | None
    priority: str
    subject: str
    opened_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    pause: tuple[dt.datetime, dt.datetime | None] | None
    assignee: Person
    escalated: bool
    first_contact_resolved: bool
    reopened: bool
    work_quarters: int
    status: str = "new"
    obj: object = None


@dataclass
class EntryPlan:
    """A planned time entry (hours in quarter hours)."""

    person: Person
    day: dt.date
    quarters: int
    billable: bool
    activity: str
    project: ProjectPlan | None = None
    contract: ContractPlan | None = None
    ticket: TicketPlan | None = None
    note: str = ""


@dataclass
class InvitationPlan:
    """A planned survey invitation and, when answered, its response."""

    kind: str
    client: ClientPlan
    contact: tuple[str, str]
    sent_at: dt.datetime
    project: ProjectPlan | None
    ticket: TicketPlan | None
    responded_at: dt.datetime | None = None
    score: int | None = None


def money(value: float, step: int = 1) -> Decimal:
    """Return ``value`` rounded to a multiple of ``step`` as a 2-place Decimal."""
    rounded = Decimal(str(value / step)).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    return rounded.quantize(Decimal("0.01"))


class DemoFirm:
    """The demo firm's whole history, planned in memory from one seeded generator."""

    def __init__(self, options: DemoOptions) -> None:
        self.options = options
        self.rng = random.Random(options.seed)
        self.today = options.today
        self.start = add_months(month_start(options.today), -options.months)
        self.yesterday = options.today - dt.timedelta(days=1)
        # Tickets and surveys run up to the start of today; time is logged for today too.
        self.cutoff = at_local(options.today)
        self.scale = options.months / 24
        self.holidays: dict[dt.date, str] = {}
        self.people: list[Person] = []
        self.leave: dict[tuple[int, dt.date], int] = {}
        self.clients: list[ClientPlan] = []
        self.contracts: list[ContractPlan] = []
        self.projects: list[ProjectPlan] = []
        self.tickets: list[TicketPlan] = []
        self.entries: list[EntryPlan] = []
        self.invitations: list[InvitationPlan] = []
        self.overheads: list[tuple[dt.date, str, Decimal]] = []
        self.timesheets: list[tuple[Person, dt.date, str]] = []
        self.ticket_work: dict[tuple[int, dt.date], list[TicketPlan]] = defaultdict(list)
        self.demo_logins: dict[str, Person] = {}
        self._contract_cost: dict[str, float] = defaultdict(float)

    # -- the plan, in dependency order -------------------------------------------------

    def plan(self) -> DemoFirm:
        """Plan every record of the firm; return ``self``."""
        self._plan_holidays()
        self._plan_people()
        self._plan_leave()
        self._plan_clients()
        self._plan_contracts()
        self._plan_projects()
        self._plan_tickets()
        self._simulate_work()
        self._finish_projects()
        self._scale_fees()
        self._plan_overheads()
        self._plan_surveys()
        self._plan_timesheets()
        return self

    def _rand_date(self, first: dt.date, last: dt.date) -> dt.date:
        span = max((last - first).days, 0)
        return first + dt.timedelta(days=self.rng.randint(0, span))

    def _window_date(self, lo: float, hi: float) -> dt.date:
        """Return a random date between fractions ``lo`` and ``hi`` of the history."""
        span = (self.yesterday - self.start).days
        return self.start + dt.timedelta(days=int(span * self.rng.uniform(lo, hi)))

    def is_workday(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def _plan_holidays(self) -> None:
        for year in range(self.start.year - 1, self.today.year + 2):
            for day, name in company_holidays(year):
                self.holidays[day] = name
        self.clock = BusinessClock(set(self.holidays))

    def _plan_people(self) -> None:
        rng = self.rng
        firsts = rng.sample(names.FIRST_NAMES, len(names.FIRST_NAMES))
        lasts = rng.sample(names.LAST_NAMES, len(names.LAST_NAMES))
        layout = (
            [("executive", "executive")] * 3
            + [("manager", "manager")] * 5
            + [("staff", "consultant")] * 13
            + [("staff", "engineer")] * 19
        )
        base_cost = {"executive": 120, "manager": 80, "consultant": 62, "engineer": 47}
        bias = {"executive": 0.0, "manager": 0.9, "consultant": 0.92, "engineer": 0.88}
        for index, (role, kind) in enumerate(layout):
            first, last = firsts[index], lasts[index]
            employed_from = self.start - dt.timedelta(days=rng.randint(200, 2500))
            person = Person(
                index=index,
                username=f"{first}.{last}".lower(),
                first_name=first,
                last_name=last,
                role=role,
                kind=kind,
                employed_from=employed_from,
                employed_until=None,
                rates=[],
                bias=bias[kind] * rng.uniform(0.94, 1.06),
                sloppiness=rng.choice([0.5, 1.0, 1.0, 1.0, 2.0, 4.0]),
            )
            cost = base_cost[kind] * rng.uniform(0.85, 1.15)
            self._plan_rates(person, cost, markup=rng.uniform(2.15, 2.5))
            self.people.append(person)
        staff = [p for p in self.people if p.role == "staff"]
        # Turnover: one engineer leaves (and is replaced); the service desk grows with MRR.
        leaver, *joiners = staff[-5:]
        leaver.employed_until = self._window_date(0.3, 0.42)
        for person, (lo, hi) in zip(
            joiners, [(0.15, 0.3), (0.42, 0.5), (0.55, 0.7), (0.75, 0.9)], strict=True
        ):
            person.employed_from = self._window_date(lo, hi)
            person.rates = []
            self._plan_rates(person, base_cost[person.kind] * rng.uniform(0.85, 1.0), 2.3)
        executives = [p for p in self.people if p.kind == "executive"]
        managers = [p for p in self.people if p.kind == "manager"]
        for person in executives[1:] + managers:
            person.manager = executives[0]
        for i, person in enumerate(staff):
            person.manager = managers[i % len(managers)]
        # The demo logins: the CEO, the first manager and a consultant of their team.
        self.demo_logins = {
            "exec": executives[0],
            "manager": managers[0],
            "staff": next(
                p for p in staff if p.manager is managers[0] and p.employed_until is None
            ),
        }
        if self.options.demo_users:
            for username, person in self.demo_logins.items():
                person.username = username

    def _plan_rates(self, person: Person, cost_now: float, markup: float) -> None:
        """Give ``person`` a first rate and a raise every 1 January up to today."""
        years = list(range(person.employed_from.year + 1, self.today.year + 1))
        cost = cost_now / (1.035 ** len(years))
        person.rates.append((person.employed_from, money(cost), money(cost * markup, 5)))
        for year in years:
            cost *= 1.035
            person.rates.append((dt.date(year, 1, 1), money(cost), money(cost * markup, 5)))

    def _plan_leave(self) -> None:
        rng = self.rng
        for person in self.people:
            days: dict[dt.date, int] = {}
            for year in range(self.start.year, self.today.year + 1):
                summer = dt.date(year, 6, 1) + dt.timedelta(days=rng.randint(0, 80))
                block = rng.choice([5, 10, 10])
                for offset in range(block + 4):
                    day = summer + dt.timedelta(days=offset)
                    if self.is_workday(day) and len([d for d in days if d >= summer]) < block:
                        days[day] = 32
                if rng.random() < 0.6:
                    for day in days_between(dt.date(year, 12, 27), dt.date(year, 12, 31)):
                        if self.is_workday(day):
                            days[day] = 32
                for _ in range(rng.randint(3, 7)):
                    day = self._rand_date(dt.date(year, 1, 2), dt.date(year, 12, 20))
                    if self.is_workday(day):
                        days[day] = 32
                for _ in range(rng.randint(1, 4)):
                    day = self._rand_date(dt.date(year, 1, 2), dt.date(year, 12, 20))
                    if self.is_workday(day) and day not in days:
                        days[day] = 16
            for day in sorted(days):
                if self.start <= day <= self.today and person.employed_on(day):
                    self.leave[(person.index, day)] = days[day]

    def _plan_clients(self) -> None:
        rng = self.rng
        n_new = max(1, round(6 * self.scale))
        n_churn = max(1, round(4 * self.scale))
        for i, (code, name) in enumerate(names.CLIENTS):
            is_new = i >= len(names.CLIENTS) - n_new
            if is_new:
                k = i - (len(names.CLIENTS) - n_new)
                became = self._window_date((k + 0.1) / n_new, (k + 0.9) / n_new)
            else:
                became = self.start - dt.timedelta(days=rng.randint(120, 2600))
            domain = name.lower().replace("'", "").replace(" ", "-") + ".example"
            client = ClientPlan(
                code=code,
                name=name,
                became=became,
                churned=None,
                health=rng.uniform(0.86, 0.97),
                effort=rng.uniform(0.75, 1.25),
                domain=domain,
            )
            for role, count in (("project", rng.randint(1, 2)), ("support", rng.randint(2, 3))):
                for _ in range(count):
                    first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
                    email = f"{first}.{last}.{role[0]}@{domain}".lower()
                    contacts = (
                        client.project_contacts if role == "project" else client.support_contacts
                    )
                    if email not in [e for _, e in contacts]:
                        contacts.append((f"{first} {last}", email))
            self.clients.append(client)
        # Two clients are hard work to support (their contracts barely make money).
        for client in rng.sample(self.clients[:10], 2):
            client.effort = rng.uniform(1.45, 1.65)
        # Churn: established clients, plus the newest-but-one that joined and left.
        churners = rng.sample(self.clients[2 : len(self.clients) - n_new], n_churn - 1)
        churners.append(self.clients[len(self.clients) - n_new])
        for k, client in enumerate(churners):
            lo = max((k + 0.15) / n_churn, 0.05)
            day = self._window_date(lo, (k + 0.85) / n_churn)
            if day <= client.became:
                day = min(client.became + dt.timedelta(days=100), self.yesterday)
            if day > client.became:
                client.churned = day

    def _plan_contracts(self) -> None:
        rng = self.rng
        # Five clients buy projects only; the rest hold a managed-services contract.
        project_only = {c.code for c in rng.sample(self.clients[:-3], 5)}
        tiers = [("Bronze", 4), ("Silver", 8), ("Gold", 14), ("Platinum", 24)]
        for client in self.clients:
            if client.code in project_only:
                continue
            tier, base = rng.choice(tiers)
            rel_fee = base * rng.uniform(0.8, 1.25)
            start = client.became + dt.timedelta(days=rng.choice([0, 0, 0, 30, 60, 120]))
            if client.churned and start >= client.churned:
                start = client.became
            contracts = [ContractPlan("", client, f"Managed services {tier}", rel_fee, start, None)]
            horizon_end = client.churned or self.yesterday
            first_day = max(start, self.start) + dt.timedelta(days=30)
            if first_day < horizon_end - dt.timedelta(days=30):
                roll = rng.random()
                change_day = self._rand_date(first_day, horizon_end - dt.timedelta(days=30))
                change_day = month_start(change_day) if change_day.day > 1 else change_day
                if change_day > start:
                    if roll < 0.4:  # upgrade
                        old = contracts[-1]
                        old.end = change_day - dt.timedelta(days=1)
                        contracts.append(
                            ContractPlan("", client, "Managed services (upgraded)",
                                         old.rel_fee * rng.uniform(1.15, 1.5), change_day, None)
                        )  # fmt: skip
                    elif roll < 0.55:  # downgrade
                        old = contracts[-1]
                        old.end = change_day - dt.timedelta(days=1)
                        contracts.append(
                            ContractPlan("", client, "Managed services (reduced scope)",
                                         old.rel_fee * rng.uniform(0.6, 0.85), change_day, None)
                        )  # fmt: skip
                    if rng.random() < 0.3:  # an add-on
                        addon_day = self._rand_date(first_day, horizon_end - dt.timedelta(days=1))
                        contracts.append(
                            ContractPlan("", client, "Security monitoring add-on",
                                         rel_fee * rng.uniform(0.15, 0.35),
                                         month_start(addon_day), None)
                        )  # fmt: skip
            for contract in contracts:
                if client.churned:
                    last = client.churned - dt.timedelta(days=1)
                    if contract.end is None or contract.end > last:
                        contract.end = max(last, contract.start)
            for k, contract in enumerate(contracts, start=1):
                contract.code = f"MS-{client.code}-{k}"
                self.contracts.append(contract)

    def _contracts_on(self, client: ClientPlan, day: dt.date) -> list[ContractPlan]:
        return [c for c in self.contracts if c.client is client and c.active_on(day)]

    def _plan_projects(self) -> None:
        rng = self.rng
        count = max(8, round(60 * self.scale))
        first = self.start - dt.timedelta(days=40)
        last = self.today + dt.timedelta(days=50)
        spacing = (last - first).days / count
        consultants = [p for p in self.people if p.kind == "consultant"]
        managers = [p for p in self.people if p.kind == "manager"]
        load: dict[tuple[int, int], float] = defaultdict(float)  # (person, week) -> allocation

        def weeks(a: dt.date, b: dt.date) -> list[int]:
            return list(range(a.toordinal() // 7, b.toordinal() // 7 + 1))

        for i in range(count):
            planned_start = first + dt.timedelta(days=int((i + rng.uniform(0, 0.6)) * spacing))
            planned_start = max(planned_start, self.start + dt.timedelta(days=rng.randint(0, 6)))
            while planned_start.weekday() != 0:
                planned_start += dt.timedelta(days=1)
            planned_days = 7 * rng.randint(6, 14) - 3
            planned_end = planned_start + dt.timedelta(days=planned_days)
            run_start = planned_start + dt.timedelta(days=rng.choice([0, 0, 0, 0, 1, 3, 7]))
            late = rng.random() < 0.15
            if late:
                run_end = planned_end + dt.timedelta(
                    days=max(3, int(planned_days * rng.uniform(0.05, 0.4)))
                )
            else:
                run_end = planned_end - dt.timedelta(days=rng.randint(0, 6))
            run_end = max(run_end, run_start + dt.timedelta(days=14))
            cancelled = rng.random() < 0.06
            if cancelled:
                run_end = run_start + dt.timedelta(
                    days=int((run_end - run_start).days * rng.uniform(0.3, 0.6))
                )
                if run_end >= self.today:
                    cancelled = False
                    run_end = planned_end
            eligible = [c for c in self.clients if c.active_on(run_start) and (
                c.churned is None or c.churned > run_end)]  # fmt: skip
            client = rng.choice(eligible or self.clients[:5])
            over = (
                rng.uniform(0.03, 0.3)
                if (late and rng.random() < 0.75) or rng.random() < 0.06
                else rng.uniform(-0.08, -0.004)
            )
            project = ProjectPlan(
                code=f"P-{planned_start.year}-{i + 1:03d}",
                client=client,
                name=f"{client.name} {rng.choice(names.PROJECT_KINDS)}",
                billing="fixed" if rng.random() < 0.65 else "time_and_materials",
                planned_start=planned_start,
                planned_end=planned_end,
                run_start=run_start,
                run_end=run_end,
                cancelled=cancelled,
                over_budget=over,
                markup=rng.uniform(1.55, 1.95),
                rework_rate=rng.choice([0.01, 0.02, 0.02, 0.03, 0.04, 0.05, 0.08]),
                requirements_met=rng.random() < 0.97 and not cancelled,
                user_count=int(math.exp(rng.uniform(math.log(25), math.log(900)))),
            )
            window = weeks(run_start, run_end)

            def avg_load(person: Person, window: list[int] = window) -> float:
                return sum(load[(person.index, w)] for w in window) / len(window)

            size = rng.choice([1, 2, 2, 2, 3, 3])
            available = [
                c for c in consultants if c.employed_on(run_start) and c.employed_on(run_end)
            ] or consultants
            ranked = sorted(available, key=lambda p: (round(avg_load(p), 2), rng.random()))
            for person in ranked[:size]:
                alloc = 1.0 if avg_load(person) < 0.4 else 0.5
                project.team.append((person, alloc))
            lead = min(managers, key=lambda p: (round(avg_load(p), 2), rng.random()))
            project.team.append((lead, 0.4))
            for person, alloc in project.team:
                for w in window:
                    load[(person.index, w)] += alloc
            self.projects.append(project)
        for project in self.projects:
            if project.run_start >= self.today:
                project.status = "planned"
            elif project.run_end >= self.today:
                project.status = "active"
            else:
                project.status = "cancelled" if project.cancelled else "completed"

    # -- tickets --------------------------------------------------------------------

    def _poisson(self, lam: float) -> int:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    def _on_duty(self, day: dt.date, kinds: tuple[str, ...]) -> list[Person]:
        return [
            p
            for p in self.people
            if p.kind in kinds
            and p.employed_on(day)
            and self.is_workday(day)
            and (p.index, day) not in self.leave
        ]

    def _plan_tickets(self) -> None:
        rng = self.rng
        opened: list[tuple[dt.datetime, ClientPlan, ProjectPlan | None, str | None]] = []

        def weight(contract: ContractPlan) -> float:
            return contract.rel_fee * contract.client.effort

        base = sum(weight(c) for c in self.contracts if c.active_on(self.start)) or 1.0
        for day in days_between(self.start, self.yesterday):
            factor = 1.0 if day.weekday() < 5 else 0.12
            for contract in self.contracts:
                if not contract.active_on(day):
                    continue
                lam = TICKETS_PER_WEEKDAY * factor * weight(contract) / base
                for _ in range(self._poisson(lam)):
                    if day.weekday() < 5 and rng.random() < 0.9:
                        moment = at_local(day, rng.randint(7, 17), rng.randint(0, 59))
                    else:
                        moment = at_local(day, rng.randint(0, 23), rng.randint(0, 59))
                    opened.append((moment, contract.client, None, None))
        # Tickets after go-live: about 2 % of a completed project's users raise one.
        for project in self.projects:
            if project.status != "completed":
                continue
            for _ in range(self._poisson(project.user_count * rng.uniform(0.008, 0.035))):
                day = project.run_end + dt.timedelta(days=rng.randint(1, 30))
                moment = at_local(day, rng.randint(8, 17), rng.randint(0, 59))
                opened.append((moment, project.client, project, rng.choice(["P2", "P3", "P3"])))
        opened = [o for o in opened if o[0] < self.cutoff]
        opened.sort(key=lambda o: (o[0], o[1].code))
        priorities = list(PRIORITY_WEIGHTS)
        weights = list(PRIORITY_WEIGHTS.values())
        for n, (moment, client, project, priority) in enumerate(opened, start=1):
            priority = priority or rng.choices(priorities, weights)[0]
            contracts = self._contracts_on(client, moment.date())
            contract = max(contracts, key=lambda c: c.rel_fee) if contracts else None
            self.tickets.append(self._ticket(n, moment, client, project, contract, priority))

    def _ticket(
        self,
        n: int,
        opened_at: dt.datetime,
        client: ClientPlan,
        project: ProjectPlan | None,
        contract: ContractPlan | None,
        priority: str,
    ) -> TicketPlan:
        rng = self.rng
        respond, resolve, business = SLA_TARGETS[priority]
        clock = self.clock if business else None
        escalated = rng.random() < ESCALATION_P[priority]
        paused = priority != "P1" and not escalated and rng.random() < 0.08
        fcr = not escalated and not paused and rng.random() < FIRST_CONTACT_P[priority]
        # Difficult clients breach a little more often.
        breach_p = 0.007 + (0.008 if client.effort > 1.4 else 0.0)
        response_min = respond * (
            rng.uniform(1.05, 1.8) if rng.random() < breach_p else rng.uniform(0.05, 0.75)
        )
        if fcr:
            active = response_min + rng.uniform(10, 60)
        elif escalated:
            active = resolve * rng.uniform(0.4, 1.12)
        elif rng.random() < breach_p * 1.3:
            active = resolve * rng.uniform(1.05, 2.2)
        else:
            active = resolve * rng.uniform(0.12, 0.8) ** 1.6
        active = max(active, response_min + 5)
        first_response = clock_add(clock, opened_at, response_min)
        pause = None
        if paused:
            at_minutes = rng.uniform(response_min + 1, active)
            paused_at = clock_add(clock, opened_at, at_minutes)
            resumed_at = paused_at + dt.timedelta(hours=rng.uniform(2, 70))
            resolved = clock_add(clock, resumed_at, active - at_minutes)
            pause = (paused_at, resumed_at)
        else:
            resolved = clock_add(clock, opened_at, active)
        # Cut the timeline at the start of today: later events have not happened yet.
        if first_response >= self.cutoff:
            first_response = None
        if pause and pause[0] >= self.cutoff:
            pause = None
        elif pause and pause[1] >= self.cutoff:
            pause = (pause[0], None)
        if resolved >= self.cutoff:
            resolved = None
        if resolved is None:
            status = "waiting" if pause and pause[1] is None else (
                "in_progress" if first_response else "new")  # fmt: skip
        elif resolved + dt.timedelta(days=7) < self.cutoff:
            status = "closed"
        else:
            status = "resolved"
        work_day = (resolved or first_response or opened_at).astimezone(self.cutoff.tzinfo).date()
        kinds = ("engineer",) if project is None else ("engineer", "consultant")
        on_duty = self._on_duty(work_day, kinds) or self._on_duty(work_day, ("engineer",))
        if not on_duty:
            on_duty = [p for p in self.people if p.kind == "engineer" and p.employed_on(work_day)]
        assignee = rng.choice(on_duty or [p for p in self.people if p.kind == "engineer"])
        hours = {"P1": (2, 4), "P2": (1, 3), "P3": (0.5, 2), "P4": (0.5, 2)}[priority]
        quarters = 1 if fcr else round(rng.uniform(*hours) * 4) + (8 if escalated else 0)
        ticket = TicketPlan(
            ref=f"T-{n:05d}",
            client=client,
            project=project,
            contract=contract,
            priority=priority,
            subject=rng.choice(names.TICKET_SUBJECTS),
            opened_at=opened_at,
            first_response_at=first_response,
            resolved_at=resolved,
            pause=pause,
            assignee=assignee,
            escalated=escalated,
            first_contact_resolved=fcr and resolved is not None,
            reopened=resolved is not None and rng.random() < 0.02,
            work_quarters=max(quarters, 1),
            status=status,
        )
        if work_day <= self.yesterday:
            self.ticket_work[(assignee.index, work_day)].append(ticket)
        return ticket

    # -- time -----------------------------------------------------------------------

    def _emit(self, entry: EntryPlan) -> None:
        if entry.quarters <= 0:
            return
        cost = entry.quarters / 4 * entry.person.cost_rate(entry.day)
        if entry.project is not None and entry.activity in ("delivery", "rework"):
            entry.project.daily_cost[entry.day] += cost
            if entry.billable:
                entry.project.daily_bill[entry.day] += (
                    entry.quarters / 4 * entry.person.bill_rate(entry.day)
                )
        contract = entry.contract or (entry.ticket.contract if entry.ticket else None)
        if entry.project is None and contract is not None:
            self._contract_cost[contract.code] += cost
        if entry.day <= self.today:
            self.entries.append(entry)

    def _maintenance(self, person: Person, day: dt.date, quarters: int) -> None:
        """Spread ``quarters`` of contract support over one or two active contracts."""
        active = [c for c in self.contracts if c.active_on(day)]
        if not active or quarters <= 0:
            return
        weights = [c.rel_fee * c.client.effort for c in active]
        parts = [quarters] if quarters < 12 else [quarters // 2, quarters - quarters // 2]
        for part in parts:
            contract = self.rng.choices(active, weights)[0]
            note = self.rng.choice(names.MAINTENANCE_NOTES)
            self._emit(EntryPlan(person, day, part, True, "support", contract=contract, note=note))

    def _non_billable(self, person: Person, day: dt.date, quarters: int) -> None:
        if quarters <= 0:
            return
        rng = self.rng
        if person.kind != "manager" and quarters >= 8 and rng.random() < 0.3:
            note = rng.choice(names.TRAINING_NOTES)
            self._emit(EntryPlan(person, day, quarters, False, "training", note=note))
            return
        note = rng.choice(names.INTERNAL_NOTES)
        self._emit(EntryPlan(person, day, quarters, False, "internal", note=note))

    def _simulate_work(self) -> None:
        """Walk every working day and log each person's hours (and future project hours)."""
        rng = self.rng
        assignments: dict[int, list[tuple[ProjectPlan, float]]] = defaultdict(list)
        for project in self.projects:
            for person, alloc in project.team:
                assignments[person.index].append((project, alloc))
        last_day = max([self.today] + [p.run_end for p in self.projects])
        for day in days_between(self.start, last_day):
            if not self.is_workday(day):
                continue
            past = day <= self.today
            season = SEASON[day.month]
            for person in self.people:
                if person.kind == "executive" or not person.employed_on(day):
                    continue
                if not past and person.kind == "engineer":
                    continue
                capacity = 32 - self.leave.get((person.index, day), 0)
                if capacity <= 0:
                    continue
                if past:
                    slip = 0.009 * person.sloppiness * (3 if day.month == 12 else 1)
                    roll = rng.random()
                    if roll < slip:
                        continue  # forgot the day
                    if roll < 3 * slip:
                        capacity -= 8  # logged two hours short
                    if person.kind == "consultant" and rng.random() < 0.08:
                        capacity += 4
                    if capacity <= 0:
                        continue
                for ticket in self.ticket_work.pop((person.index, day), []):
                    quarters = min(ticket.work_quarters, capacity)
                    self._emit(
                        EntryPlan(person, day, quarters, True, "support", ticket=ticket)
                    )  # fmt: skip
                    capacity -= quarters
                billable = round(capacity * min(person.bias * season, 1.0))
                if person.kind == "engineer":
                    self._maintenance(person, day, billable)
                    self._non_billable(person, day, capacity - billable)
                    continue
                active = [
                    (project, alloc)
                    for project, alloc in assignments[person.index]
                    if project.run_start <= day <= project.run_end
                ]
                used = 0
                if active:
                    total = sum(alloc for _, alloc in active)
                    project_q = round(billable * min(total, 1.0))
                    for project, alloc in active:
                        quarters = round(project_q * alloc / total)
                        rework = 0
                        if rng.random() < project.rework_rate * 4:
                            rework = quarters // 4
                        self._emit(EntryPlan(person, day, quarters - rework, True, "delivery",
                                             project=project))  # fmt: skip
                        self._emit(EntryPlan(person, day, rework, False, "rework",
                                             project=project, note="Fixing defects"))  # fmt: skip
                        used += quarters
                if not past:
                    continue
                if person.kind == "manager":
                    support = round(capacity * 0.12)
                elif not active:
                    support = round(billable * 0.55)  # on the bench: help the service desk
                else:
                    support = 0
                self._maintenance(person, day, support)
                self._non_billable(person, day, capacity - used - support)

    # -- derived money --------------------------------------------------------------

    def _finish_projects(self) -> None:
        """Set budgets, revenue, expenses, progress and downtime from the simulated cost."""
        rng = self.rng
        for project in self.projects:
            labour = sum(project.daily_cost.values())
            planned_share = 1.0
            if project.cancelled:
                planned_share = rng.uniform(0.35, 0.65)
            expense_total = labour * rng.uniform(0.0, 0.14)
            span = max((project.run_end - project.run_start).days, 1)
            count = rng.randint(1, 4) if expense_total > 0 else 0
            for _ in range(count):
                day = project.run_start + dt.timedelta(days=rng.randint(0, span))
                category = rng.choice(names.EXPENSE_CATEGORIES)
                project.expenses.append((day, category, money(expense_total / count)))
            full_cost = labour + float(sum(a for _, _, a in project.expenses))
            project.budget = money(full_cost / planned_share / (1 + project.over_budget), 100)
            if project.billing == "fixed":
                project.revenue = money(float(project.budget) * project.markup, 500)
            # Weekly progress: the share of the (full) cost spent so far.
            running = 0.0
            costs = sorted(project.daily_cost.items())
            i = 0
            spent_expenses = sorted(project.expenses)
            last_progress = min(project.run_end, self.yesterday)
            for day in days_between(project.run_start, last_progress):
                while i < len(costs) and costs[i][0] <= day:
                    running += costs[i][1]
                    i += 1
                if day.weekday() != 4 and day != project.run_end:
                    continue
                spent = running + float(sum(a for d, _, a in spent_expenses if d <= day))
                share = spent / (full_cost / planned_share) if full_cost else 0.0
                if day == project.run_end and project.status == "completed":
                    percent = 100.0
                else:
                    percent = min(max(share * rng.uniform(0.96, 1.04) * 100, 0.0), 99.0)
                project.progress.append((day, Decimal(str(round(percent, 1)))))
            project.expenses = [e for e in project.expenses if e[0] <= self.yesterday]
            # Client systems down during integration: usually ~1 % of the window, rarely 5 %.
            if project.status != "planned" and rng.random() < 0.7:
                end = min(project.run_end, self.yesterday)
                window_hours = max((end - project.run_start).days, 1) * 24
                share = rng.choice([0.008, 0.012, 0.015, 0.02, 0.03, 0.06])
                pieces = rng.randint(1, 4)
                for _ in range(pieces):
                    hours = window_hours * share / pieces
                    start = at_local(self._rand_date(project.run_start, end), rng.randint(0, 20))
                    finish = start + dt.timedelta(hours=hours)
                    if finish < self.cutoff:
                        project.downtimes.append((start, finish))

    def _month_fee_days(self, contract: ContractPlan, month: dt.date) -> float:
        """Return the share of ``month`` the contract is active (for pro-rating)."""
        nxt = add_months(month, 1)
        last = nxt - dt.timedelta(days=1)
        first_day = max(contract.start, month)
        last_day = min(contract.end or last, last)
        if last_day < first_day:
            return 0.0
        return ((last_day - first_day).days + 1) / (nxt - month).days

    def _full_months(self) -> list[dt.date]:
        months, month = [], self.start
        while add_months(month, 1) <= self.today:
            months.append(month)
            month = add_months(month, 1)
        return months or [self.start]

    def _scale_fees(self) -> None:
        """Turn relative fees into money so managed services earn ~45 % gross margin."""
        months = self._full_months()
        relative = sum(
            c.rel_fee * self._month_fee_days(c, m) for c in self.contracts for m in months
        )
        cost = sum(
            e.quarters / 4 * e.person.cost_rate(e.day)
            for e in self.entries
            if e.project is None
            and (e.contract or (e.ticket and e.ticket.contract))
            and months[0] <= e.day < add_months(months[-1], 1)
        )
        per_unit = cost / (1 - TARGET_MS_MARGIN) / relative if relative else 1000.0
        for contract in self.contracts:
            contract.fee = money(contract.rel_fee * per_unit, 50)

    def _plan_overheads(self) -> None:
        """Size monthly overheads so the firm nets ~11 % over the history, by category."""
        months = self._full_months()
        first, stop = months[0], add_months(months[-1], 1)
        ms_revenue = sum(
            float(c.fee) * self._month_fee_days(c, m) for c in self.contracts for m in months
        )
        ms_cost = sum(
            e.quarters / 4 * e.person.cost_rate(e.day)
            for e in self.entries
            if e.project is None
            and (e.contract or (e.ticket and e.ticket.contract))
            and first <= e.day < stop
        )
        done = [p for p in self.projects if p.status == "completed" and first <= p.run_end < stop]
        project_revenue = sum(
            float(p.revenue) if p.revenue is not None else sum(p.daily_bill.values()) for p in done
        )
        project_cost = sum(
            sum(p.daily_cost.values()) + float(sum(a for _, _, a in p.expenses)) for p in done
        )
        revenue = ms_revenue + project_revenue
        profit = revenue - ms_cost - project_cost
        monthly = max(profit - TARGET_NET_MARGIN * revenue, revenue * 0.1) / len(months)
        split = {"sales_marketing": 0.2, "general_admin": 0.56, "facilities": 0.16, "other": 0.08}
        for k, month in enumerate(months):
            trend = 0.94 + 0.12 * k / max(len(months) - 1, 1)
            for category, share in split.items():
                amount = monthly * share * trend * self.rng.uniform(0.93, 1.07)
                self.overheads.append((month, category, money(amount, 10)))

    # -- surveys and timesheets ------------------------------------------------------

    def _score(self, kind: str, health: float, unhappy: bool) -> int:
        rng = self.rng
        good = health - (0.3 if unhappy else 0.0)
        if kind == "csat":
            if rng.random() < good:
                return 5 if rng.random() < 0.6 else 4
            return rng.choice([1, 2, 3, 3, 3])
        roll = rng.random()
        promoter = 0.66 * good / 0.9
        if roll < promoter:
            return rng.choice([9, 10, 10])
        if roll < promoter + 0.27:
            return rng.choice([7, 8])
        return rng.choice([2, 4, 5, 6, 6])

    def _plan_surveys(self) -> None:
        rng = self.rng
        last_sent: dict[tuple[str, str], dt.datetime] = {}
        events: list[tuple[dt.datetime, ClientPlan, str, ProjectPlan | None, TicketPlan | None]]
        events = []
        for ticket in self.tickets:
            if ticket.resolved_at is not None:
                sent = ticket.resolved_at + dt.timedelta(minutes=rng.randint(5, 90))
                kind = "csat" if rng.random() < 0.65 else "nps"
                events.append((sent, ticket.client, kind, None, ticket))
        for project in self.projects:
            if project.status == "completed":
                sent = at_local(project.run_end + dt.timedelta(days=1), 10)
                events.append((sent, project.client, "csat", project, None))
                events.append(
                    (sent + dt.timedelta(minutes=5), project.client, "nps", project, None)
                )
        events.sort(key=lambda e: (e[0], e[1].code, e[2]))
        for sent, client, kind, project, ticket in events:
            if sent >= self.cutoff:
                continue
            contacts = client.project_contacts if project else client.support_contacts
            contact = rng.choice(contacts)
            key = (contact[1], kind)
            if key in last_sent and sent - last_sent[key] < dt.timedelta(days=30):
                continue
            last_sent[key] = sent
            invitation = InvitationPlan(kind, client, contact, sent, project, ticket)
            churning = client.churned is not None and (client.churned - sent.date()).days < 240
            health = client.health if not churning else min(client.health, 0.62)
            if rng.random() < (0.55 if project else 0.38):
                answered = sent + dt.timedelta(hours=rng.expovariate(1 / 20))
                if answered < self.cutoff:
                    invitation.responded_at = answered
                    unhappy = ticket is not None and (ticket.escalated or ticket.reopened)
                    invitation.score = self._score(kind, health, unhappy)
            self.invitations.append(invitation)

    def _plan_timesheets(self) -> None:
        monday = self.start - dt.timedelta(days=self.start.weekday())
        this_week = self.today - dt.timedelta(days=self.today.weekday())
        while monday <= this_week:
            sunday = monday + dt.timedelta(days=6)
            if monday == this_week:
                status = "draft"
            elif monday == this_week - dt.timedelta(days=7):
                status = "submitted"
            else:
                status = "approved"
            for person in self.people:
                if person.kind == "executive":
                    continue
                if person.employed_on(monday) or person.employed_on(sunday):
                    self.timesheets.append((person, monday, status))
            monday += dt.timedelta(days=7)
