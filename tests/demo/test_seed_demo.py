"""``seed_demo``: a deterministic, realistic demo firm, and the guards around it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.test import override_settings

from projects.models import Client, Contract, Project
from support.models import Ticket
from surveys.models import SurveyResponse
from tests.factories import ClientFactory
from timesheets.models import Employee, Leave, TimeEntry

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 18)
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args: str, debug: bool = True) -> str:
    """Run ``seed_demo`` over three months up to TODAY and return its output."""
    out = io.StringIO()
    with override_settings(DEBUG=debug, PASSWORD_HASHERS=FAST_HASHER):
        call_command("seed_demo", "--months", "3", "--today", TODAY.isoformat(), *args, stdout=out)
    return out.getvalue()


class _Rollback(Exception):
    pass


def fingerprint() -> dict:
    """Return counts and a few sampled values that two equal firms share."""
    entries = TimeEntry.objects.aggregate(
        n=Count("pk"), hours=Sum("hours"), cost=Sum("cost"), bill=Sum("bill_value")
    )
    tickets = Ticket.objects.aggregate(
        n=Count("pk"), first=Min("opened_at"), last=Max("opened_at"),
        met=Count("pk", filter=Q(sla_met=True)),
    )  # fmt: skip
    return {
        "entries": entries,
        "tickets": tickets,
        "employees": list(Employee.objects.order_by("user__username").values_list(
            "user__username", "role", "employed_from")),
        "fees": list(Contract.objects.order_by("code").values_list("code", "monthly_fee")),
        "projects": list(Project.objects.order_by("code").values_list(
            "code", "status", "budget", "revenue", "actual_end")),
        "scores": list(SurveyResponse.objects.order_by("response_id").values_list(
            "response_id", "score", "responded_at")),
        "leave": Leave.objects.aggregate(n=Count("pk"), hours=Sum("hours")),
    }  # fmt: skip


def run_and_forget(*args: str) -> dict:
    """Seed inside a savepoint, take the fingerprint, then roll the firm back."""
    result: dict = {}
    try:
        with transaction.atomic():
            seed(*args)
            result = fingerprint()
            raise _Rollback
    except _Rollback:
        pass
    return result


def test_the_same_seed_on_the_same_day_gives_the_same_firm():
    first = run_and_forget("--seed", "7")
    assert Client.objects.count() == 0  # the first firm was rolled back
    second = run_and_forget("--seed", "7")
    assert first["entries"]["n"] > 3000
    assert first["tickets"]["n"] > 100
    assert first == second


def test_another_seed_gives_another_firm():
    assert run_and_forget("--seed", "7")["entries"] != run_and_forget("--seed", "8")["entries"]


def test_if_empty_does_nothing_when_a_client_exists():
    ClientFactory(code="KEEP")
    output = seed("--if-empty")
    assert "nothing done" in output
    assert list(Client.objects.values_list("code", flat=True)) == ["KEEP"]
    assert Employee.objects.count() == 0


def test_without_if_empty_a_non_empty_database_is_refused():
    ClientFactory(code="KEEP")
    with pytest.raises(CommandError, match="already has clients"):
        seed()
    assert Client.objects.count() == 1


def test_refuses_to_run_when_debug_is_off():
    with pytest.raises(CommandError, match="DEBUG off"):
        seed(debug=False)
    assert Client.objects.count() == 0
    assert get_user_model().objects.count() == 0


def test_allow_production_generates_the_firm_without_demo_logins():
    output = seed("--allow-production", debug=False)
    assert "No demo logins" in output
    assert Client.objects.count() == 25
    users = get_user_model().objects.all()
    assert not users.filter(username__in=["admin", "exec", "manager", "staff"]).exists()
    assert not users.filter(is_superuser=True).exists()
    assert not any(user.has_usable_password() for user in users)


def test_snapshots_option_stores_the_history_and_if_empty_reprints_the_logins():
    output = seed("--snapshots")
    from synapse.kpis.models import KpiSnapshot
    from synapse.kpis.registry import kpis_all

    months = set(
        KpiSnapshot.objects.filter(grain="month", scope_kind="company", key="csat").values_list(
            "period_start", flat=True
        )
    )
    assert {dt.date(2025, 4, 1), dt.date(2025, 5, 1), dt.date(2025, 6, 1)} <= months
    company_keys = set(
        KpiSnapshot.objects.filter(
            grain="month", scope_kind="company", period_start=dt.date(2025, 5, 1)
        ).values_list("key", flat=True)
    )
    assert company_keys == {kpi.key for kpi in kpis_all()}
    assert "snapshots in" in output
    again = seed("--if-empty")
    assert "nothing done" in again and "exec     / demo" in again
