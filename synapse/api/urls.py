"""API URLs: ``/api/v1/...``, the OpenAPI schema at ``/api/schema/``, docs at ``/api/docs/``."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from projects.api import views as projects
from support.api import views as support
from surveys.api import views as surveys
from synapse.api import views as kpis
from timesheets.api import views as timesheets

app_name = "api"

router = DefaultRouter()
router.register("clients", projects.ClientViewSet, basename="client")
router.register("contracts", projects.ContractViewSet, basename="contract")
router.register("projects", projects.ProjectViewSet, basename="project")
router.register("project-progress", projects.ProjectProgressViewSet, basename="progress")
router.register("project-expenses", projects.ProjectExpenseViewSet, basename="expense")
router.register("downtime", projects.DowntimeViewSet, basename="downtime")
router.register("employees", timesheets.EmployeeViewSet, basename="employee")
router.register("time-entries", timesheets.TimeEntryViewSet, basename="time-entry")
router.register("tickets", support.TicketViewSet, basename="ticket")
router.register("ticket-pauses", support.TicketPauseViewSet, basename="ticket-pause")
router.register("ticket-events", support.TicketEventViewSet, basename="ticket-event")
router.register("survey-invitations", surveys.SurveyInvitationViewSet, basename="survey-invitation")
router.register("survey-responses", surveys.SurveyResponseViewSet, basename="survey-response")
router.register("kpi-snapshots", kpis.KpiSnapshotViewSet, basename="kpi-snapshot")

urlpatterns = [
    path("v1/kpis/", kpis.KpiLiveView.as_view(), name="kpis"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    re_path(r"^.*$", kpis.not_found, name="not-found"),
]
