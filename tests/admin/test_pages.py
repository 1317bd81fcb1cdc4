"""Every registered model's admin pages open for a superuser."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from support.models import Ticket
from synapse.kpis.models import KpiSnapshot

MODELS = sorted(admin.site._registry, key=lambda m: m._meta.label)
IDS = [model._meta.label for model in MODELS]
OURS = [
    model
    for model in MODELS
    if model._meta.app_label in {"projects", "timesheets", "support", "surveys", "kpis"}
]


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_of_the_brief_is_registered():
    labels = {model._meta.label for model in MODELS}
    expected = {
        "projects.Client",
        "projects.ClientContact",
        "projects.Contract",
        "projects.Project",
        "projects.ProjectProgress",
        "projects.ProjectExpense",
        "projects.Downtime",
        "projects.Overhead",
        "timesheets.Employee",
        "timesheets.Rate",
        "timesheets.Holiday",
        "timesheets.Leave",
        "timesheets.Timesheet",
        "timesheets.TimeEntry",
        "support.SlaPolicy",
        "support.Ticket",
        "support.TicketPause",
        "support.TicketEvent",
        "support.TicketComment",
        "surveys.SurveyInvitation",
        "surveys.SurveyResponse",
        "kpis.KpiBand",
        "kpis.KpiSnapshot",
        "kpis.KpiRun",
        "kpis.KpiLock",
        "kpis.KpiAlertState",
        "kpis.KpiAlert",
    }
    assert expected <= labels


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_changelist_opens(admin_client, one_of_each, model):
    response = admin_client.get(_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_add_page_opens_unless_read_only(admin_client, admin_user, one_of_each, model, rf):
    request = rf.get("/")
    request.user = admin_user
    can_add = admin.site._registry[model].has_add_permission(request)
    response = admin_client.get(_url(model, "add"))
    assert response.status_code == (200 if can_add else 403)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_change_page_opens(admin_client, one_of_each, model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"no {model._meta.label} row to open"
    response = admin_client.get(_url(model, "change", obj.pk))
    assert response.status_code == 200
    assert response.context["original"] == obj


@pytest.mark.parametrize("model", OURS, ids=[model._meta.label for model in OURS])
def test_changelist_offers_csv_export(admin_client, one_of_each, model):
    response = admin_client.get(_url(model, "changelist"))
    actions = [name for name, _label in response.context["action_form"].fields["action"].choices]
    assert "export_as_csv" in actions


def test_ticket_sla_results_are_shown_read_only(admin_client, one_of_each):
    ticket = one_of_each["ticket"]
    response = admin_client.get(_url(Ticket, "change", ticket.pk))

    form_fields = set(response.context["adminform"].form.fields)
    readonly = set(response.context["adminform"].readonly_fields)
    sla = {"response_due_at", "resolution_due_at", "response_met", "resolution_met"}
    sla |= {"sla_decided_at", "sla_met"}
    assert sla <= readonly
    assert sla.isdisjoint(form_fields)
    assert "priority" in form_fields


def test_kpi_snapshot_is_read_only(admin_client, one_of_each):
    snapshot = KpiSnapshot.objects.get()
    response = admin_client.get(_url(KpiSnapshot, "change", snapshot.pk))
    assert response.context["has_change_permission"] is False
    assert response.context["has_delete_permission"] is False
    posted = admin_client.post(_url(KpiSnapshot, "change", snapshot.pk), {"key": "changed"})
    assert posted.status_code == 403
    snapshot.refresh_from_db()
    assert snapshot.key == "csat"
