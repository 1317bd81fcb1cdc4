"""Write the demo firm: plan, bulk-write, then fill every derived column."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass

from django.db import transaction

from projects.models import Client, Project
from support.models import Ticket
from synapse.demo.generator import DemoFirm, DemoOptions
from synapse.demo.writer import DEMO_PASSWORD, demo_firm_write
from timesheets.models import TimeEntry
from timesheets.services import time_entries_recost


@dataclass(frozen=True)
class DemoSummary:
    """What ``demo_firm_seed`` wrote: counts per record kind and the demo logins."""

    counts: dict[str, int]
    logins: list[tuple[str, str, str]]  # (username, password, what it is)
    start: dt.date
    today: dt.date


def _optional_service(module: str, name: str):  # noqa: ANN202 - a service or None
    """Return ``module.name`` when that service exists in this build, else ``None``.

    The demo runs against every stage of the product; derived columns that a later
    service fills (e.g. project roll-ups) are skipped when the service is absent.
    """
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def demo_derived_refresh() -> list[str]:
    """Recompute every derived column of the demo records; return what was refreshed."""
    refreshed = ["time entry costs"]
    time_entries_recost(TimeEntry.objects.all())
    for module, name, queryset, label in (
        ("support.services", "tickets_sla_refresh", Ticket.objects.all(), "ticket SLA results"),
        ("projects.services", "projects_refresh_derived", Project.objects.all(), "project totals"),
    ):
        service = _optional_service(module, name)
        if service is not None:
            service(queryset)
            refreshed.append(label)
    return refreshed


def demo_firm_exists() -> bool:
    """Return whether the database already holds firm data (any client)."""
    return Client.objects.exists()


@transaction.atomic
def demo_firm_seed(
    *, seed: int, today: dt.date, months: int = 24, demo_users: bool = True
) -> DemoSummary:
    """Generate the demo firm for ``months`` months up to ``today`` and write it.

    Deterministic for a given ``seed`` and ``today``. ``demo_users`` creates the
    ``admin``/``exec``/``manager``/``staff`` logins with the password ``demo``; callers
    must only pass it in debug mode.
    """
    firm = DemoFirm(DemoOptions(seed=seed, today=today, months=months, demo_users=demo_users))
    firm.plan()
    demo_firm_write(firm)
    demo_derived_refresh()
    counts = {
        "employees": len(firm.people),
        "clients": len(firm.clients),
        "contracts": len(firm.contracts),
        "projects": len(firm.projects),
        "time entries": len(firm.entries),
        "tickets": len(firm.tickets),
        "survey invitations": len(firm.invitations),
        "survey responses": sum(1 for i in firm.invitations if i.score is not None),
    }
    logins: list[tuple[str, str, str]] = []
    if demo_users:
        logins.append(("admin", DEMO_PASSWORD, "superuser (Django admin)"))
        for username, person in firm.demo_logins.items():
            logins.append((username, DEMO_PASSWORD, f"{person.role}: {person.full_name}"))
    return DemoSummary(counts=counts, logins=logins, start=firm.start, today=today)
