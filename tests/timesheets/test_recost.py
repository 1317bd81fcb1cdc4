"""The import's Python costing (EntryCoster) gives exactly what time_entries_recost stores."""

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
from timesheets.services import EntryCoster, entry_amount_units, time_entries_recost

pytestmark = pytest.mark.django_db


def test_amount_rounds_half_up_to_the_cent():
    # 1.33 h × 33.33 = 44.3289 → 44.33; 1.33 h × 0.50 = 0.665 → 0.67
    assert entry_amount_units(hours=133, rate=3333) == 4433
    assert entry_amount_units(hours=133, rate=50) == 67


def test_entry_coster_equals_time_entries_recost():
    employee = EmployeeFactory(
        employed_from=dt.date(2025, 1, 6), rates=(Decimal("33.33"), Decimal("0.50"))
    )
    RateFactory(
        employee=employee,
        effective_from=dt.date(2025, 2, 10),
        cost_rate=Decimal("60.00"),
        bill_rate=Decimal("150.00"),
    )
    contract = ContractFactory()
    ticket = TicketFactory(contract=ContractFactory())
    cases = [
        # (date, hours, billable, project, contract, ticket)
        (dt.date(2025, 1, 1), "8", True, None, None, None),  # before the first rate: 0
        (dt.date(2025, 1, 6), "1.33", True, ProjectFactory(), contract, None),
        (dt.date(2025, 2, 9), "7.25", False, None, contract, ticket),
        (dt.date(2025, 2, 10), "7.5", True, None, None, ticket),
        (dt.date(2025, 3, 3), "0", True, None, None, None),
        (dt.date(2025, 3, 4), "24", True, None, None, None),
    ]
    entries = [
        TimeEntryFactory(
            employee=employee,
            date=day,
            hours=Decimal(hours),
            billable=billable,
            project=project,
            contract=on_contract,
            ticket=on_ticket,
        )
        for day, hours, billable, project, on_contract, on_ticket in cases
    ]
    coster = EntryCoster()
    computed = {}
    for entry in entries:
        cost, bill = coster.costs(
            employee_id=employee.pk,
            day=entry.date,
            hours=int(entry.hours * 100),
            billable=entry.billable,
        )
        contract_id = coster.cost_contract(
            project_id=entry.project_id,
            contract_id=entry.contract_id,
            ticket_contract_id=entry.ticket.contract_id if entry.ticket else None,
        )
        computed[entry.pk] = (Decimal(cost) / 100, Decimal(bill) / 100, contract_id)

    time_entries_recost(TimeEntry.objects.all())

    stored = {
        pk: (cost, bill, contract_id)
        for pk, cost, bill, contract_id in TimeEntry.objects.values_list(
            "pk", "cost", "bill_value", "cost_contract"
        )
    }
    assert computed == stored
    # A few by hand: before the first rate, 1.33 h at 33.33 / 0.50, the ticket's contract.
    first, rounded, on_contract, on_ticket = (stored[e.pk] for e in entries[:4])
    assert first == (Decimal("0.00"), Decimal("0.00"), None)
    assert rounded[:2] == (Decimal("44.33"), Decimal("0.67")) and rounded[2] is None
    assert on_contract == (Decimal("241.64"), Decimal("0.00"), contract.pk)
    assert on_ticket == (Decimal("450.00"), Decimal("1125.00"), ticket.contract_id)
