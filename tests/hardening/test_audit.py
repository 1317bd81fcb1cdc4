"""Audit history: who changed what, and when, on the records whose edits matter.

Projects, contracts, time entries, tickets and KPI bands keep a history row per save
(django-simple-history), with the user of the request that made it, shown in the
admin's "History" page. Bulk writes (imports, derived-column refreshes) write no
history: they are not somebody's edit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from projects.models import Contract, Project
from support.models import Ticket
from synapse.kpis.models import KpiBand
from tests.factories import (
    ContractFactory,
    EmployeeFactory,
    ProjectFactory,
    TicketFactory,
    TimeEntryFactory,
)
from timesheets.models import TimeEntry

pytestmark = pytest.mark.django_db


def _post_data(response: Any) -> dict[str, Any]:
    """Return the POST data of an admin change page's form as it stands (inlines included)."""
    data: dict[str, Any] = {}

    def add(form: Any) -> None:
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            data[bound.html_name] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def _admin() -> Client:
    user = get_user_model().objects.create_superuser("auditor", "auditor@example.com", "x")
    client = Client()
    client.force_login(user)
    return client


def _contract() -> Contract:
    return ContractFactory(code="MS-AUD", monthly_fee=Decimal("1000.00"))


def _project() -> Project:
    return ProjectFactory(code="PRJ-AUD", budget=Decimal("1000.00"))


def _entry() -> TimeEntry:
    return TimeEntryFactory(entry_id="T-AUD", hours=Decimal("3.00"), note="first")


def _band() -> KpiBand:
    return KpiBand.objects.create(key="audit_test_kpi", low=Decimal(85))


#: (model factory, field to change, new value as posted, the value as the history shows it)
CASES = [
    pytest.param(_contract, "monthly_fee", "1250.00", Decimal("1250.00"), id="contract"),
    pytest.param(_project, "budget", "2500.00", Decimal("2500.00"), id="project"),
    pytest.param(_entry, "note", "corrected", "corrected", id="time-entry"),
    pytest.param(_band, "low", "80", Decimal("80.0000"), id="kpi-band"),
]


@pytest.mark.parametrize(("make", "field", "posted", "stored"), CASES)
def test_an_admin_edit_is_recorded_with_its_user_and_shown_on_the_history_page(
    make, field, posted, stored
):
    admin = _admin()
    obj = make()
    opts = obj._meta
    change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    data = _post_data(admin.get(change_url))
    data[field] = posted
    response = admin.post(change_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    history = list(obj.history.order_by("history_id"))
    assert [row.history_type for row in history] == ["+", "~"]
    created, changed = history
    assert created.history_user is None  # made outside a request (factory)
    assert changed.history_user.username == "auditor"
    assert getattr(changed, field) == stored
    assert changed.history_date <= timezone.now()
    delta = changed.diff_against(created)
    assert delta.changed_fields == [field]

    page = admin.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
    ).content.decode()
    assert "auditor" in page  # who
    label = capfirst(opts.get_field(field).verbose_name)
    assert f"<strong>{label}:</strong>" in page  # what
    assert "Changed" in page


def test_a_ticket_changed_on_the_desk_is_recorded_with_the_agent():
    agent = EmployeeFactory(user__username="agent-ann", role="staff")
    ticket = TicketFactory(assignee=agent, opened_at=timezone.now() - dt.timedelta(hours=1))
    desk = Client()
    desk.force_login(agent.user)
    desk.post(
        reverse("support:ticket_transition", args=[ticket.pk]),
        {"version": 0, "to_status": "resolved"},
    )

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    last = ticket.history.latest()
    assert (last.status, last.history_user.username) == ("resolved", "agent-ann")
    page = _admin().get(reverse("admin:support_ticket_history", args=[ticket.pk])).content.decode()
    assert "agent-ann" in page
    assert "<strong>Status:</strong>" in page


def test_a_deletion_leaves_its_last_state_in_the_history():
    contract = _contract()
    pk = contract.pk
    contract.delete()
    gone = Contract.history.filter(id=pk).latest()
    assert (gone.history_type, gone.code, gone.monthly_fee) == ("-", "MS-AUD", Decimal("1000.00"))


def test_bulk_writes_are_not_audited():
    """Imports and derived-column refreshes are not edits: ``update()`` writes no history."""
    project = _project()
    Project.objects.filter(pk=project.pk).update(budget=Decimal("1.00"))
    assert project.history.count() == 1


def test_hours_changed_in_the_timesheet_grid_are_recorded_with_the_employee():
    """The grid writes hours with a compare-and-set UPDATE; the edit is still audited."""
    from timesheets.selectors import RowKey

    ada = EmployeeFactory(
        user__username="ada-grid", role="staff", employed_from=dt.date(2024, 1, 1)
    )
    project = ProjectFactory(code="PRJ-GRID")
    row = RowKey(project.pk, None, None, "delivery", True).token
    grid = Client()
    grid.force_login(ada.user)
    url = reverse("timesheets:cell")
    day = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    for hours, seen in (("4", ""), ("6.5", "4.00"), ("", "6.50")):
        response = grid.post(
            url, {"row": row, "day": day.isoformat(), "hours": hours, "seen": seen}
        )
        assert response.status_code in (200, 302)

    history = TimeEntry.history.filter(employee=ada).order_by("history_id")
    assert [(h.history_type, h.hours, h.history_user.username) for h in history] == [
        ("+", Decimal("4.00"), "ada-grid"),
        ("~", Decimal("6.50"), "ada-grid"),
        ("-", Decimal("6.50"), "ada-grid"),
    ]
