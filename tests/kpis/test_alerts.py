"""Threshold alerts: one email per band crossing of a complete month, to executives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from synapse.kpis.alerts import alert_message, kpi_alert_email
from synapse.kpis.models import KpiAlert, KpiAlertState
from synapse.kpis.snapshots import snapshots_nightly
from tests.factories import EmployeeFactory, SurveyResponseFactory, UserFactory

pytestmark = pytest.mark.django_db


def night(day: int, month: int) -> dt.datetime:
    return dt.datetime(2025, month, day, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def executives() -> list[str]:
    """Create executives (by group and by role, one with only an employee email), a staff
    member and an executive without any email; return the addresses alerts go to."""
    ceo = UserFactory(username="ceo", email="ceo@firm.example")
    ceo.groups.add(Group.objects.create(name="executive"))
    EmployeeFactory(user__username="cfo", user__email="cfo@firm.example", role="executive")
    EmployeeFactory(
        user__username="coo", user__email="", email="coo@firm.example", role="executive"
    )
    EmployeeFactory(user__username="cto", user__email="", role="executive")
    EmployeeFactory(user__username="dev", user__email="dev@firm.example", role="staff")
    return ["ceo@firm.example", "cfo@firm.example", "coo@firm.example"]


def csat_responses(month: int, scores: list[int]) -> None:
    for day, score in enumerate(scores, start=3):
        SurveyResponseFactory(
            score=score, responded_at=dt.datetime(2025, month, day, 12, tzinfo=dt.UTC)
        )


def csat_mails(mailoutbox) -> list:
    return [m for m in mailoutbox if "Customer satisfaction" in m.subject]


def test_an_alert_fires_once_per_crossing_and_again_when_back_in_band(
    executives, mailoutbox, django_capture_on_commit_callbacks
):
    csat_responses(2, [5, 2])  # February: 1 good of 2 → 50 %, below the band (≥ 85)
    csat_responses(3, [5, 5, 5])  # March: 100 %, within

    with django_capture_on_commit_callbacks(execute=True):
        snapshots_nightly(as_of=night(2, 3))  # February has just closed
    sent = csat_mails(mailoutbox)
    assert sorted(m.to[0] for m in sent) == executives
    assert (
        sent[0].subject
        == "[Synapse] Customer satisfaction (CSAT) is below its band: 50.00 % in Feb 2025"
    )
    alert = KpiAlert.objects.get(key="csat")
    assert (alert.previous_status, alert.status, alert.recipients) == ("within", "below", 3)

    # The next nights find the same status: nothing more, although March is within
    # (a running month is not watched).
    for day in (3, 4, 30):
        with django_capture_on_commit_callbacks(execute=True):
            snapshots_nightly(as_of=night(day, 3))
    assert len(csat_mails(mailoutbox)) == 3
    assert KpiAlert.objects.filter(key="csat").count() == 1

    # March closes within the band: one "back within" alert.
    with django_capture_on_commit_callbacks(execute=True):
        snapshots_nightly(as_of=night(1, 4))
    back = csat_mails(mailoutbox)[3:]
    assert len(back) == 3
    assert back[0].subject == (
        "[Synapse] Customer satisfaction (CSAT) is back within its band: 100.00 % in Mar 2025"
    )
    state = KpiAlertState.objects.get(key="csat", scope_kind="company")
    assert (state.status, state.period_start) == ("within", dt.date(2025, 3, 1))

    with django_capture_on_commit_callbacks(execute=True):
        snapshots_nightly(as_of=night(2, 4))
    assert len(csat_mails(mailoutbox)) == 6


def test_a_kpi_first_seen_within_its_band_sends_nothing(
    executives, mailoutbox, django_capture_on_commit_callbacks
):
    csat_responses(2, [5, 5, 4])
    with django_capture_on_commit_callbacks(execute=True):
        snapshots_nightly(as_of=night(2, 3))
    assert csat_mails(mailoutbox) == []
    assert KpiAlertState.objects.get(key="csat").status == "within"


def test_a_late_correction_of_the_closed_month_is_a_crossing(
    executives, mailoutbox, django_capture_on_commit_callbacks
):
    csat_responses(2, [5, 5])
    with django_capture_on_commit_callbacks(execute=True):
        snapshots_nightly(as_of=night(2, 3))
    csat_responses(2, [1, 1, 1])  # answers recorded late, dated in February: 40 %
    with django_capture_on_commit_callbacks(execute=True):
        snapshots_nightly(as_of=night(3, 3))
    sent = csat_mails(mailoutbox)
    assert len(sent) == 3
    assert sent[0].subject.endswith("is below its band: 40.00 % in Feb 2025")


def test_the_alert_email_names_kpi_period_value_band_and_links_its_page(settings, executives):
    settings.SYNAPSE_BASE_URL = "https://synapse.example.com/"
    alert = KpiAlert.objects.create(
        key="csat",
        grain="month",
        period_start=dt.date(2025, 2, 1),
        period_end=dt.date(2025, 2, 28),
        scope_kind="company",
        previous_status="within",
        status="below",
        value=Decimal("72.5"),
        band_low=85,
        created_at=night(2, 3),
    )
    subject, body = alert_message(alert)
    assert (
        subject == "[Synapse] Customer satisfaction (CSAT) is below its band: 72.50 % in Feb 2025"
    )
    assert "KPI:      Customer satisfaction (CSAT) (csat)" in body
    assert "Period:   Feb 2025 (2025-02-01 to 2025-02-28)" in body
    assert "Value:    72.50 %" in body
    assert "Band:     85.00 … ∞" in body
    assert "Status:   within → below" in body
    assert "Details: https://synapse.example.com/dashboard/kpi/csat/" in body


def test_an_alert_is_emailed_once_even_if_its_task_runs_twice(executives, mailoutbox):
    alert = KpiAlert.objects.create(
        key="nps",
        grain="month",
        period_start=dt.date(2025, 2, 1),
        period_end=dt.date(2025, 2, 28),
        scope_kind="company",
        status="below",
        value=10,
        band_low=50,
        created_at=night(2, 3),
    )
    assert kpi_alert_email(alert_id=alert.pk) == 3
    assert kpi_alert_email(alert_id=alert.pk) == 0
    assert len(mailoutbox) == 3
    assert "http://127.0.0.1:8000/dashboard/kpi/nps/" in mailoutbox[0].body


def test_an_alert_whose_email_could_not_be_enqueued_goes_out_with_the_next_run(
    executives, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    from synapse.kpis import tasks

    csat_responses(2, [1, 1])
    real_delay = tasks.kpi_alert_email_send.delay

    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(tasks.kpi_alert_email_send, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        assert snapshots_nightly(as_of=night(2, 3)).status == "succeeded"
    pending = KpiAlert.objects.get(key="csat")
    assert pending.emailed_at is None
    assert mailoutbox == []

    monkeypatch.setattr(tasks.kpi_alert_email_send, "delay", real_delay)
    with django_capture_on_commit_callbacks(execute=True):
        snapshots_nightly(as_of=night(3, 3))
    assert KpiAlert.objects.filter(key="csat").count() == 1
    assert len(csat_mails(mailoutbox)) == 3
    assert KpiAlert.objects.get(key="csat").emailed_at is not None
