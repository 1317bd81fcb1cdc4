"""URLs of the ticket desk (``/tickets/``)."""

from __future__ import annotations

from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("new/", views.ticket_create, name="ticket_create"),
    path("<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("<int:pk>/edit/", views.ticket_edit, name="ticket_edit"),
    path("<int:pk>/status/", views.ticket_transition_view, name="ticket_transition"),
    path("<int:pk>/assign/", views.ticket_assign_view, name="ticket_assign"),
    path("<int:pk>/escalate/", views.ticket_escalate_view, name="ticket_escalate"),
    path("<int:pk>/comments/", views.ticket_comment_view, name="ticket_comment"),
]
