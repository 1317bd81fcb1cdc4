"""A task delivered twice changes nothing the second time.

Celery delivers at least once (``acks_late``: a worker lost mid-task gets its message
redelivered), so each task must be safe to run again with the same arguments: the
snapshots, a survey invitation, the 80 % SLA warning, a KPI alert email, an outbox
flush.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from support.services import ticket_create
from support.tasks import tickets_sla_warn
from surveys.models import SurveyInvitation
from surveys.tasks import survey_invite_project, survey_invite_ticket
from synapse.kpis.models import KpiAlert, KpiSnapshot
from synapse.kpis.tasks import kpi_alert_email_send, kpi_snapshots_backfill
from synapse.outbox.models import OutboxJob
from synapse.outbox.services import outbox_flush
from tests.factories import (
    ClientContactFactory,
    ClientFactory,
    EmployeeFactory,
    ProjectFactory,
    TicketFactory,
    UserFactory,
)
from tests.kpis.conftest import build_firm

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _snapshot_table() -> set[tuple]:
    return set(
        KpiSnapshot.objects.values_list(
            "key", "grain", "period_start", "scope_kind", "scope_key", "value", "sample_size"
        )
    )


def test_the_snapshot_task_twice_stores_the_same_rows_once():
    build_firm(2)
    first = kpi_snapshots_backfill.delay("2025-02-01", "2025-02-28").get()
    after_first = _snapshot_table()
    second = kpi_snapshots_backfill.delay("2025-02-01", "2025-02-28").get()
    assert first["snapshots"] == second["snapshots"] == KpiSnapshot.objects.count() > 0
    assert _snapshot_table() == after_first


def test_a_survey_invitation_task_twice_invites_and_mails_once(
    django_capture_on_commit_callbacks,
):
    client = ClientFactory()
    ClientContactFactory(client=client, role="support", email="help@client.example")
    ClientContactFactory(client=client, role="project", email="cio@client.example")
    ticket = TicketFactory(client=client, status="resolved")
    project = ProjectFactory(
        client=client,
        status="completed",
        actual_start=dt.date(2025, 1, 6),
        actual_end=dt.date(2025, 2, 28),
    )
    with django_capture_on_commit_callbacks(execute=True):
        counts = [
            survey_invite_ticket.delay(ticket.pk).get(),
            survey_invite_ticket.delay(ticket.pk).get(),
            survey_invite_project.delay(project.pk).get(),
            survey_invite_project.delay(project.pk).get(),
        ]
    assert counts == [1, 0, 2, 0]
    assert SurveyInvitation.objects.count() == 3
    assert sorted(m.to[0] for m in mail.outbox) == ["cio@client.example", "help@client.example"]


def test_the_sla_warning_task_twice_warns_once():
    agent = EmployeeFactory(
        user=UserFactory(username="sam"), role="staff", email="sam@firm.example"
    )
    ticket_create(
        by=agent.user,
        client=ClientFactory(),
        priority="P1",
        subject="Mail server down",
        assignee=agent,
        now=dt.datetime(2025, 2, 3, 10, 0, tzinfo=UTC),
    )
    moment = "2025-02-03T13:30:00+00:00"  # past 80 % of the 4 h clock (13:12)
    assert tickets_sla_warn.delay(moment).get() == 1
    assert tickets_sla_warn.delay(moment).get() == 0
    assert len(mail.outbox) == 1


def test_an_alert_email_task_twice_emails_once():
    EmployeeFactory(user=UserFactory(username="ceo", email="ceo@firm.example"), role="executive")
    alert = KpiAlert.objects.create(
        key="csat",
        grain="month",
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 1, 31),
        scope_kind="company",
        previous_status="within",
        status="below",
        created_at=dt.datetime(2025, 2, 1, 2, 0, tzinfo=UTC),
    )
    assert kpi_alert_email_send.delay(alert.pk).get() == 1
    assert kpi_alert_email_send.delay(alert.pk).get() == 0
    assert [m.to for m in mail.outbox] == [["ceo@firm.example"]]


def test_an_outbox_job_flushed_twice_is_sent_once(monkeypatch):
    from support import services

    calls: list[str] = []
    monkeypatch.setattr(
        services, "policy_tickets_sla_refresh", lambda *, priority: calls.append(priority) or 0
    )
    OutboxJob.objects.create(
        task_name="support.tasks.tickets_sla_refresh_priority",
        args=["P2"],
        created_at=dt.datetime(2025, 2, 1, tzinfo=UTC),
    )
    assert outbox_flush() == 1
    assert outbox_flush() == 0
    assert calls == ["P2"]
