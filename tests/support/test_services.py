"""The SLA outcome of a ticket: ``ticket_sla_evaluate`` (pure) and ``tickets_sla_refresh``."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.test import override_settings

from support import services
from support.models import SlaPolicy, Ticket
from support.services import SlaOutcome, ticket_sla_evaluate, tickets_sla_refresh
from support.sla import SlaCalendar
from support.tasks import tickets_sla_refresh_open
from tests.factories import EmployeeFactory, HolidayFactory, TicketFactory, TicketPauseFactory

UTC = dt.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
ALWAYS = SlaCalendar.always()
BUSINESS = SlaCalendar.business(tz=UTC)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def evaluate(
    opened: str,
    *,
    response: str | None = None,
    resolved: str | None = None,
    pauses: tuple = (),
    now: str = "2025-06-01 00:00",
    respond: int = 60,
    resolve: int = 240,
    calendar: SlaCalendar = ALWAYS,
) -> SlaOutcome:
    return ticket_sla_evaluate(
        opened_at=utc(opened),
        first_response_at=utc(response) if response else None,
        resolved_at=utc(resolved) if resolved else None,
        pauses=[(utc(s), utc(e) if e else None) for s, e in pauses],
        respond_minutes=respond,
        resolve_minutes=resolve,
        calendar=calendar,
        now=utc(now),
    )


# --- ticket_sla_evaluate: pure -------------------------------------------------------


def test_p1_answered_and_resolved_in_time_is_met_and_decided_at_resolution():
    out = evaluate("2025-02-03 10:00", response="2025-02-03 10:30", resolved="2025-02-03 13:00")
    assert out == SlaOutcome(
        response_due_at=utc("2025-02-03 11:00"),
        resolution_due_at=utc("2025-02-03 14:00"),
        response_met=True,
        resolution_met=True,
        sla_decided_at=utc("2025-02-03 13:00"),
        sla_met=True,
    )


def test_late_response_breaches_even_when_resolved_in_time():
    out = evaluate("2025-02-03 10:00", response="2025-02-03 11:30", resolved="2025-02-03 13:00")
    assert (out.response_met, out.resolution_met, out.sla_met) == (False, True, False)
    assert out.sla_decided_at == utc("2025-02-03 13:00")


def test_pauses_do_not_stop_the_response_clock():
    out = evaluate(
        "2025-02-03 10:00",
        response="2025-02-03 11:30",
        resolved="2025-02-03 12:00",
        pauses=[("2025-02-03 10:05", "2025-02-03 11:25")],
    )
    assert out.response_due_at == utc("2025-02-03 11:00")
    assert out.response_met is False


def test_resolved_with_no_response_counts_the_resolution_as_the_response():
    quick = evaluate("2025-02-03 10:00", resolved="2025-02-03 10:50")
    assert (quick.response_met, quick.resolution_met, quick.sla_met) == (True, True, True)
    slow = evaluate("2025-02-03 10:00", resolved="2025-02-03 13:00")
    assert (slow.response_met, slow.resolution_met, slow.sla_met) == (False, True, False)


def test_resolved_late_is_decided_at_the_breach_moment():
    out = evaluate("2025-02-03 10:00", response="2025-02-03 10:10", resolved="2025-02-04 09:00")
    assert out.resolution_met is False
    assert out.sla_met is False
    assert out.sla_decided_at == utc("2025-02-03 14:00")


def test_paused_time_does_not_run_the_resolution_clock():
    out = evaluate(
        "2025-02-03 10:00",
        response="2025-02-03 10:10",
        resolved="2025-02-03 16:00",
        pauses=[("2025-02-03 11:00", "2025-02-03 14:00")],
    )
    assert out.resolution_due_at == utc("2025-02-03 17:00")
    assert (out.resolution_met, out.sla_met) == (True, True)
    assert out.sla_decided_at == utc("2025-02-03 16:00")


def test_ticket_paused_over_a_weekend_on_business_hours():
    # P2: 8 business hours. Opened Fri 15:00, waiting on customer Fri 16:00 → Mon 10:00.
    # The clock runs Fri 15–16 (1 h) and Mon 10–17 (7 h): due Mon 17:00, so a Mon 16:30
    # resolution is met; without the pause it would have been due Mon 15:00.
    kwargs = {"response": "2025-02-07 15:30", "resolved": "2025-02-10 16:30"}
    paused = evaluate(
        "2025-02-07 15:00",
        pauses=[("2025-02-07 16:00", "2025-02-10 10:00")],
        respond=240,
        resolve=480,
        calendar=BUSINESS,
        **kwargs,
    )
    assert paused.resolution_due_at == utc("2025-02-10 17:00")
    assert paused.sla_met is True
    unpaused = evaluate("2025-02-07 15:00", respond=240, resolve=480, calendar=BUSINESS, **kwargs)
    assert unpaused.resolution_due_at == utc("2025-02-10 15:00")
    assert unpaused.sla_met is False


def test_open_pause_on_a_resolved_ticket_runs_until_the_resolution():
    out = evaluate(
        "2025-02-03 10:00",
        response="2025-02-03 10:10",
        resolved="2025-02-03 20:00",
        pauses=[("2025-02-03 11:00", None)],
    )
    # Clock ran 10–11 only; the remaining 3 h would run from the resolution on.
    assert out.resolution_due_at == utc("2025-02-03 23:00")
    assert out.sla_met is True


def test_open_ticket_before_its_breach_is_pending_with_the_breach_moment_stored():
    out = evaluate("2025-02-03 10:00", response="2025-02-03 10:10", now="2025-02-03 12:00")
    assert out.sla_decided_at == utc("2025-02-03 14:00")
    assert (out.resolution_met, out.sla_met) == (None, None)
    assert out.response_met is True


def test_open_ticket_after_its_breach_is_breached_at_the_due_moment():
    out = evaluate("2025-02-03 10:00", now="2025-02-03 15:00")
    assert out.sla_decided_at == utc("2025-02-03 14:00")
    assert (out.response_met, out.resolution_met, out.sla_met) == (False, False, False)


def test_open_ticket_with_no_response_yet_before_its_response_due():
    out = evaluate("2025-02-03 10:00", now="2025-02-03 10:30")
    assert out.response_met is None


def test_open_ticket_paused_now_is_pending_with_no_due_moment():
    out = evaluate(
        "2025-02-03 10:00",
        response="2025-02-03 10:10",
        pauses=[("2025-02-03 11:00", None)],
        now="2025-02-10 00:00",
    )
    assert (out.resolution_due_at, out.sla_decided_at, out.sla_met) == (None, None, None)
    assert out.response_due_at == utc("2025-02-03 11:00")


def test_open_pause_that_starts_after_the_breach_does_not_undo_it():
    out = evaluate(
        "2025-02-03 10:00",
        response="2025-02-03 10:10",
        pauses=[("2025-02-03 15:00", None)],
        now="2025-02-10 00:00",
    )
    assert out.sla_decided_at == utc("2025-02-03 14:00")
    assert out.sla_met is False


def test_business_ticket_opened_outside_hours_starts_its_clocks_next_morning():
    out = evaluate(
        "2025-02-03 20:00",
        resolved="2025-02-04 12:00",
        respond=240,
        resolve=480,
        calendar=BUSINESS,
    )
    assert out.response_due_at == utc("2025-02-04 13:00")
    assert out.resolution_due_at == utc("2025-02-04 17:00")
    assert out.sla_met is True


# --- tickets_sla_refresh: stored on tickets --------------------------------------------


@pytest.mark.django_db
def test_refresh_stores_the_outcome_with_the_default_policies():
    ticket = TicketFactory(
        priority="P1",
        opened_at=utc("2025-02-03 10:00"),
        first_response_at=utc("2025-02-03 10:20"),
        resolved_at=utc("2025-02-03 13:00"),
    )
    TicketPauseFactory(
        ticket=ticket, paused_at=utc("2025-02-03 11:00"), resumed_at=utc("2025-02-03 12:00")
    )
    assert tickets_sla_refresh(Ticket.objects.all(), now=utc("2025-03-01 00:00")) == 1
    ticket.refresh_from_db()
    assert ticket.response_due_at == utc("2025-02-03 11:00")
    assert ticket.resolution_due_at == utc("2025-02-03 15:00")
    assert (ticket.response_met, ticket.resolution_met, ticket.sla_met) == (True, True, True)
    assert ticket.sla_decided_at == utc("2025-02-03 13:00")
    # Nothing changed: a second refresh writes nothing.
    assert tickets_sla_refresh(Ticket.objects.all(), now=utc("2025-03-01 00:00")) == 0


@pytest.mark.django_db
def test_refresh_skips_holidays_on_the_business_calendar():
    HolidayFactory(date=dt.date(2024, 12, 25))
    HolidayFactory(date=dt.date(2024, 12, 26))
    ticket = TicketFactory(priority="P2", opened_at=utc("2024-12-24 16:00"))
    tickets_sla_refresh(Ticket.objects.all(), now=utc("2024-12-24 16:30"))
    ticket.refresh_from_db()
    # P2: respond 4 h, resolve 8 h: 1 h on the 24th, then from 09:00 on the 27th.
    assert ticket.response_due_at == utc("2024-12-27 12:00")
    assert ticket.resolution_due_at == utc("2024-12-27 16:00")
    assert ticket.sla_decided_at == utc("2024-12-27 16:00")
    assert ticket.sla_met is None


@pytest.mark.django_db
@override_settings(TIME_ZONE="Europe/Berlin")
@pytest.mark.parametrize(
    ("opened", "due_utc"),
    [
        # Fri 16:00 CET + 8 business hours → Mon 16:00 CEST (after spring forward).
        (dt.datetime(2025, 3, 28, 16, 0, tzinfo=BERLIN), utc("2025-03-31 14:00")),
        # Fri 16:00 CEST + 8 business hours → Mon 16:00 CET (after fall back).
        (dt.datetime(2025, 10, 24, 16, 0, tzinfo=BERLIN), utc("2025-10-27 15:00")),
    ],
)
def test_refresh_reads_business_hours_in_firm_local_time_across_dst(opened, due_utc, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    ticket = TicketFactory(priority="P2", opened_at=opened)
    tickets_sla_refresh(Ticket.objects.all(), now=opened)
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == due_utc
    assert ticket.resolution_due_at.astimezone(BERLIN).hour == 16


@pytest.mark.django_db
def test_ticket_without_a_policy_gets_no_sla():
    SlaPolicy.objects.filter(priority="P4").delete()
    ticket = TicketFactory(priority="P4", resolved_at=utc("2025-02-03 11:00"))
    tickets_sla_refresh(Ticket.objects.all(), now=utc("2025-03-01 00:00"))
    ticket.refresh_from_db()
    assert (ticket.sla_decided_at, ticket.sla_met, ticket.response_due_at) == (None, None, None)


def _make_tickets(count: int) -> None:
    for i in range(count):
        ticket = TicketFactory(
            priority=("P1", "P2", "P3", "P4")[i % 4],
            opened_at=utc("2025-02-03 10:00"),
            resolved_at=utc("2025-02-04 10:00") if i % 2 else None,
        )
        TicketPauseFactory(ticket=ticket, paused_at=utc("2025-02-03 11:00"))


@pytest.mark.django_db
@pytest.mark.parametrize("count", [5, 50])
def test_refresh_query_count_does_not_grow_with_tickets(count, django_assert_num_queries):
    HolidayFactory(date=dt.date(2025, 2, 5))
    _make_tickets(count)
    # savepoint, holidays, policies, tickets (one chunk), their pauses, one bulk UPDATE,
    # release savepoint.
    with django_assert_num_queries(7):
        assert tickets_sla_refresh(Ticket.objects.all(), now=utc("2025-03-01 00:00")) == count


@pytest.mark.django_db
def test_periodic_task_flips_a_passed_breach_of_an_open_ticket():
    ticket = TicketFactory(priority="P1", opened_at=utc("2025-02-03 10:00"))
    tickets_sla_refresh(Ticket.objects.all(), now=utc("2025-02-03 10:30"))
    ticket.refresh_from_db()
    assert (ticket.sla_decided_at, ticket.sla_met) == (utc("2025-02-03 14:00"), None)
    assert tickets_sla_refresh_open.delay("2025-02-03T15:00:00+00:00").get() == 1
    ticket.refresh_from_db()
    assert (ticket.sla_decided_at, ticket.sla_met) == (utc("2025-02-03 14:00"), False)


# --- one refresh per change -------------------------------------------------------------


@pytest.fixture
def clock_runs(monkeypatch):
    """Count the SLA clock's evaluations (``ticket_sla_evaluate``)."""
    runs = []
    real = services.ticket_sla_evaluate

    def counted(**kwargs):
        runs.append(kwargs["opened_at"])
        return real(**kwargs)

    monkeypatch.setattr(services, "ticket_sla_evaluate", counted)
    return runs


@pytest.mark.django_db
def test_one_desk_edit_evaluates_the_sla_clock_exactly_once(
    clock_runs, django_capture_on_commit_callbacks
):
    agent = EmployeeFactory(role="staff")
    ticket = TicketFactory(priority="P1", opened_at=utc("2025-02-03 10:00"), assignee=agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(
            ticket=ticket,
            by=agent.user,
            version=ticket.version,
            client=ticket.client,
            priority="P1",
            subject="Mail server slow",
            now=utc("2025-02-03 10:30"),
        )
    assert clock_runs == [utc("2025-02-03 10:00")]
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == utc("2025-02-03 14:00")


@pytest.mark.django_db
def test_a_model_save_alone_does_not_refresh_the_sla(django_capture_on_commit_callbacks):
    """No signal: a ticket is refreshed by the service that changes it."""
    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory(priority="P1", opened_at=utc("2025-02-03 10:00"))
    ticket.refresh_from_db()
    assert ticket.resolution_due_at is None
    assert services.ticket_sla_refresh(ticket).resolution_due_at == utc("2025-02-03 14:00")


@pytest.mark.django_db
def test_editing_a_policy_refreshes_its_tickets(django_capture_on_commit_callbacks):
    ticket = TicketFactory(priority="P1", opened_at=utc("2025-02-03 10:00"))
    other = TicketFactory(priority="P2", opened_at=utc("2025-02-03 10:00"))
    policy = SlaPolicy.objects.get(priority="P1")
    with django_capture_on_commit_callbacks(execute=True):
        policy.resolve_minutes = 120
        policy.save()
    ticket.refresh_from_db()
    other.refresh_from_db()
    assert ticket.resolution_due_at == utc("2025-02-03 12:00")
    assert other.resolution_due_at is None


@pytest.mark.django_db
def test_holidays_refresh_tickets_whose_clock_runs_across_them(
    django_capture_on_commit_callbacks,
):
    running = TicketFactory(priority="P3", opened_at=utc("2025-02-03 10:00"))
    settled = TicketFactory(
        priority="P3", opened_at=utc("2025-01-06 10:00"), resolved_at=utc("2025-01-06 11:00")
    )
    tickets_sla_refresh(Ticket.objects.all())
    settled.refresh_from_db()
    settled_before = (settled.resolution_due_at, settled.sla_decided_at)
    with django_capture_on_commit_callbacks(execute=True):
        holiday = HolidayFactory(date=dt.date(2025, 2, 4))
    running.refresh_from_db()
    # P3: 24 business hours from Mon 10:00, Tuesday off → Fri 10:00.
    assert running.resolution_due_at == utc("2025-02-07 10:00")
    with django_capture_on_commit_callbacks(execute=True):
        holiday.date = dt.date(2025, 2, 10)
        holiday.save()
    running.refresh_from_db()
    assert running.resolution_due_at == utc("2025-02-06 10:00")
    with django_capture_on_commit_callbacks(execute=True):
        HolidayFactory(date=dt.date(2025, 2, 5)).delete()
    running.refresh_from_db()
    assert running.resolution_due_at == utc("2025-02-06 10:00")
    settled.refresh_from_db()
    assert (settled.resolution_due_at, settled.sla_decided_at) == settled_before
