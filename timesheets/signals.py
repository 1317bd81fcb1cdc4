"""Keep derived time-entry costs in step with entries and rates changed anywhere (admin, API),
and the role groups in step with each employee's role; deactivate leavers' accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from support.models import Ticket
from synapse.accounts.roles import ROLES
from synapse.accounts.services import leavers_deactivate
from timesheets.models import Employee, Rate, TimeEntry
from timesheets.services import employee_entries_recost, time_entries_recost

#: The derived columns ``time_entries_recost`` writes (never written by a form or serializer).
COSTED_FIELDS = ("cost", "bill_value", "cost_contract")


@receiver([post_save, post_delete], sender=Rate, dispatch_uid="rate_changed_recost")
def rate_changed(sender: type[Rate], instance: Rate, raw: bool = False, **_: Any) -> None:
    """Recost the employee's entries once the rate change commits (skipped for fixtures)."""
    if raw:
        return
    employee_id = instance.employee_id
    transaction.on_commit(lambda: employee_entries_recost(employee_id=employee_id))


@receiver(post_save, sender=TimeEntry, dispatch_uid="time_entry_saved_recost")
def time_entry_saved(
    sender: type[TimeEntry], instance: TimeEntry, raw: bool = False, **_: Any
) -> None:
    """Cost the saved entry with the rates in force on its date (skipped for fixtures).

    ``time_entries_recost`` is an ``UPDATE``, which sends no signal, so this does not
    recurse. The instance is refreshed so that whoever saved it (an admin page, an API
    response) sees the stored cost, not the stale value it had before the save.
    """
    if raw:
        return
    time_entries_recost(TimeEntry.objects.filter(pk=instance.pk))
    instance.refresh_from_db(fields=COSTED_FIELDS)


@receiver(post_save, sender=Ticket, dispatch_uid="ticket_saved_reattribute_entries")
def ticket_saved(
    sender: type[Ticket],
    instance: Ticket,
    created: bool = False,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **_: Any,
) -> None:
    """Keep the cost contract of time logged against a ticket in step with its contract.

    An entry with no project and no contract of its own is attributed to its ticket's
    contract (data-exchange.md). When a ticket's contract changes (desk, API, admin),
    its entries still attributed to the old contract are recosted; the query matches
    nothing when the contract did not change. A new ticket has no entries yet, and a
    save of named fields without ``contract`` cannot have changed it.
    """
    named = update_fields is not None and not {"contract", "contract_id"} & set(update_fields)
    if raw or created or named:
        return
    stale = TimeEntry.objects.filter(
        ticket=instance, project__isnull=True, contract__isnull=True
    ).exclude(cost_contract_id=instance.contract_id)
    time_entries_recost(stale)


def employee_groups_sync(*, employee: Employee) -> None:
    """Put the employee's user in the group of their role and out of the other role groups."""
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLES}
    user = employee.user
    user.groups.remove(*[g for name, g in groups.items() if name != employee.role])
    user.groups.add(groups[employee.role])


@receiver(post_save, sender=Employee, dispatch_uid="employee_role_groups")
def employee_saved(sender: type[Employee], instance: Employee, raw: bool = False, **_: Any) -> None:
    if not raw:
        employee_groups_sync(employee=instance)
        leavers_deactivate(employees=Employee.objects.filter(pk=instance.pk))
