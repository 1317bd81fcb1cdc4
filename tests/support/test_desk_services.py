"""The ticket desk's services: status rules, first response, pauses, reopen, versions, warning."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db.models import F

from support.models import Ticket, TicketComment, TicketEvent, TicketPause
from support.services import (
    TicketConflict,
    TicketError,
    ticket_assign,
    ticket_comment_add,
    ticket_create,
    ticket_escalate,
    ticket_transition,
    ticket_update,
    tickets_sla_warn,
)
from support.tasks import tickets_sla_warn as tickets_sla_warn_task
from tests.factories import (
    ClientFactory,
    ContractFactory,
    EmployeeFactory,
    ProjectFactory,
    TicketFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def agent():
    return EmployeeFactory(role="staff", full_name="Sam Staff", email="sam@firm.example")


@pytest.fixture
def ticket(agent):
    """A P1 ticket (24×7: respond 1 h, resolve 4 h) opened Mon 3 Feb 2025 10:00 UTC."""
    return ticket_create(
        by=agent.user,
        client=ClientFactory(code="ACME"),
        priority="P1",
        subject="Mail server down",
        assignee=agent,
        now=utc("2025-02-03 10:00"),
    )


def move(ticket: Ticket, by, to: str, at: str, **kwargs) -> Ticket:
    ticket.refresh_from_db()
    return ticket_transition(
        ticket=ticket, by=by, version=ticket.version, to_status=to, now=utc(at), **kwargs
    )


def statuses(ticket: Ticket) -> list[tuple[str, str]]:
    """Return the ticket's status changes (not its assignment or escalation notes)."""
    events = TicketEvent.objects.filter(ticket=ticket).exclude(from_status=F("to_status"))
    return [(e.from_status, e.to_status) for e in events.order_by("at", "pk")]


# --- create and edit --------------------------------------------------------------------


def test_create_opens_a_new_ticket_with_its_ref_event_and_sla_due_times(ticket, agent):
    assert ticket.ref == f"TCK-{ticket.pk:06d}"
    assert ticket.status == "new"
    assert ticket.opened_at == utc("2025-02-03 10:00")
    assert ticket.assignee == agent
    assert ticket.response_due_at == utc("2025-02-03 11:00")
    assert ticket.resolution_due_at == utc("2025-02-03 14:00")
    assert statuses(ticket) == [("", "new")]


def test_create_refuses_a_contract_of_another_client_and_creates_nothing(agent):
    acme, other = ClientFactory(code="ACME"), ClientFactory(code="OTHER")
    contract = ContractFactory(client=other, code="MS-OTHER")
    with pytest.raises(TicketError, match="Contract MS-OTHER belongs to another client"):
        ticket_create(by=agent.user, client=acme, priority="P3", subject="x", contract=contract)
    assert Ticket.objects.count() == 0


def test_create_refuses_a_project_of_another_client(agent):
    acme = ClientFactory(code="ACME")
    project = ProjectFactory(code="PRJ-X", client=ClientFactory())
    with pytest.raises(TicketError, match="Project PRJ-X belongs to another client"):
        ticket_create(by=agent.user, client=acme, priority="P3", subject="x", project=project)


def test_executives_cannot_open_tickets():
    boss = EmployeeFactory(role="executive")
    with pytest.raises(PermissionDenied):
        ticket_create(by=boss.user, client=ClientFactory(), priority="P3", subject="x")


def test_update_changes_priority_and_moves_the_due_times(ticket, agent):
    contract = ContractFactory(client=ticket.client)
    updated = ticket_update(
        ticket=ticket,
        by=agent.user,
        version=ticket.version,
        client=ticket.client,
        contract=contract,
        priority="P2",  # business hours: respond 4 h, resolve 8 h; Mon 10:00 opening
        subject="Mail server slow",
        now=utc("2025-02-03 10:30"),
    )
    assert (updated.subject, updated.contract, updated.version) == (
        "Mail server slow",
        contract,
        ticket.version + 1,
    )
    assert updated.response_due_at == utc("2025-02-03 14:00")
    assert updated.resolution_due_at == utc("2025-02-04 10:00")


# --- concurrency ------------------------------------------------------------------------


def test_a_save_based_on_an_old_version_is_refused_and_changes_nothing(ticket, agent):
    mine = Ticket.objects.get(pk=ticket.pk)
    theirs = Ticket.objects.get(pk=ticket.pk)
    base = {"client": ticket.client, "priority": "P1", "now": utc("2025-02-03 10:10")}
    ticket_update(ticket=theirs, by=agent.user, version=theirs.version, subject="Theirs", **base)
    events = TicketEvent.objects.count()
    with pytest.raises(TicketConflict, match="changed by someone else"):
        ticket_update(ticket=mine, by=agent.user, version=mine.version, subject="Mine", **base)
    with pytest.raises(TicketConflict):
        ticket_transition(ticket=mine, by=agent.user, version=mine.version, to_status="in_progress")
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.status, ticket.version) == ("Theirs", "new", mine.version + 1)
    assert TicketEvent.objects.count() == events


# --- status rules -----------------------------------------------------------------------


def test_every_status_change_writes_an_event_in_order(ticket, agent):
    user = agent.user
    move(ticket, user, "in_progress", "2025-02-03 10:05")
    move(ticket, user, "waiting", "2025-02-03 10:30")
    move(ticket, user, "in_progress", "2025-02-03 11:00")
    move(ticket, user, "resolved", "2025-02-03 12:00")
    move(ticket, user, "closed", "2025-02-04 12:00")
    move(ticket, user, "in_progress", "2025-02-05 09:00")
    assert statuses(ticket) == [
        ("", "new"),
        ("new", "in_progress"),
        ("in_progress", "waiting"),
        ("waiting", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
        ("closed", "in_progress"),
    ]
    # The seven status changes and the assignment at creation, all by the agent.
    assert TicketEvent.objects.filter(ticket=ticket, by=user).count() == 8


@pytest.mark.parametrize(
    ("path", "to"),
    [([], "closed"), (["in_progress"], "new"), (["in_progress", "resolved"], "waiting")],
)
def test_a_status_change_off_the_workflow_is_refused(ticket, agent, path, to):
    for step in path:
        move(ticket, agent.user, step, "2025-02-03 10:30")
    with pytest.raises(TicketError, match="cannot go from"):
        move(ticket, agent.user, to, "2025-02-03 11:00")


def test_waiting_on_the_customer_opens_a_pause_and_resuming_closes_it(ticket, agent):
    move(ticket, agent.user, "waiting", "2025-02-03 11:00")
    pause = TicketPause.objects.get(ticket=ticket)
    assert (pause.paused_at, pause.resumed_at) == (utc("2025-02-03 11:00"), None)
    ticket.refresh_from_db()
    assert ticket.resolution_due_at is None  # the clock is stopped while waiting
    ticket = move(ticket, agent.user, "in_progress", "2025-02-03 12:30")
    pause.refresh_from_db()
    assert pause.resumed_at == utc("2025-02-03 12:30")
    # 4 h target + 1 h 30 min paused.
    assert ticket.resolution_due_at == utc("2025-02-03 15:30")


def test_resolving_while_waiting_closes_the_pause_at_the_resolution(ticket, agent):
    move(ticket, agent.user, "waiting", "2025-02-03 11:00")
    ticket = move(ticket, agent.user, "resolved", "2025-02-03 16:00")
    assert TicketPause.objects.get(ticket=ticket).resumed_at == utc("2025-02-03 16:00")
    assert ticket.resolved_at == utc("2025-02-03 16:00")
    # Clock ran 10:00–11:00 only: 1 h of 4 h, so resolution met.
    assert ticket.resolution_due_at == utc("2025-02-03 19:00")
    assert ticket.resolution_met is True


def test_resolving_sets_resolved_at_and_the_first_contact_flag(ticket, agent):
    ticket = move(ticket, agent.user, "resolved", "2025-02-03 10:20", first_contact_resolved=True)
    assert ticket.status == "resolved"
    assert ticket.resolved_at == utc("2025-02-03 10:20")
    assert ticket.first_contact_resolved is True
    assert ticket.sla_met is True  # resolved with no response: resolution counts as one


def test_reopening_clears_resolution_and_first_contact_and_counts_the_reopen(ticket, agent):
    move(ticket, agent.user, "resolved", "2025-02-03 10:20", first_contact_resolved=True)
    ticket = move(ticket, agent.user, "in_progress", "2025-02-03 11:00")
    assert ticket.status == "in_progress"
    assert ticket.resolved_at is None
    assert ticket.first_contact_resolved is False
    assert ticket.reopened_count == 1
    assert TicketEvent.objects.filter(ticket=ticket, note="Reopened").count() == 1


def test_a_reopened_ticket_uses_its_last_resolution_and_is_never_first_contact(ticket, agent):
    move(ticket, agent.user, "resolved", "2025-02-03 10:20", first_contact_resolved=True)
    move(ticket, agent.user, "closed", "2025-02-03 10:30")
    move(ticket, agent.user, "in_progress", "2025-02-03 11:00")
    with pytest.raises(TicketError, match="was reopened, so it cannot be resolved on first"):
        move(ticket, agent.user, "resolved", "2025-02-03 13:00", first_contact_resolved=True)
    ticket = move(ticket, agent.user, "resolved", "2025-02-03 15:00")
    assert ticket.resolved_at == utc("2025-02-03 15:00")
    assert ticket.first_contact_resolved is False
    assert ticket.resolution_met is False  # 5 h after opening, target 4 h


# --- comments and first response ------------------------------------------------------


def test_the_first_agent_comment_records_the_first_response_once(ticket, agent):
    ticket_comment_add(ticket=ticket, by=agent.user, body="On it.", now=utc("2025-02-03 10:40"))
    ticket.refresh_from_db()
    assert ticket.first_response_at == utc("2025-02-03 10:40")
    assert ticket.response_met is True
    assert ticket.status == "in_progress"  # a new ticket is being worked once answered
    assert statuses(ticket)[-1] == ("new", "in_progress")

    ticket_comment_add(ticket=ticket, by=agent.user, body="Fixed?", now=utc("2025-02-03 12:00"))
    ticket.refresh_from_db()
    assert ticket.first_response_at == utc("2025-02-03 10:40")
    assert TicketComment.objects.filter(ticket=ticket).count() == 2


def test_a_late_first_comment_misses_the_response_target(ticket, agent):
    ticket_comment_add(ticket=ticket, by=agent.user, body="Sorry.", now=utc("2025-02-03 11:30"))
    ticket.refresh_from_db()
    assert (ticket.first_response_at, ticket.response_met) == (utc("2025-02-03 11:30"), False)


def test_comments_by_people_who_are_not_agents_are_refused_and_record_no_response(ticket):
    for user in (EmployeeFactory(role="executive").user, UserFactory()):
        with pytest.raises(PermissionDenied):
            ticket_comment_add(ticket=ticket, by=user, body="Hi", now=utc("2025-02-03 10:30"))
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert TicketComment.objects.count() == 0


def test_an_empty_comment_is_refused(ticket, agent):
    with pytest.raises(TicketError, match="Write something"):
        ticket_comment_add(ticket=ticket, by=agent.user, body="   ")


# --- assignment and escalation -----------------------------------------------------------


def test_staff_take_an_unassigned_ticket_but_cannot_reassign(agent):
    other = EmployeeFactory(role="staff")
    ticket = TicketFactory(priority="P3")
    ticket = ticket_assign(ticket=ticket, by=agent.user, version=ticket.version, assignee=agent)
    assert ticket.assignee == agent
    assert TicketEvent.objects.get(ticket=ticket).note == "Assigned to Sam Staff"
    with pytest.raises(PermissionDenied, match="Only a manager can reassign"):
        ticket_assign(ticket=ticket, by=agent.user, version=ticket.version, assignee=other)


def test_managers_reassign_within_their_team_only():
    boss = EmployeeFactory(role="manager")
    alice = EmployeeFactory(role="staff", manager=boss, full_name="Alice")
    bob = EmployeeFactory(role="staff", manager=boss, full_name="Bob")
    stranger = EmployeeFactory(role="staff")
    ticket = TicketFactory(assignee=alice)
    ticket = ticket_assign(ticket=ticket, by=boss.user, version=ticket.version, assignee=bob)
    assert ticket.assignee == bob
    with pytest.raises(TicketError, match="cannot assign tickets to"):
        ticket_assign(ticket=ticket, by=boss.user, version=ticket.version, assignee=stranger)
    ticket = ticket_assign(ticket=ticket, by=boss.user, version=ticket.version, assignee=None)
    assert ticket.assignee is None
    assert [e.note for e in TicketEvent.objects.filter(ticket=ticket)] == [
        "Assigned to Bob",
        "Unassigned",
    ]


def test_staff_cannot_change_someone_elses_ticket():
    ticket = TicketFactory(assignee=EmployeeFactory(role="staff"))
    intruder = EmployeeFactory(role="staff")
    with pytest.raises(PermissionDenied):
        ticket_transition(ticket=ticket, by=intruder.user, version=0, to_status="in_progress")


def test_escalation_marks_the_ticket_once_with_its_reason(ticket, agent):
    ticket = ticket_escalate(
        ticket=ticket, by=agent.user, version=ticket.version, reason="Needs the vendor"
    )
    assert ticket.escalated is True
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert (event.from_status, event.to_status, event.note) == (
        "new",
        "new",
        "Escalated: Needs the vendor",
    )
    with pytest.raises(TicketError, match="already escalated"):
        ticket_escalate(ticket=ticket, by=agent.user, version=ticket.version, reason="Again")


# --- the 80 % warning --------------------------------------------------------------------


def test_the_assignee_is_warned_once_at_80_percent_of_the_resolution_clock(ticket):
    # P1: 4 h on a 24×7 clock from 10:00 → 80 % at 13:12.
    assert tickets_sla_warn(now=utc("2025-02-03 13:11")) == 0
    assert tickets_sla_warn(now=utc("2025-02-03 13:12")) == 1
    assert tickets_sla_warn(now=utc("2025-02-03 13:40")) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sam@firm.example"]
    assert message.subject == f"{ticket.ref} has used 80 % of its resolution time"
    assert f"/tickets/{ticket.pk}/" in message.body
    ticket.refresh_from_db()
    assert ticket.sla_warning_sent_at == utc("2025-02-03 13:12")


def test_paused_time_postpones_the_warning_and_a_waiting_ticket_is_not_warned(ticket, agent):
    move(ticket, agent.user, "waiting", "2025-02-03 11:00")
    assert tickets_sla_warn(now=utc("2025-02-03 14:00")) == 0
    move(ticket, agent.user, "in_progress", "2025-02-03 12:00")
    assert tickets_sla_warn(now=utc("2025-02-03 14:11")) == 0
    assert tickets_sla_warn(now=utc("2025-02-03 14:12")) == 1  # 13:12 + 1 h paused


def test_the_business_hours_warning_skips_nights(agent):
    # P3: 24 business hours; 80 % = 19 h 12 min → Mon 8 h, Tue 8 h, Wed 09:00 + 3 h 12.
    TicketFactory(priority="P3", assignee=agent, opened_at=utc("2025-02-03 09:00"))
    Ticket.objects.update(resolution_due_at=utc("2025-02-05 17:00"))
    assert tickets_sla_warn(now=utc("2025-02-05 12:11")) == 0
    assert tickets_sla_warn_task.delay("2025-02-05T12:12:00+00:00").get() == 1


def test_unassigned_and_resolved_tickets_get_no_warning(agent):
    TicketFactory(priority="P1", opened_at=utc("2025-02-03 10:00"))
    resolved = TicketFactory(
        priority="P1",
        assignee=agent,
        opened_at=utc("2025-02-03 10:00"),
        resolved_at=utc("2025-02-03 10:30"),
        status="resolved",
    )
    Ticket.objects.update(resolution_due_at=utc("2025-02-03 14:00"))
    assert tickets_sla_warn(now=utc("2025-02-03 13:30")) == 0
    resolved.refresh_from_db()
    assert resolved.sla_warning_sent_at is None
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_once_one_wins_and_the_other_is_refused(agent):
    """Two threads save the same version at once: exactly one change lands (PostgreSQL)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs a server database for concurrent connections")
    ticket = TicketFactory(assignee=agent, priority="P3")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(subject: str) -> None:
        try:
            barrier.wait()
            ticket_update(
                ticket=ticket,
                by=agent.user,
                version=0,
                client=ticket.client,
                priority="P3",
                subject=subject,
            )
            outcomes.append("saved")
        except TicketConflict:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(name,)) for name in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ticket.refresh_from_db()
    assert sorted(outcomes) == ["refused", "saved"]
    assert ticket.version == 1
    assert ticket.subject in {"A", "B"}


def test_a_leaver_is_not_warned_about_a_ticket_still_assigned_to_them(ticket, agent):
    type(agent).objects.filter(pk=agent.pk).update(employed_until=dt.date(2025, 1, 31))
    assert tickets_sla_warn(now=utc("2025-02-03 13:12")) == 0
    assert mail.outbox == []
    ticket.refresh_from_db()
    assert ticket.sla_warning_sent_at is None
