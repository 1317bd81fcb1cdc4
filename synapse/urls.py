"""Top-level URLs."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from synapse.accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("synapse.accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("synapse.api.urls")),
    path("dashboard/", include("synapse.dashboards.urls")),
    path("survey/", include("surveys.urls")),
    path("timesheet/", include("timesheets.urls")),
    path("tickets/", include("support.urls")),
]
