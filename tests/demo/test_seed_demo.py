"""``seed_demo``: a deterministic, realistic demo firm, and the guards around it."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.test import override_settings

from projects.models import Client, Contract, Project
from support.models import Ticket
from surveys.models import SurveyInvitation, SurveyResponse
from synapse.demo.clock import BusinessClock, at_local
from synapse.kpis.engine import kpis_compute
from synapse.kpis.periods import Period
from synapse.kpis.registry import kpis_all
from tests.factories import ClientFactory
from timesheets.models import Employee, Holiday, Leave, TimeEntry

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


@pytest.fixture
def firm() -> str:
    """Seed the three-month demo firm (debug mode) and return the command's output."""
    return seed()


def test_demo_logins_are_printed_and_linked_to_employees_of_their_role(firm, settings):
    settings.PASSWORD_HASHERS = FAST_HASHER  # the hasher the seed ran with
    for username in ("admin", "exec", "manager", "staff"):
        assert f"{username:8} / demo" in firm
    user_model = get_user_model()
    admin = user_model.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("demo")
    roles = {"exec": "executive", "manager": "manager", "staff": "staff"}
    for username, role in roles.items():
        user = user_model.objects.get(username=username)
        assert user.check_password("demo")
        assert user.employee.role == role
    staff = Employee.objects.get(user__username="staff")
    assert staff.manager == Employee.objects.get(user__username="manager")
    assert Employee.objects.filter(manager__user__username="manager").count() >= 5


def test_every_employee_is_in_the_group_of_their_role(firm):
    counts = dict(Employee.objects.values_list("role").annotate(n=Count("pk")))
    assert counts == {"executive": 3, "manager": 5, "staff": 32}
    for employee in Employee.objects.select_related("user"):
        assert list(employee.user.groups.values_list("name", flat=True)) == [employee.role]


def test_the_records_are_consistent(firm):
    clock = BusinessClock(set(Holiday.objects.values_list("date", flat=True)))
    entries = TimeEntry.objects.select_related("employee")
    assert entries.filter(date__gte=TODAY).count() == 0
    for entry in entries.only("date", "employee__employed_from", "employee__employed_until"):
        assert clock.is_business_day(entry.date)
        assert entry.employee.employed_from <= entry.date
        assert entry.employee.employed_until is None or entry.date <= entry.employee.employed_until
    # Every entry was costed; no one logs more than a day and a bit.
    assert not entries.filter(hours__gt=0, cost=0).exists()
    per_day = entries.values("employee", "date").annotate(h=Sum("hours")).aggregate(m=Max("h"))
    assert per_day["m"] <= Decimal(10)
    assert not Ticket.objects.filter(opened_at__gte=at_local(TODAY)).exists()
    assert Ticket.objects.filter(sla_decided_at__isnull=False).count() > 100
    answered = SurveyInvitation.objects.filter(response__isnull=False)
    assert answered.count() == SurveyResponse.objects.count() > 20
    assert Contract.objects.filter(monthly_fee__gt=0).count() == Contract.objects.count()


def test_the_kpis_of_the_last_full_month_are_plausible(firm):
    """Compute every KPI registered so far for May 2025 (others are skipped)."""
    registered = {kpi.key for kpi in kpis_all()}
    plausible = {
        "billable_utilization": (60, 95),
        "timesheet_compliance": (85, 100),
        "csat": (50, 100),
        "nps": (-20, 100),
        "survey_response_rate": (15, 80),
        "sla_compliance": (85, 100),
        "first_contact_resolution": (50, 95),
        "escalation_rate": (0, 20),
        "mttr_hours_p1": (0.5, 6),
        "project_gross_margin": (15, 70),
        "rework_rate": (0, 12),
        "managed_services_gross_margin": (25, 65),
        "client_retention": (70, 100),
        "net_profit_margin": (-40, 60),
    }
    keys = sorted(registered & set(plausible))
    assert "csat" in keys
    values = kpis_compute(period=Period.month(2025, 5), as_of=at_local(TODAY), keys=keys)
    checked = 0
    for key in keys:
        value = values[key].value
        if value is None:
            continue
        low, high = plausible[key]
        assert low < value <= high, f"{key} = {value}"
        checked += 1
    assert checked >= min(len(keys), 3)
