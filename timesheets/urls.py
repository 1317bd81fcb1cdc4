"""URLs of the weekly timesheet and the approval queue (mounted at ``/timesheet/``)."""

from __future__ import annotations

from django.urls import path

from timesheets import views

app_name = "timesheets"

urlpatterns = [
    path("", views.week, name="week"),
    path("cell/", views.cell, name="cell"),
    path("rows/", views.add_row, name="add_row"),
    path("copy-last-week/", views.copy_last_week, name="copy_last_week"),
    path("submit/", views.submit, name="submit"),
    path("approvals/", views.approvals, name="approvals"),
    path("sheets/<int:pk>/", views.sheet_detail, name="sheet"),
    path("sheets/<int:pk>/approve/", views.approve, name="approve"),
    path("sheets/<int:pk>/reject/", views.reject, name="reject"),
]
