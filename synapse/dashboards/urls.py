"""Dashboard URLs (included at ``dashboard/``)."""

from __future__ import annotations

from django.urls import path

from synapse.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("me/", views.my_numbers, name="me"),
    path("kpi/<slug:key>/", views.kpi_detail, name="kpi"),
    path("client/<str:code>/", views.client_health, name="client"),
    path("project/<str:code>/", views.project_health, name="project"),
    path("employee/<str:username>/", views.employee_health, name="employee"),
]
