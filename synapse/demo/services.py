"""Write the demo firm: plan, bulk-write, then fill every derived column."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from projects.models import Client, Project
from projects.services import projects_refresh_derived
from support.models import Ticket
from support.services import tickets_sla_refresh
from synapse.demo.clock import at_local
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


def demo_derived_refresh(*, now: dt.datetime) -> None:
    """Recompute every derived column the bulk writes skipped (costs, SLA, project windows)."""
    time_entries_recost(TimeEntry.objects.all())
    tickets_sla_refresh(Ticket.objects.all(), now=now)
    projects_refresh_derived(Project.objects.all())


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
    # Open tickets are judged as of now, or as of the end of ``today`` when it is past.
    demo_derived_refresh(now=min(timezone.now(), at_local(today + dt.timedelta(days=1))))
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


def demo_logins_present() -> list[tuple[str, str, str]]:
    """Return the demo logins that exist in the database (for printing on every ``make run``)."""
    from django.contrib.auth import get_user_model

    users = (
        get_user_model()
        .objects.filter(username__in=["admin", "exec", "manager", "staff"])
        .select_related("employee")
    )
    logins = []
    for user in sorted(
        users, key=lambda u: ["admin", "exec", "manager", "staff"].index(u.username)
    ):
        employee = getattr(user, "employee", None)
        what = f"{employee.role}: {employee.full_name}" if employee else "superuser (Django admin)"
        logins.append((user.username, DEMO_PASSWORD, what))
    return logins
