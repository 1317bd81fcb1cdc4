"""Write a planned demo firm (``synapse.demo.generator``) to the database in bulk."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from projects.models import (
    Client,
    ClientContact,
    Contract,
    Downtime,
    Overhead,
    Project,
    ProjectExpense,
    ProjectProgress,
)
from support.models import Ticket, TicketComment, TicketEvent, TicketPause
from surveys.models import SurveyInvitation, SurveyResponse
from synapse.demo import names
from synapse.demo.generator import DemoFirm, Person
from timesheets.models import Employee, Holiday, Leave, Rate, TimeEntry, Timesheet

BATCH = 2000
DEMO_PASSWORD = "demo"  # the documented demo logins, created only in debug mode
ROLE_GROUPS = ("staff", "manager", "executive")
RESPONSE_COMMENTS = {
    "good": ["Quick and friendly, thanks!", "Solved first time.", "Great team.", ""],
    "bad": ["Took far too long.", "Had to chase twice.", "Still not fully fixed.", ""],
}


def _hours(quarters: int) -> Decimal:
    return Decimal(quarters) / 4


def _write_people(firm: DemoFirm) -> None:
    user_model = get_user_model()
    demo_hash = make_password(DEMO_PASSWORD) if firm.options.demo_users else None
    demo_people = {id(p) for p in firm.demo_logins.values()}
    users = []
    for person in firm.people:
        demo = demo_hash is not None and id(person) in demo_people
        users.append(
            user_model(
                username=person.username,
                first_name=person.first_name,
                last_name=person.last_name,
                email=f"{person.username}@{names.FIRM_DOMAIN}",
                password=demo_hash if demo else make_password(None),
                is_active=person.employed_until is None,
            )
        )
    if demo_hash is not None:
        users.append(
            user_model(
                username="admin",
                email=f"admin@{names.FIRM_DOMAIN}",
                password=demo_hash,
                is_staff=True,
                is_superuser=True,
            )
        )
    user_model.objects.bulk_create(users)
    by_username = {u.username: u for u in users}

    def employee(person: Person) -> Employee:
        return Employee(
            user=by_username[person.username],
            full_name=person.full_name,
            email=f"{person.username}@{names.FIRM_DOMAIN}",
            role=person.role,
            hours_per_day=Decimal(8),
            employed_from=person.employed_from,
            employed_until=person.employed_until,
            manager=person.manager.obj if person.manager else None,
        )

    def depth(person: Person) -> int:
        return 0 if person.manager is None else 1 + depth(person.manager)

    # Bosses first, so that each level's manager already has a primary key.
    for level in sorted({depth(p) for p in firm.people}):
        wave = [p for p in firm.people if depth(p) == level]
        for person in wave:
            person.obj = employee(person)
        Employee.objects.bulk_create([p.obj for p in wave])
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLE_GROUPS}
    membership = user_model.groups.through
    membership.objects.bulk_create(
        [
            membership(user_id=by_username[p.username].pk, group_id=groups[p.role].pk)
            for p in firm.people
        ]
    )
    Rate.objects.bulk_create(
        [
            Rate(employee=p.obj, effective_from=start, cost_rate=cost, bill_rate=bill)
            for p in firm.people
            for start, cost, bill in p.rates
        ]
    )
    Holiday.objects.bulk_create(
        [Holiday(date=day, name=name) for day, name in sorted(firm.holidays.items())],
        ignore_conflicts=True,
    )
    people = {p.index: p for p in firm.people}
    Leave.objects.bulk_create(
        [
            Leave(employee=people[index].obj, date=day, hours=_hours(quarters))
            for (index, day), quarters in sorted(firm.leave.items())
        ],
        batch_size=BATCH,
    )


def _write_clients(firm: DemoFirm) -> dict[tuple[str, str], ClientContact]:
    for client in firm.clients:
        client.obj = Client(
            code=client.code,
            name=client.name,
            became_client_on=client.became,
            churned_on=client.churned,
        )
    Client.objects.bulk_create([c.obj for c in firm.clients])
    contacts: dict[tuple[str, str], ClientContact] = {}
    for client in firm.clients:
        for role, people in (
            ("project", client.project_contacts),
            ("support", client.support_contacts),
        ):
            for name, email in people:
                contacts[(client.code, email)] = ClientContact(
                    client=client.obj, name=name, email=email, role=role
                )
    ClientContact.objects.bulk_create(list(contacts.values()))
    for contract in firm.contracts:
        contract.obj = Contract(
            code=contract.code,
            client=contract.client.obj,
            name=contract.name,
            monthly_fee=contract.fee,
            start_date=contract.start,
            end_date=contract.end,
        )
    Contract.objects.bulk_create([c.obj for c in firm.contracts])
    Overhead.objects.bulk_create(
        [Overhead(month=m, category=c, amount=a) for m, c, a in firm.overheads]
    )
    return contacts


def _write_projects(firm: DemoFirm) -> None:
    for project in firm.projects:
        project.obj = Project(
            code=project.code,
            client=project.client.obj,
            name=project.name,
            billing=project.billing,
            revenue=project.revenue,
            budget=project.budget,
            planned_start=project.planned_start,
            planned_end=project.planned_end,
            actual_start=project.actual_start,
            actual_end=project.actual_end,
            status=project.status,
            requirements_met=project.requirements_met and project.status == "completed",
            user_count=project.user_count,
        )
    Project.objects.bulk_create([p.obj for p in firm.projects])
    ProjectProgress.objects.bulk_create(
        [
            ProjectProgress(project=p.obj, date=day, percent_complete=percent)
            for p in firm.projects
            for day, percent in p.progress
        ],
        batch_size=BATCH,
    )
    ProjectExpense.objects.bulk_create(
        [
            ProjectExpense(
                expense_id=f"{p.code}-X{k}", project=p.obj, date=day, category=cat, amount=amount
            )
            for p in firm.projects
            for k, (day, cat, amount) in enumerate(p.expenses, start=1)
        ]
    )
    Downtime.objects.bulk_create(
        [
            Downtime(downtime_id=f"{p.code}-D{k}", project=p.obj, started_at=a, ended_at=b)
            for p in firm.projects
            for k, (a, b) in enumerate(p.downtimes, start=1)
        ]
    )


def _write_tickets(firm: DemoFirm) -> None:
    for ticket in firm.tickets:
        ticket.obj = Ticket(
            ref=ticket.ref,
            client=ticket.client.obj,
            project=ticket.project.obj if ticket.project else None,
            contract=ticket.contract.obj if ticket.contract else None,
            priority=ticket.priority,
            subject=ticket.subject,
            status=ticket.status,
            opened_at=ticket.opened_at,
            first_response_at=ticket.first_response_at,
            resolved_at=ticket.resolved_at,
            assignee=ticket.assignee.obj,
            escalated=ticket.escalated,
            first_contact_resolved=ticket.first_contact_resolved,
            reopened_count=1 if ticket.reopened else 0,
        )
    Ticket.objects.bulk_create([t.obj for t in firm.tickets], batch_size=BATCH)
    pauses, events, comments = [], [], []
    for ticket in firm.tickets:
        obj, user = ticket.obj, ticket.assignee.obj.user
        events.append(TicketEvent(ticket=obj, at=ticket.opened_at, to_status="new"))
        if ticket.first_response_at:
            events.append(
                TicketEvent(
                    ticket=obj, at=ticket.first_response_at, from_status="new",
                    to_status="in_progress", by=user,
                )
            )  # fmt: skip
            comments.append(
                TicketComment(
                    ticket=obj, author=user, at=ticket.first_response_at,
                    body="Thanks for reporting this, we are looking into it.",
                )
            )  # fmt: skip
        if ticket.pause:
            paused_at, resumed_at = ticket.pause
            pauses.append(TicketPause(ticket=obj, paused_at=paused_at, resumed_at=resumed_at))
            events.append(
                TicketEvent(ticket=obj, at=paused_at, from_status="in_progress",
                            to_status="waiting", by=user, note="Waiting for the customer")
            )  # fmt: skip
            if resumed_at:
                events.append(
                    TicketEvent(ticket=obj, at=resumed_at, from_status="waiting",
                                to_status="in_progress", by=user)
                )  # fmt: skip
        if ticket.resolved_at:
            events.append(
                TicketEvent(ticket=obj, at=ticket.resolved_at, from_status="in_progress",
                            to_status="resolved", by=user)
            )  # fmt: skip
            if ticket.status == "closed":
                events.append(
                    TicketEvent(ticket=obj, at=ticket.resolved_at + dt.timedelta(days=7),
                                from_status="resolved", to_status="closed")
                )  # fmt: skip
    TicketPause.objects.bulk_create(pauses, batch_size=BATCH)
    TicketEvent.objects.bulk_create(events, batch_size=BATCH)
    TicketComment.objects.bulk_create(comments, batch_size=BATCH)


def _write_time(firm: DemoFirm) -> None:
    batch: list[TimeEntry] = []
    for n, entry in enumerate(firm.entries, start=1):
        batch.append(
            TimeEntry(
                entry_id=f"DEMO-{n:07d}",
                employee=entry.person.obj,
                date=entry.day,
                hours=_hours(entry.quarters),
                billable=entry.billable,
                activity=entry.activity,
                project=entry.project.obj if entry.project else None,
                contract=entry.contract.obj if entry.contract else None,
                ticket=entry.ticket.obj if entry.ticket else None,
                note=entry.note,
            )
        )
        if len(batch) == BATCH:
            TimeEntry.objects.bulk_create(batch)
            batch = []
    TimeEntry.objects.bulk_create(batch)
    approvers = {p.index: (p.manager.obj.user if p.manager else None) for p in firm.people}
    sheets = []
    for person, monday, status in firm.timesheets:
        friday_evening = dt.datetime.combine(
            monday + dt.timedelta(days=4), dt.time(17), tzinfo=firm.cutoff.tzinfo
        )
        decided = status == "approved"
        sheets.append(
            Timesheet(
                employee=person.obj,
                week_start=monday,
                status=status,
                submitted_at=friday_evening if status != "draft" else None,
                decided_at=friday_evening + dt.timedelta(days=3) if decided else None,
                decided_by=approvers[person.index] if decided else None,
            )
        )
    Timesheet.objects.bulk_create(sheets, batch_size=BATCH)


def _write_surveys(firm: DemoFirm, contacts: dict[tuple[str, str], ClientContact]) -> None:
    invitations, responses = [], []
    for n, plan in enumerate(firm.invitations, start=1):
        invitation = SurveyInvitation(
            invitation_id=f"INV-{n:06d}",
            kind=plan.kind,
            client=plan.client.obj,
            contact=contacts[(plan.client.code, plan.contact[1])],
            contact_email=plan.contact[1],
            sent_at=plan.sent_at,
            project=plan.project.obj if plan.project else None,
            ticket=plan.ticket.obj if plan.ticket else None,
            used_at=plan.responded_at,
        )
        invitations.append(invitation)
        if plan.responded_at is not None and plan.score is not None:
            good = plan.score >= (4 if plan.kind == "csat" else 9)
            comment = RESPONSE_COMMENTS["good" if good else "bad"][n % 4]
            responses.append(
                SurveyResponse(
                    response_id=f"RSP-{n:06d}",
                    kind=plan.kind,
                    client=plan.client.obj,
                    score=plan.score,
                    responded_at=plan.responded_at,
                    invitation=invitation,
                    project=invitation.project,
                    ticket=invitation.ticket,
                    comment=comment,
                )
            )
    SurveyInvitation.objects.bulk_create(invitations, batch_size=BATCH)
    SurveyResponse.objects.bulk_create(responses, batch_size=BATCH)


def demo_firm_write(firm: DemoFirm) -> None:
    """Write every planned record of ``firm`` with ``bulk_create`` (derived fields after)."""
    _write_people(firm)
    contacts = _write_clients(firm)
    _write_projects(firm)
    _write_tickets(firm)
    _write_time(firm)
    _write_surveys(firm, contacts)
