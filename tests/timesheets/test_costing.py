"""Time entries are costed with the rate in force on their date, exactly to the cent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import (
    ContractFactory,
    EmployeeFactory,
    ProjectFactory,
    RateFactory,
    TicketFactory,
    TimeEntryFactory,
)
from timesheets.models import TimeEntry
from timesheets.services import time_entries_recost

pytestmark = pytest.mark.django_db


def test_entry_is_costed_with_the_rate_in_force_on_its_date():
    employee = EmployeeFactory(rates=(Decimal("50.00"), Decimal("140.00")))
    RateFactory(
        employee=employee,
        effective_from=dt.date(2025, 2, 10),
        cost_rate=Decimal("60.00"),
        bill_rate=Decimal("150.00"),
    )
    before = TimeEntryFactory(employee=employee, date=dt.date(2025, 2, 7), hours=Decimal("7.5"))
    after = TimeEntryFactory(
        employee=employee, date=dt.date(2025, 2, 10), hours=Decimal("7.5"), billable=False
    )

    assert time_entries_recost(TimeEntry.objects.all()) == 2

    before.refresh_from_db()
    after.refresh_from_db()
    assert (before.cost, before.bill_value) == (Decimal("375.00"), Decimal("1050.00"))
    assert (after.cost, after.bill_value) == (Decimal("450.00"), Decimal("0.00"))


def test_cost_rounds_half_up_to_the_cent():
    employee = EmployeeFactory(rates=(Decimal("33.33"), Decimal("0.50")))
    entry = TimeEntryFactory(employee=employee, hours=Decimal("1.33"), billable=True)
    time_entries_recost(TimeEntry.objects.filter(pk=entry.pk))
    entry.refresh_from_db()
    # 1.33 × 33.33 = 44.3289 → 44.33; 1.33 × 0.50 = 0.665 → 0.67
    assert (entry.cost, entry.bill_value) == (Decimal("44.33"), Decimal("0.67"))


def test_cost_is_attributed_to_project_then_contract_then_ticket_contract():
    contract = ContractFactory()
    ticket_contract = ContractFactory()
    on_project = TimeEntryFactory(project=ProjectFactory(), contract=contract)
    on_contract = TimeEntryFactory(contract=contract)
    on_ticket = TimeEntryFactory(ticket=TicketFactory(contract=ticket_contract))
    internal = TimeEntryFactory()
    time_entries_recost(TimeEntry.objects.all())
    attributed = dict(TimeEntry.objects.values_list("pk", "cost_contract"))
    assert attributed == {
        on_project.pk: None,
        on_contract.pk: contract.pk,
        on_ticket.pk: ticket_contract.pk,
        internal.pk: None,
    }


def test_a_rate_added_later_recosts_the_entries_it_covers(django_capture_on_commit_callbacks):
    employee = EmployeeFactory(rates=(Decimal("50.00"), Decimal("140.00")))
    entry = TimeEntryFactory(employee=employee, date=dt.date(2025, 3, 3), hours=Decimal(2))
    time_entries_recost(TimeEntry.objects.all())
    with django_capture_on_commit_callbacks(execute=True):
        RateFactory(
            employee=employee,
            effective_from=dt.date(2025, 3, 1),
            cost_rate=Decimal("70.00"),
            bill_rate=Decimal("200.00"),
        )
    entry.refresh_from_db()
    assert (entry.cost, entry.bill_value) == (Decimal("140.00"), Decimal("400.00"))
