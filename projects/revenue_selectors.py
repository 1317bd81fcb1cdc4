"""Reads behind the revenue and relationship KPIs (kpis.md "Revenue and relationships").

Every function here returns the inputs of a period for *all* scopes at once, with one
grouped query (never one per client or per month), so that the KPIs in
``projects.kpis.revenue`` stay pure formulas over these sums and counts.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, ExtractDay, Greatest, Least

from projects.models import Client, Contract, Overhead
from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import COMPANY, Scope
from timesheets.models import TimeEntry

CENTS = Decimal(100)


def client_active_on(day: dt.date) -> Q:
    """Return the filter of clients active on ``day``: joined on or before it, not churned."""
    return Q(became_client_on__lte=day) & (Q(churned_on__isnull=True) | Q(churned_on__gt=day))


def contract_active_on(day: dt.date, prefix: str = "") -> Q:
    """Return the filter of contracts active on ``day`` (``start ≤ day ≤ end``, end open)."""
    return Q(**{f"{prefix}start_date__lte": day}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": day})
    )


def contract_overlaps(first: dt.date, last: dt.date) -> Q:
    """Return the filter of contracts active on at least one day of ``[first, last]``."""
    return Q(start_date__lte=last) & (Q(end_date__isnull=True) | Q(end_date__gte=first))


@dataclass(frozen=True)
class ClientCounts:
    """Counts of clients behind retention, logo churn and CAC (company-wide)."""

    #: S: clients active on ``start``.
    at_start: int
    #: Clients of S still active on ``end`` (= E − N).
    retained: int
    #: E: clients active on ``end``.
    at_end: int
    #: N: clients that joined after ``start`` and are active on ``end``.
    new_retained: int
    #: Clients with ``became_client_on`` in ``[start, end]``, whether or not still active.
    acquired: int


def clients_counts(ctx: KpiContext) -> ClientCounts:
    """Return the client counts of the period in one aggregate query.

    ``end`` is ``ctx.end``: the period end, or today for a running period.
    """
    start, end = ctx.start, ctx.end
    row = Client.objects.aggregate(
        at_start=Count("pk", filter=client_active_on(start)),
        retained=Count("pk", filter=client_active_on(start) & client_active_on(end)),
        at_end=Count("pk", filter=client_active_on(end)),
        new_retained=Count("pk", filter=Q(became_client_on__gt=start) & client_active_on(end)),
        acquired=Count("pk", filter=Q(became_client_on__gte=start, became_client_on__lte=end)),
    )
    return ClientCounts(**row)


@dataclass(frozen=True)
class ClientMrr:
    """One client's MRR on the opening day (``start − 1``) and the closing day (``end``)."""

    opening: Decimal
    closing: Decimal
    #: Contracts of the client active on the closing day.
    contracts: int


def contracts_mrr_by_client(ctx: KpiContext) -> dict[str, ClientMrr]:
    """Return, per client code, opening MRR (on ``start − 1 day``), closing MRR (on
    ``ctx.end``) and the number of contracts active at close — one grouped query.

    Only clients with a contract active on either day appear.
    """
    opening_day = ctx.start - dt.timedelta(days=1)
    closing_day = ctx.end
    opening = contract_active_on(opening_day)
    closing = contract_active_on(closing_day)
    contracts = ctx.narrow(Contract.objects.filter(opening | closing), client="client__code")
    rows = (
        contracts.values("client__code")
        .annotate(
            opening=Sum("monthly_fee", filter=opening, default=0),
            closing=Sum("monthly_fee", filter=closing, default=0),
            contracts=Count("pk", filter=closing),
        )
        .order_by()
    )
    return {
        row["client__code"]: ClientMrr(row["opening"], row["closing"], row["contracts"])
        for row in rows
    }


def period_month_windows(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date, int]]:
    """Return ``(first, last, days_in_month)`` for each calendar month ``[start, end]``
    touches, ``first``/``last`` clipped to the range."""
    windows = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        days = calendar.monthrange(year, month)[1]
        first = max(start, dt.date(year, month, 1))
        last = min(end, dt.date(year, month, days))
        windows.append((first, last, days))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return windows


def _fee_cents_times_active_days(first: dt.date, last: dt.date) -> Sum:
    """Return Σ fee (integer cents) × active days inside ``[first, last]`` (one month).

    Both clipped dates lie in the same calendar month, so the number of active days is a
    difference of days of the month — no date arithmetic, identical on SQLite and
    PostgreSQL, and an exact integer.
    """
    first_value = Value(first, output_field=DateField())
    last_value = Value(last, output_field=DateField())
    active_from = Greatest(F("start_date"), first_value, output_field=DateField())
    active_to = Least(
        Coalesce(F("end_date"), last_value, output_field=DateField()),
        last_value,
        output_field=DateField(),
    )
    days = ExtractDay(active_to) - ExtractDay(active_from) + Value(1)
    return Sum(
        ExpressionWrapper(F("monthly_fee") * days, output_field=BigIntegerField()),
        filter=contract_overlaps(first, last),
        default=0,
    )


@dataclass(frozen=True)
class ManagedServices:
    """Managed-services revenue and cost of one scope in the period."""

    revenue: Decimal
    cost: Decimal
    #: Contracts active on at least one day of the period.
    contracts: int
    #: Time entries whose cost is attributed to a contract.
    entries: int


def managed_services_totals(ctx: KpiContext) -> dict[Scope, ManagedServices]:
    """Return managed-services revenue and cost per client and for the company.

    Revenue (kpis.md): each contract's monthly fee pro-rated by its active days in each
    calendar month of the period, fee × active days / days in that month, counted up to
    ``ctx.end`` (today for a running period). One query sums fee cents × active days per
    month, grouped by client (one conditional column per month); the division by the
    days in each month is done here in exact ``Decimal``.
    Cost: Σ stored labour ``cost`` of time entries attributed to a contract
    (``cost_contract``), dated in ``[start, end]`` — one grouped query.
    The company scope is the sum of the clients' rows.
    """
    start, end = ctx.start, ctx.end
    windows = period_month_windows(start, end)
    contracts = ctx.narrow(
        Contract.objects.filter(contract_overlaps(start, end)), client="client__code"
    )
    month_sums = {
        f"m{i}": _fee_cents_times_active_days(first, last)
        for i, (first, last, _) in enumerate(windows)
    }
    revenue_rows = (
        contracts.values("client__code").annotate(contracts=Count("pk"), **month_sums).order_by()
    )
    entries = ctx.narrow(
        TimeEntry.objects.filter(cost_contract__isnull=False, date__gte=start, date__lte=end),
        client="cost_contract__client__code",
    )
    cost_rows = (
        entries.values("cost_contract__client__code")
        .annotate(cost=Sum("cost", default=0), entries=Count("pk"))
        .order_by()
    )

    def revenue_of(cents_days: list[int | Decimal]) -> Decimal:
        return sum(
            (
                Decimal(value) / (CENTS * days)
                for value, (_, _, days) in zip(cents_days, windows, strict=True)
            ),
            Decimal(0),
        )

    month_keys = list(month_sums)
    per_client: dict[str, dict] = {}
    company_cents_days = [Decimal(0)] * len(windows)
    company = {"cost": Decimal(0), "contracts": 0, "entries": 0}
    for row in revenue_rows:
        cents_days = [Decimal(row[key]) for key in month_keys]
        company_cents_days = [a + b for a, b in zip(company_cents_days, cents_days, strict=True)]
        company["contracts"] += row["contracts"]
        per_client[row["client__code"]] = {
            "revenue": revenue_of(cents_days),
            "cost": Decimal(0),
            "contracts": row["contracts"],
            "entries": 0,
        }
    for row in cost_rows:
        code = row["cost_contract__client__code"]
        found = per_client.setdefault(
            code, {"revenue": Decimal(0), "cost": Decimal(0), "contracts": 0, "entries": 0}
        )
        found["cost"] = row["cost"]
        found["entries"] = row["entries"]
        company["cost"] += row["cost"]
        company["entries"] += row["entries"]

    out: dict[Scope, ManagedServices] = {}
    if ctx.wants("company"):
        out[COMPANY] = ManagedServices(revenue=revenue_of(company_cents_days), **company)
    if ctx.wants("client"):
        for code, values in per_client.items():
            out[Scope("client", code)] = ManagedServices(**values)
    return out


@dataclass(frozen=True)
class Overheads:
    """Overheads of the months in the period: all categories, and sales and marketing."""

    total: Decimal
    sales_marketing: Decimal
    #: Overhead rows counted.
    rows: int


def overheads_totals(ctx: KpiContext) -> Overheads:
    """Return the overheads of the months in the period in one aggregate query.

    Overheads are recorded per month (``month`` = its first day). "The months in the
    period" are the months whose first day falls in ``[start, end]`` (``end`` = today
    for a running period): a month counts whole once it has begun inside the period,
    and a custom period starting mid-month leaves that month to the period holding its
    first day, so consecutive periods never count a month twice.
    """
    row = Overhead.objects.filter(month__gte=ctx.start, month__lte=ctx.end).aggregate(
        total=Sum("amount", default=0),
        sales_marketing=Sum(
            "amount", filter=Q(category=Overhead.Category.SALES_MARKETING), default=0
        ),
        rows=Count("pk"),
    )
    return Overheads(**row)
