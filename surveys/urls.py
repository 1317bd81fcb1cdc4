from __future__ import annotations

from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("thanks/", views.survey_thanks, name="thanks"),
    path("<str:token>/", views.survey_answer_view, name="answer"),
]
