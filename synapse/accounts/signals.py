"""Keep the role groups in step with each employee's role; deactivate leavers' accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db.models.signals import post_save
from django.dispatch import receiver

from synapse.accounts.roles import ROLES
from synapse.accounts.services import leavers_deactivate
from timesheets.models import Employee


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
