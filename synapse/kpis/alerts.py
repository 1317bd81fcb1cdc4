"""Threshold alerts: email executives once when a KPI's month leaves its band or returns.

What is watched: the company-scope snapshots of *complete* months (the month before
the run's date, and any later-corrected month since the last state). A month still
running is not watched: early in a month its partial numbers (utilization on the 1st
at 02:00 is 0 %) would leave the band every month and cry wolf.

A crossing is a change of status among ``below``, ``within`` and ``above`` against
the state stored for the KPI (``KpiAlertState``); ``no_data`` and KPIs without a band
change nothing. A KPI seen for the first time counts as having been within its band,
so one that starts out of band alerts once. The state then holds, so the next night
(same status) sends nothing, and a return into the band alerts once again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from decimal import Decimal

from celery import Task
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from synapse.kpis.models import KpiAlert, KpiAlertState, KpiSnapshot
from synapse.kpis.periods import Period, local_date
from synapse.kpis.registry import Kpi, kpi_get
from synapse.kpis.selectors import executive_emails
from synapse.links import absolute_url

logger = logging.getLogger(__name__)

BAND_STATUSES = ("below", "within", "above")


def kpi_page_url(key: str) -> str:
    """Return the absolute link to a KPI's dashboard page (setting ``SYNAPSE_BASE_URL``)."""
    return absolute_url(f"/dashboard/kpi/{key}/")


def _crossings(
    rows: list[KpiSnapshot], state: KpiAlertState | None
) -> tuple[list[tuple[str, KpiSnapshot]], KpiSnapshot | None]:
    """Return the (previous status, snapshot) crossings in ``rows`` and the row now in force.

    ``rows`` are one KPI's month snapshots with a band status, oldest first.
    """
    if state is None:
        rows = rows[-1:]
        previous = "within"
    else:
        rows = [row for row in rows if row.period_start >= state.period_start]
        previous = state.status
    crossings = []
    for row in rows:
        if row.status != previous:
            crossings.append((previous, row))
        previous = row.status
    return crossings, (rows[-1] if rows else None)


@transaction.atomic
def alerts_check(*, as_of: dt.datetime) -> list[KpiAlert]:
    """Record a ``KpiAlert`` for every band crossing of the company's complete months.

    Update each KPI's alert state, and after commit enqueue the email of every alert not
    emailed yet (the new ones, and any whose enqueueing failed). Return the alerts created.
    """
    last_complete = Period.containing("month", local_date(as_of)).previous()
    states = {state.key: state for state in KpiAlertState.objects.filter(scope_kind="company")}
    earliest = min((s.period_start for s in states.values()), default=last_complete.start)
    by_key: dict[str, list[KpiSnapshot]] = {}
    snapshots = KpiSnapshot.objects.filter(
        grain="month",
        scope_kind="company",
        scope_key="",
        status__in=BAND_STATUSES,
        period_start__gte=min(earliest, last_complete.start),
        period_start__lte=last_complete.start,
    ).order_by("key", "period_start")
    for row in snapshots:
        by_key.setdefault(row.key, []).append(row)

    now = timezone.now()
    alerts: list[KpiAlert] = []
    for key, rows in by_key.items():
        state = states.get(key)
        crossings, latest = _crossings(rows, state)
        for previous, row in crossings:
            alerts.append(
                KpiAlert.objects.create(
                    key=key,
                    grain=row.grain,
                    period_start=row.period_start,
                    period_end=row.period_end,
                    scope_kind=row.scope_kind,
                    scope_key=row.scope_key,
                    previous_status=previous,
                    status=row.status,
                    value=row.value,
                    band_low=row.band_low,
                    band_high=row.band_high,
                    created_at=now,
                )
            )
        if latest is not None and (
            state is None
            or (state.status, state.period_start) != (latest.status, latest.period_start)
        ):
            KpiAlertState.objects.update_or_create(
                key=key,
                scope_kind="company",
                scope_key="",
                defaults={
                    "status": latest.status,
                    "period_start": latest.period_start,
                    "updated_at": now,
                },
            )

    from synapse.kpis.tasks import kpi_alert_email_send

    # Alerts whose email could not be enqueued before (broker down) go out with these;
    # robust: a broker outage after commit must not fail the snapshot run.
    pending = KpiAlert.objects.filter(emailed_at__isnull=True).order_by("pk")
    for alert_id in pending.values_list("pk", flat=True):
        transaction.on_commit(_enqueuer(kpi_alert_email_send, alert_id), robust=True)
    return alerts


def _enqueuer(task: Task, alert_id: int) -> Callable[[], None]:
    """Return a named callable sending ``task`` for ``alert_id`` (on_commit logs its name)."""

    def enqueue_alert_email() -> None:
        task.delay(alert_id)

    return enqueue_alert_email


def _number(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def alert_message(alert: KpiAlert) -> tuple[str, str]:
    """Return the subject and body of the email about ``alert``."""
    kpi: Kpi | None
    try:
        kpi = kpi_get(alert.key)
    except KeyError:  # a KPI retired since the alert was recorded
        kpi = None
    label = kpi.label if kpi else alert.key
    unit = kpi.unit if kpi else ""
    period = Period(alert.period_start, alert.period_end, alert.grain)
    band = f"{_number(alert.band_low) if alert.band_low is not None else '−∞'} … " + (
        _number(alert.band_high) if alert.band_high is not None else "∞"
    )
    if alert.status == "within":
        headline = f"{label} is back within its band"
    else:
        headline = f"{label} is {alert.status} its band"
    subject = f"[Synapse] {headline}: {_number(alert.value)} {unit} in {period.label}"
    body = "\n".join(
        [
            f"{headline}.",
            "",
            f"KPI:      {label} ({alert.key})",
            f"Period:   {period.label} ({period.start:%Y-%m-%d} to {period.end:%Y-%m-%d})",
            "Scope:    company",
            f"Value:    {_number(alert.value)} {unit}",
            f"Band:     {band}",
            f"Status:   {alert.previous_status or 'new'} → {alert.status}",
            "",
            f"Details: {kpi_page_url(alert.key)}",
        ]
    )
    return subject, body


def kpi_alert_email(*, alert_id: int) -> int:
    """Email ``alert`` to every executive, once; return the number of emails sent.

    An alert already emailed is not sent again (a retried task is harmless).
    """
    with transaction.atomic():
        alert = KpiAlert.objects.select_for_update().get(pk=alert_id)
        if alert.emailed_at is not None:
            return 0
        recipients = executive_emails()
        subject, body = alert_message(alert)
        messages = [EmailMessage(subject, body, to=[email]) for email in recipients]
        sent = get_connection().send_messages(messages) if messages else 0
        if not recipients:
            logger.warning("KPI alert %s: no executive has an email address", alert_id)
        alert.emailed_at = timezone.now()
        alert.recipients = sent or 0
        alert.save(update_fields=["emailed_at", "recipients"])
    return alert.recipients
