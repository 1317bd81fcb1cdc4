"""Bulk actions: approving timesheets (superusers only) and escalating tickets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.urls import reverse

from support.models import Ticket
from synapse.kpis.models import KpiBand
from tests.factories import EmployeeFactory, TicketFactory, UserFactory
from timesheets.models import Timesheet

MONDAY = dt.date(2025, 2, 3)


def _timesheets(employee):
    submitted = Timesheet.objects.create(
        employee=employee, week_start=MONDAY, status=Timesheet.Status.SUBMITTED
    )
    draft = Timesheet.objects.create(
        employee=employee, week_start=MONDAY + dt.timedelta(days=7), status=Timesheet.Status.DRAFT
    )
    return submitted, draft


def test_superuser_approves_submitted_timesheets_and_skips_drafts(admin_client, admin_user, db):
    submitted, draft = _timesheets(EmployeeFactory())

    response = admin_client.post(
        reverse("admin:timesheets_timesheet_changelist"),
        {"action": "approve", "_selected_action": [submitted.pk, draft.pk]},
        follow=True,
    )

    submitted.refresh_from_db()
    draft.refresh_from_db()
    assert submitted.status == Timesheet.Status.APPROVED
    assert submitted.decided_by == admin_user
    assert submitted.decided_at is not None
    assert submitted.version == 1
    assert draft.status == Timesheet.Status.DRAFT
    texts = [str(m) for m in response.context["messages"]]
    assert "1 timesheet(s) approved." in texts


def test_staff_member_is_not_offered_the_approve_action(client, db):
    user = UserFactory(username="clerk", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_timesheet", "change_timesheet"])
    )
    client.force_login(user)
    submitted, _draft = _timesheets(EmployeeFactory())
    url = reverse("admin:timesheets_timesheet_changelist")

    actions = dict(client.get(url).context["action_form"].fields["action"].choices)
    client.post(url, {"action": "approve", "_selected_action": [submitted.pk]})

    assert "approve" not in actions
    submitted.refresh_from_db()
    assert submitted.status == Timesheet.Status.SUBMITTED


def test_mark_tickets_escalated(admin_client, db):
    first = TicketFactory()
    second = TicketFactory(escalated=True)
    untouched = TicketFactory()

    admin_client.post(
        reverse("admin:support_ticket_changelist"),
        {"action": "mark_escalated", "_selected_action": [first.pk, second.pk]},
    )

    assert set(Ticket.objects.filter(escalated=True).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    untouched.refresh_from_db()
    assert untouched.escalated is False


def test_kpi_band_is_edited_in_the_list(admin_client, db):
    band = KpiBand.objects.create(key="admin_band", low=Decimal(1), high=Decimal(2))
    url = reverse("admin:kpis_kpiband_changelist")
    rows = list(KpiBand.objects.order_by("key"))
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "_save": "Save",
    }
    for i, row in enumerate(rows):
        data[f"form-{i}-id"] = str(row.pk)
        data[f"form-{i}-low"] = "" if row.low is None else str(row.low)
        data[f"form-{i}-high"] = "" if row.high is None else str(row.high)
        if row.pk == band.pk:
            data[f"form-{i}-low"] = "70"
            data[f"form-{i}-high"] = ""

    response = admin_client.post(url, data)

    assert response.status_code == 302
    band.refresh_from_db()
    assert (band.low, band.high) == (Decimal("70.0000"), None)
