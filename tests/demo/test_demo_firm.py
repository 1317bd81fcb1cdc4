"""The generated demo firm: logins, groups, consistent records and plausible KPIs.

One three-month firm is seeded for the whole module (in a transaction rolled back at
the end), since seeding is the slow part.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max, Sum

from projects.models import Contract
from support.models import Ticket
from surveys.models import SurveyInvitation, SurveyResponse
from synapse.demo.clock import BusinessClock, at_local
from synapse.kpis.engine import kpis_compute
from synapse.kpis.periods import Period
from synapse.kpis.registry import kpis_all
from tests.demo.test_seed_demo import FAST_HASHER, TODAY, seed
from timesheets.models import Employee, Holiday, TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def firm(django_db_setup, django_db_blocker) -> Iterator[str]:
    """Seed the three-month demo firm once (debug mode); return the command's output."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


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
    assert entries.filter(date__gt=TODAY).count() == 0
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
