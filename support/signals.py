"""Refresh the stored SLA outcome of many tickets when a policy or a holiday changes.

A ticket's own changes (desk, API, admin, import) refresh it through
``support.services.tickets_sla_refresh`` in the service that makes them: no signal.
A policy or holiday change, which can touch many tickets, goes to a Celery task once
the transaction commits (eager without a broker; kept in the outbox and sent later
when the broker is down, see ``synapse.outbox``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from support.models import SlaPolicy
from synapse.outbox.services import enqueue_or_keep
from timesheets.models import Holiday


@receiver(post_save, sender=SlaPolicy, dispatch_uid="support_policy_sla")
def policy_saved(sender: type, instance: SlaPolicy, raw: bool = False, **_: Any) -> None:
    """Refresh the tickets of the policy's priority after the transaction commits."""
    from support.tasks import tickets_sla_refresh_priority

    if not raw:
        priority = instance.priority
        transaction.on_commit(
            lambda: enqueue_or_keep(tickets_sla_refresh_priority, priority), robust=True
        )


@receiver(pre_save, sender=Holiday, dispatch_uid="support_holiday_moving_sla")
def holiday_moving(sender: type, instance: Holiday, raw: bool = False, **_: Any) -> None:
    """Remember the date an edited holiday had, so tickets around both dates refresh."""
    if raw or instance.pk is None:
        return
    instance._sla_previous_date = (
        Holiday.objects.filter(pk=instance.pk).values_list("date", flat=True).first()
    )


@receiver(post_save, sender=Holiday, dispatch_uid="support_holiday_saved_sla")
@receiver(post_delete, sender=Holiday, dispatch_uid="support_holiday_deleted_sla")
def holiday_changed(sender: type, instance: Holiday, raw: bool = False, **_: Any) -> None:
    """Refresh business-hours tickets whose clocks run across the holiday's date(s)."""
    from support.tasks import tickets_sla_refresh_holiday

    if raw:
        return
    days: set[dt.date] = {instance.date}
    previous = getattr(instance, "_sla_previous_date", None)
    if previous is not None:
        days.add(previous)
    for day in sorted(days):
        iso = day.isoformat()
        transaction.on_commit(
            lambda iso=iso: enqueue_or_keep(tickets_sla_refresh_holiday, iso), robust=True
        )
