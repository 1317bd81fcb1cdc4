"""Support KPIs (kpis.md "Support"): worked examples, edge cases and query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from projects.models import Project
from support.kpis import (
    escalation_rate,
    first_contact_resolution,
    mttr_hours,
    post_integration_ticket_ratio,
    sla_compliance,
)
from support.models import Ticket
from support.selectors import resolved_ticket_totals, sla_decided_totals
from support.services import tickets_sla_refresh
from synapse.kpis.engine import KpiContext, kpis_compute
from synapse.kpis.periods import COMPANY, SCOPE_KINDS, Period, Scope
from synapse.kpis.registry import kpi_get
from tests.factories import ClientFactory, EmployeeFactory, ProjectFactory, TicketFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
FEB = Period.month(2025, 2)
MAR = Period.month(2025, 3)
AFTER = dt.datetime(2025, 6, 1, tzinfo=UTC)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def value(key: str, period: Period = FEB, scope: Scope = COMPANY, as_of: dt.datetime = AFTER):
    return kpis_compute(period=period, scope=scope, as_of=as_of, keys=[key])[key]


def refresh(now: dt.datetime = AFTER) -> None:
    tickets_sla_refresh(Ticket.objects.all(), now=now)


# --- formulas ---------------------------------------------------------------------------


def test_formulas_worked_examples():
    assert mttr_hours(total_hours=Decimal(12), resolved=3).value == Decimal(4)
    assert sla_compliance(met=97, decided=100).value == Decimal(97)
    assert post_integration_ticket_ratio(tickets=50, users=1000, projects=1).value == Decimal(5)
    assert first_contact_resolution(fcr=37, resolved=50).value == Decimal(74)
    assert escalation_rate(escalated=1, resolved=10).value == Decimal(10)


def test_formulas_without_data_are_null_not_zero():
    assert mttr_hours(total_hours=Decimal(0), resolved=0).value is None
    assert sla_compliance(met=0, decided=0).value is None
    zero_users = post_integration_ticket_ratio(tickets=3, users=0, projects=2)
    assert (zero_users.value, zero_users.reason) == (None, "no users")


# --- MTTR -------------------------------------------------------------------------------


def test_mttr_worked_example_2_3_7_hours_is_4():
    for hours in (2, 3, 7):
        opened = utc("2025-02-10 08:00")
        TicketFactory(
            priority="P3", opened_at=opened, resolved_at=opened + dt.timedelta(hours=hours)
        )
    mttr = value("mttr_hours")
    assert mttr.value == Decimal(4)
    assert (mttr.result.numerator, mttr.result.denominator, mttr.result.sample_size) == (
        Decimal(12),
        Decimal(3),
        3,
    )
    assert mttr.band is None
    assert value("mttr_hours_p3").value == Decimal(4)
    assert value("mttr_hours_p1").value is None


def test_mttr_counts_wall_clock_pauses_included_per_priority_and_assignee():
    alice = EmployeeFactory(user__username="alice")
    bob = EmployeeFactory(user__username="bob")
    client = ClientFactory(code="ACME")
    opened = utc("2025-02-07 16:00")  # a Friday: the weekend counts on the wall clock
    TicketFactory(
        priority="P2",
        opened_at=opened,
        resolved_at=opened + dt.timedelta(hours=72),
        assignee=alice,
        client=client,
    )
    TicketFactory(
        priority="P1",
        opened_at=opened,
        resolved_at=opened + dt.timedelta(hours=3),
        assignee=bob,
        client=client,
    )
    TicketFactory(
        priority="P1",
        opened_at=opened,
        resolved_at=opened + dt.timedelta(hours=5, minutes=30),
        assignee=bob,
    )
    assert value("mttr_hours_p1").value == Decimal("4.25")
    assert value("mttr_hours_p1").status == "above"
    assert value("mttr_hours_p2").value == Decimal(72)
    assert value("mttr_hours", scope=Scope("employee", "bob")).value == Decimal("4.25")
    assert value("mttr_hours", scope=Scope("employee", "alice")).value == Decimal(72)
    assert value("mttr_hours", scope=Scope("client", "ACME")).value == Decimal("37.5")
    assert value("mttr_hours").value == Decimal("80.5") / 3


def test_resolved_totals_sum_per_scope_and_priority_the_company_over_all_clients():
    acme = ClientFactory(code="ACME")
    beta = ClientFactory(code="BETA")
    alice = EmployeeFactory(user__username="alice")
    opened = utc("2025-02-10 08:00")
    for client, assignee, priority, hours, fcr in (
        (acme, alice, "P1", 2, True),
        (acme, alice, "P3", 10, False),
        (acme, None, "P3", 4, True),  # unassigned: the company and ACME, no employee
        (beta, alice, "P1", 1, False),
    ):
        TicketFactory(
            client=client,
            assignee=assignee,
            priority=priority,
            opened_at=opened,
            resolved_at=opened + dt.timedelta(hours=hours),
            first_contact_resolved=fcr,
            escalated=priority == "P1",
        )
    TicketFactory(client=beta, opened_at=opened)  # open: not resolved
    ctx = KpiContext(period=FEB, as_of=AFTER, kinds=frozenset(SCOPE_KINDS))
    totals = resolved_ticket_totals(ctx)
    assert set(totals) == {
        ("company", ""),
        ("client", "ACME"),
        ("client", "BETA"),
        ("employee", "alice"),
    }
    h = dt.timedelta(hours=1)
    zero = dt.timedelta(0)
    assert totals[("company", "")] == {
        "resolved": 4, "fcr": 2, "escalated": 2, "duration": 17 * h,
        "resolved_P1": 2, "duration_P1": 3 * h, "resolved_P2": 0, "duration_P2": zero,
        "resolved_P3": 2, "duration_P3": 14 * h, "resolved_P4": 0, "duration_P4": zero,
    }  # fmt: skip
    acme_totals = totals[("client", "ACME")]
    assert (acme_totals["resolved"], acme_totals["fcr"], acme_totals["duration"]) == (3, 2, 16 * h)
    assert (acme_totals["resolved_P3"], acme_totals["duration_P3"]) == (2, 14 * h)
    alice_totals = totals[("employee", "alice")]
    assert (alice_totals["resolved"], alice_totals["escalated"]) == (3, 2)
    assert (alice_totals["resolved_P1"], alice_totals["duration_P1"]) == (2, 3 * h)
    # One scope only (a dashboard's client page): that client's row, no other.
    one = KpiContext(
        period=FEB, as_of=AFTER, kinds=frozenset({"client"}), only=Scope("client", "BETA")
    )
    assert list(resolved_ticket_totals(one)) == [("client", "BETA")]
    assert resolved_ticket_totals(one)[("client", "BETA")]["duration_P1"] == h


def test_decided_totals_with_no_ticket_decided_still_give_the_company_row():
    ctx = KpiContext(period=FEB, as_of=AFTER, kinds=frozenset(SCOPE_KINDS))
    assert sla_decided_totals(ctx) == {("company", ""): {"decided": 0, "met": 0}}


def test_mttr_uses_the_last_resolution_and_only_tickets_resolved_in_period():
    TicketFactory(
        opened_at=utc("2025-01-20 10:00"), resolved_at=utc("2025-02-01 10:00"), reopened_count=1
    )
    TicketFactory(opened_at=utc("2025-02-20 10:00"), resolved_at=utc("2025-03-01 00:00"))
    TicketFactory(opened_at=utc("2025-02-20 10:00"))
    mttr = value("mttr_hours")
    assert (mttr.value, mttr.result.sample_size) == (Decimal(12 * 24), 1)


def test_mttr_of_a_running_period_counts_up_to_the_report_time():
    TicketFactory(opened_at=utc("2025-02-10 10:00"), resolved_at=utc("2025-02-10 12:00"))
    TicketFactory(opened_at=utc("2025-02-10 10:00"), resolved_at=utc("2025-02-12 10:00"))
    assert value("mttr_hours", as_of=utc("2025-02-11 00:00")).value == Decimal(2)


# --- SLA compliance --------------------------------------------------------------------


def test_sla_compliance_worked_example_97_of_100():
    opened = utc("2025-02-10 08:00")
    for i in range(100):
        late = i < 3
        TicketFactory(
            priority="P1",
            opened_at=opened,
            first_response_at=opened + dt.timedelta(minutes=20),
            resolved_at=opened + dt.timedelta(hours=5 if late else 2),
        )
    refresh()
    sla = value("sla_compliance")
    assert sla.value == Decimal(97)
    assert (sla.result.numerator, sla.result.denominator, sla.result.sample_size) == (
        Decimal(97),
        Decimal(100),
        100,
    )
    assert sla.status == "below"


def test_ticket_decided_in_an_earlier_period_does_not_count_again_when_resolved_later():
    # P1 opened 31 Jan 10:00, due 14:00 the same day, resolved in February.
    TicketFactory(
        priority="P1", opened_at=utc("2025-01-31 10:00"), resolved_at=utc("2025-02-03 09:00")
    )
    refresh()
    jan = value("sla_compliance", period=Period.month(2025, 1))
    assert (jan.value, jan.result.denominator) == (Decimal(0), Decimal(1))
    assert value("sla_compliance").value is None
    # It still counts for MTTR in the month it was resolved.
    assert value("mttr_hours").result.sample_size == 1


def test_open_breached_ticket_counts_in_the_period_of_its_breach():
    # P4: 80 business hours (10 days of 8 h) from Thu 20 Feb 09:00 → breach Wed 5 Mar 17:00.
    TicketFactory(priority="P4", opened_at=utc("2025-02-20 09:00"))
    refresh(now=utc("2025-02-21 00:00"))  # evaluated before the breach: met not yet known
    ticket = Ticket.objects.get()
    assert ticket.sla_decided_at == utc("2025-03-05 17:00")
    assert ticket.sla_met is None
    # No re-evaluation needed: the stored breach moment is reached by the report time.
    mar = value("sla_compliance", period=MAR, as_of=utc("2025-03-20 00:00"))
    assert (mar.value, mar.result.denominator) == (Decimal(0), Decimal(1))
    assert value("sla_compliance", as_of=utc("2025-03-20 00:00")).value is None


def test_open_ticket_not_yet_breached_is_pending():
    TicketFactory(priority="P4", opened_at=utc("2025-02-20 09:00"))
    refresh(now=utc("2025-03-03 00:00"))
    # Breach moment 5 Mar 17:00: a March report run at noon that day does not count it...
    assert value("sla_compliance", period=MAR, as_of=utc("2025-03-05 12:00")).value is None
    # ...and February never counts it.
    assert value("sla_compliance", as_of=utc("2025-03-05 12:00")).value is None
    # Once the moment has passed, March counts it as breached.
    after = value("sla_compliance", period=MAR, as_of=utc("2025-03-05 17:01"))
    assert (after.value, after.result.denominator) == (Decimal(0), Decimal(1))


def test_paused_open_ticket_is_pending_and_not_counted():
    ticket = TicketFactory(priority="P1", opened_at=utc("2025-02-10 10:00"))
    ticket.pauses.create(paused_at=utc("2025-02-10 11:00"))
    refresh()
    assert value("sla_compliance").value is None


def test_ticket_resolved_with_no_first_response_uses_its_resolution_as_response():
    client = ClientFactory(code="ACME")
    # P1 respond 1 h: resolved after 50 min is met; after 2 h the response is late.
    TicketFactory(
        client=client,
        priority="P1",
        opened_at=utc("2025-02-10 10:00"),
        resolved_at=utc("2025-02-10 10:50"),
    )
    TicketFactory(
        client=client,
        priority="P1",
        opened_at=utc("2025-02-10 10:00"),
        resolved_at=utc("2025-02-10 12:00"),
    )
    refresh()
    sla = value("sla_compliance", scope=Scope("client", "ACME"))
    assert (sla.value, sla.result.numerator, sla.result.denominator) == (
        Decimal(50),
        Decimal(1),
        Decimal(2),
    )


def test_business_hours_ticket_opened_outside_hours_is_measured_from_next_morning():
    # P2 (respond 4 h, resolve 8 h business): opened Fri 20:00, resolved Mon 16:00 → met.
    TicketFactory(
        priority="P2",
        opened_at=utc("2025-02-07 20:00"),
        first_response_at=utc("2025-02-10 12:30"),
        resolved_at=utc("2025-02-10 16:00"),
    )
    refresh()
    assert value("sla_compliance").value == Decimal(100)


def test_sla_compliance_in_a_non_utc_firm_time_zone_uses_local_period_bounds(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    # Resolved 31 Mar 23:30 Berlin (21:30 UTC): a March ticket in Berlin time.
    TicketFactory(
        priority="P1", opened_at=utc("2025-03-31 20:00"), resolved_at=utc("2025-03-31 21:30")
    )
    refresh()
    assert value("sla_compliance", period=MAR).result.denominator == Decimal(1)
    assert value("sla_compliance", period=Period.month(2025, 4)).value is None


# --- FCR and escalation ---------------------------------------------------------------


def test_first_contact_resolution_and_escalation_rate_by_scope():
    acme = ClientFactory(code="ACME")
    alice = EmployeeFactory(user__username="alice")
    resolved = {"opened_at": utc("2025-02-10 10:00"), "resolved_at": utc("2025-02-10 12:00")}
    for i in range(4):
        TicketFactory(
            client=acme, assignee=alice, first_contact_resolved=i < 3, escalated=i == 0, **resolved
        )
    TicketFactory(first_contact_resolved=False, escalated=True, **resolved)
    TicketFactory(opened_at=utc("2025-02-10 10:00"), first_contact_resolved=True)  # open
    assert value("first_contact_resolution").value == Decimal(60)
    assert value("first_contact_resolution", scope=Scope("client", "ACME")).value == Decimal(75)
    assert value("first_contact_resolution", scope=Scope("employee", "alice")).value == Decimal(75)
    assert value("escalation_rate").value == Decimal(40)
    escalation = value("escalation_rate", scope=Scope("client", "ACME"))
    assert (escalation.value, escalation.status) == (Decimal(25), "above")


# --- post-integration ticket ratio -----------------------------------------------------


def _completed_project(code: str, actual_end: dt.date, users: int, **kwargs) -> Project:
    return ProjectFactory(
        code=code,
        actual_start=actual_end - dt.timedelta(days=60),
        actual_end=actual_end,
        status=Project.Status.COMPLETED,
        user_count=users,
        **kwargs,
    )


def test_post_integration_worked_example_50_tickets_1000_users():
    project = _completed_project("PRJ-A", dt.date(2025, 1, 15), 1000)  # window ends 14 Feb
    for i in range(50):
        TicketFactory(
            project=project,
            client=project.client,
            opened_at=utc("2025-01-16 08:00") + dt.timedelta(hours=13 * i),
        )
    ratio = value("post_integration_ticket_ratio")
    assert ratio.value == Decimal(5)
    assert (ratio.result.numerator, ratio.result.denominator) == (Decimal(50), Decimal(1000))
    assert value("post_integration_ticket_ratio", scope=Scope("project", "PRJ-A")).value == 5


def test_post_integration_window_bounds():
    project = _completed_project("PRJ-A", dt.date(2025, 1, 15), 100)
    for opened in (
        "2025-01-15 23:59",  # on actual_end: before the window
        "2025-01-16 00:00",  # first day
        "2025-02-14 23:59",  # day 30: last day
        "2025-02-15 00:00",  # day 31: after
    ):
        TicketFactory(project=project, client=project.client, opened_at=utc(opened))
    TicketFactory(opened_at=utc("2025-01-20 10:00"))  # not linked to the project
    assert value("post_integration_ticket_ratio").result.numerator == Decimal(2)
    # The window ends in February, so January has no such project.
    assert value("post_integration_ticket_ratio", period=Period.month(2025, 1)).value is None


def test_post_integration_uses_local_dates_in_the_firm_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    project = _completed_project("PRJ-A", dt.date(2025, 1, 15), 100)
    # 16 Jan 03:00 UTC is still 15 Jan in New York: on actual_end, outside the window.
    TicketFactory(project=project, client=project.client, opened_at=utc("2025-01-16 03:00"))
    TicketFactory(project=project, client=project.client, opened_at=utc("2025-01-16 06:00"))
    assert value("post_integration_ticket_ratio").result.numerator == Decimal(1)


def test_post_integration_only_completed_projects_by_client():
    acme = ClientFactory(code="ACME")
    done = _completed_project("PRJ-A", dt.date(2025, 1, 20), 200, client=acme)
    other = _completed_project("PRJ-B", dt.date(2025, 1, 25), 300)
    cancelled = _completed_project("PRJ-C", dt.date(2025, 1, 20), 100, client=acme)
    Project.objects.filter(pk=cancelled.pk).update(status=Project.Status.CANCELLED)
    for project, n in ((done, 4), (other, 3), (cancelled, 5)):
        for _ in range(n):
            TicketFactory(project=project, client=project.client, opened_at=utc("2025-02-01 10:00"))
    assert value("post_integration_ticket_ratio").value == Decimal(7) / 500 * 100
    acme_ratio = value("post_integration_ticket_ratio", scope=Scope("client", "ACME"))
    assert acme_ratio.value == Decimal(2)
    assert acme_ratio.status == "within"


def test_post_integration_window_not_yet_ended_is_not_counted():
    project = _completed_project("PRJ-A", dt.date(2025, 2, 1), 100)  # window ends 3 Mar
    TicketFactory(project=project, client=project.client, opened_at=utc("2025-02-05 10:00"))
    assert (
        value("post_integration_ticket_ratio", period=MAR, as_of=utc("2025-03-02 12:00")).value
        is None
    )
    assert value("post_integration_ticket_ratio", period=MAR).value == Decimal(1)


# --- query counts ------------------------------------------------------------------------


def _firm(clients: int) -> None:
    for i in range(clients):
        client = ClientFactory(code=f"Q{i:03d}")
        employee = EmployeeFactory(user__username=f"agent{i}")
        project = _completed_project(f"QP{i:03d}", dt.date(2025, 1, 20), 10, client=client)
        for priority in ("P1", "P3", "P4"):
            TicketFactory(
                client=client,
                project=project,
                assignee=employee,
                priority=priority,
                opened_at=utc("2025-02-03 10:00"),
                resolved_at=utc("2025-02-03 12:00"),
            )
    refresh()


SUPPORT_KPIS = [
    "mttr_hours",
    "mttr_hours_p1",
    "mttr_hours_p4",
    "sla_compliance",
    "first_contact_resolution",
    "escalation_rate",
    "post_integration_ticket_ratio",
]
# Resolved tickets (MTTR, FCR, escalations): grouped per (client id, priority), the
# client codes, grouped per (assignee id, priority), the usernames; the company is the
# sum of the clients. Decided tickets: grouped per client id, the client codes.
# Post-integration: the projects with their count of tickets in the window.
EXPECTED_QUERIES = {
    "mttr_hours": 4,
    "mttr_hours_p1": 4,
    "mttr_hours_p4": 4,
    "sla_compliance": 2,
    "first_contact_resolution": 4,
    "escalation_rate": 4,
    "post_integration_ticket_ratio": 1,
}


@pytest.mark.parametrize("clients", [5, 50])
@pytest.mark.parametrize("key", SUPPORT_KPIS)
def test_support_kpi_query_count_does_not_grow_with_clients(
    key, clients, django_assert_num_queries
):
    _firm(clients)
    kpi = kpi_get(key)
    ctx = KpiContext(period=FEB, as_of=AFTER, kinds=frozenset(SCOPE_KINDS))
    with django_assert_num_queries(EXPECTED_QUERIES[key]):
        results = kpi.compute(ctx)
    assert len([s for s in results if s.kind == "client"]) == clients
    assert COMPANY in results
