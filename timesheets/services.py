"""Writes of time data: costing time entries with the rates in force."""

from __future__ import annotations

from django.db.models import (
    BigIntegerField,
    Case,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from support.models import Ticket
from timesheets.models import Rate, TimeEntry


def _rate_in_force(column: str) -> Coalesce:
    """Return the employee's ``column`` rate in force on the entry's date, as a subquery.

    Before the employee's first rate there is none in force: the rate is then 0, so that
    such an entry costs 0 instead of failing the ``NOT NULL`` cost column.
    """
    rate = Subquery(
        Rate.objects.filter(employee=OuterRef("employee"), effective_from__lte=OuterRef("date"))
        .order_by("-effective_from")
        .values(column)[:1]
    )
    return Coalesce(rate, Value(0), output_field=BigIntegerField())


def _hours_times(rate: Coalesce) -> ExpressionWrapper:
    """Return hours × rate rounded half-up to the cent, in integer cents.

    Hours are stored in hundredths and rates in cents, so their product is in
    1/10,000ths of the currency; + 50 then integer division by 100 rounds to cents
    identically on SQLite and PostgreSQL (both operands are non-negative integers).
    """
    return ExpressionWrapper(
        (F("hours") * rate + Value(50)) / Value(100), output_field=BigIntegerField()
    )


def time_entries_recost(entries: QuerySet[TimeEntry]) -> int:
    """Store ``cost``, ``bill_value`` and ``cost_contract`` on ``entries`` in one UPDATE.

    Labour cost = hours × cost rate in force on the entry's date; billable value =
    hours × bill rate in force when billable, else 0 (kpis.md "Derived quantities").
    Cost is attributed to the project if set, else to the contract if set, else to the
    ticket's contract, else it is internal overhead (data-exchange.md). An entry with
    no rate in force (before the first rate) costs 0. Return the number of entries.
    """
    ticket_contract = Subquery(Ticket.objects.filter(pk=OuterRef("ticket")).values("contract")[:1])
    return entries.update(
        cost=Case(When(hours__gt=0, then=_hours_times(_rate_in_force("cost_rate"))), default=0),
        bill_value=Case(
            When(billable=True, hours__gt=0, then=_hours_times(_rate_in_force("bill_rate"))),
            default=0,
        ),
        cost_contract=Case(
            When(project__isnull=False, then=Value(None)),
            When(contract__isnull=False, then=F("contract")),
            default=ticket_contract,
            output_field=BigIntegerField(),
        ),
    )


def employee_entries_recost(*, employee_id: int) -> int:
    """Recost every time entry of one employee (after a rate of theirs changed)."""
    return time_entries_recost(TimeEntry.objects.filter(employee_id=employee_id))
