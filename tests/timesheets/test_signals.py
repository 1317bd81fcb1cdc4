"""A time entry saved anywhere (admin, API, app) is costed at once by a post_save hook."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import (
    ContractFactory,
    EmployeeFactory,
    RateFactory,
    TicketFactory,
    TimeEntryFactory,
)
from timesheets.models import TimeEntry

pytestmark = pytest.mark.django_db


def test_a_new_entry_is_costed_when_saved():
    employee = EmployeeFactory(rates=(Decimal("50.00"), Decimal("140.00")))
    entry = TimeEntryFactory(employee=employee, hours=Decimal("7.5"), billable=True)
    # The instance itself carries the stored values, not the defaults it was built with.
    assert (entry.cost, entry.bill_value) == (Decimal("375.00"), Decimal("1050.00"))
    stored = TimeEntry.objects.get(pk=entry.pk)
    assert (stored.cost, stored.bill_value) == (Decimal("375.00"), Decimal("1050.00"))


def test_editing_an_entry_recosts_it():
    employee = EmployeeFactory(rates=(Decimal("50.00"), Decimal("140.00")))
    contract = ContractFactory()
    entry = TimeEntryFactory(employee=employee, hours=Decimal(2), billable=True)
    entry.hours = Decimal(3)
    entry.billable = False
    entry.contract = contract
    entry.save()
    stored = TimeEntry.objects.get(pk=entry.pk)
    assert (stored.cost, stored.bill_value, stored.cost_contract_id) == (
        Decimal("150.00"),
        Decimal("0.00"),
        contract.pk,
    )


def test_a_rate_change_mid_period_costs_each_entry_at_the_rate_of_its_date():
    employee = EmployeeFactory(rates=(Decimal("50.00"), Decimal("140.00")))
    RateFactory(
        employee=employee,
        effective_from=dt.date(2025, 2, 15),
        cost_rate=Decimal("60.00"),
        bill_rate=Decimal("150.00"),
    )
    before = TimeEntryFactory(employee=employee, date=dt.date(2025, 2, 14), hours=Decimal(8))
    on_the_day = TimeEntryFactory(employee=employee, date=dt.date(2025, 2, 15), hours=Decimal(8))
    after = TimeEntryFactory(employee=employee, date=dt.date(2025, 2, 17), hours=Decimal(4))
    costs = dict(TimeEntry.objects.values_list("pk", "cost"))
    values = dict(TimeEntry.objects.values_list("pk", "bill_value"))
    assert costs == {
        before.pk: Decimal("400.00"),
        on_the_day.pk: Decimal("480.00"),
        after.pk: Decimal("240.00"),
    }
    assert values == {
        before.pk: Decimal("1120.00"),
        on_the_day.pk: Decimal("1200.00"),
        after.pk: Decimal("600.00"),
    }


def test_an_entry_before_any_rate_costs_nothing():
    employee = EmployeeFactory(employed_from=dt.date(2025, 3, 1))
    entry = TimeEntryFactory(employee=employee, date=dt.date(2025, 2, 28), hours=Decimal(8))
    assert (entry.cost, entry.bill_value) == (Decimal("0.00"), Decimal("0.00"))


def test_changing_a_tickets_contract_moves_the_cost_of_time_logged_on_the_ticket():
    old, new = ContractFactory(), ContractFactory()
    ticket = TicketFactory(client=old.client, contract=old)
    new.client = old.client
    new.save()
    employee = EmployeeFactory(rates=(Decimal("50.00"), Decimal("140.00")))
    on_ticket = TimeEntryFactory(employee=employee, ticket=ticket, hours=Decimal(2))
    own_contract = TimeEntryFactory(employee=employee, ticket=ticket, contract=old)
    assert TimeEntry.objects.get(pk=on_ticket.pk).cost_contract_id == old.pk

    ticket.contract = new
    ticket.save()
    attributed = dict(TimeEntry.objects.values_list("pk", "cost_contract"))
    # The entry with its own contract keeps it; the cost is unchanged.
    assert attributed == {on_ticket.pk: new.pk, own_contract.pk: old.pk}
    assert TimeEntry.objects.get(pk=on_ticket.pk).cost == Decimal("100.00")

    ticket.contract = None
    ticket.save()
    assert TimeEntry.objects.get(pk=on_ticket.pk).cost_contract_id is None
