"""Keep derived time-entry costs in step with rate changes made anywhere (admin, API)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from timesheets.models import Rate
from timesheets.services import employee_entries_recost


@receiver([post_save, post_delete], sender=Rate, dispatch_uid="rate_changed_recost")
def rate_changed(sender: type[Rate], instance: Rate, raw: bool = False, **_: Any) -> None:
    """Recost the employee's entries once the rate change commits (skipped for fixtures)."""
    if raw:
        return
    employee_id = instance.employee_id
    transaction.on_commit(lambda: employee_entries_recost(employee_id=employee_id))
