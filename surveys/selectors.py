"""Reads of survey data for KPIs and pages."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from projects.models import ClientContact
from surveys.models import SurveyInvitation, SurveyKind, SurveyResponse
from synapse.kpis.engine import KpiContext


def responses_in_period(ctx: KpiContext, kind: str) -> QuerySet[SurveyResponse]:
    """Return the responses of ``kind`` whose ``responded_at`` falls in the period."""
    return SurveyResponse.objects.filter(
        kind=kind, responded_at__gte=ctx.start_dt, responded_at__lt=ctx.end_dt
    )


def survey_score_counts(ctx: KpiContext, kind: str) -> dict[tuple[str, str], dict]:
    """Return, per (scope kind, key), counts of responses: all, good (csat 4–5),
    promoters (nps 9–10) and detractors (nps 0–6) — one grouped query per scope kind.

    The company row has key ``""``.
    """
    counts = {
        "responses": Count("pk"),
        "good": Count("pk", filter=Q(kind=SurveyKind.CSAT, score__gte=4)),
        "promoters": Count("pk", filter=Q(kind=SurveyKind.NPS, score__gte=9)),
        "detractors": Count("pk", filter=Q(kind=SurveyKind.NPS, score__lte=6)),
    }
    queryset = ctx.narrow(
        responses_in_period(ctx, kind), client="client__code", project="project__code"
    )
    out: dict[tuple[str, str], dict] = {}
    if ctx.wants("company"):
        out[("company", "")] = queryset.aggregate(**counts)
    for kind_name, field in (("client", "client__code"), ("project", "project__code")):
        if ctx.wants(kind_name):
            for row in queryset.values(field).annotate(**counts).order_by():
                if row[field] is not None:
                    out[(kind_name, row[field])] = row
    return out


def invitations_sent_count(ctx: KpiContext) -> int:
    """Return the number of survey invitations sent in the period (company-wide)."""
    return SurveyInvitation.objects.filter(
        sent_at__gte=ctx.start_dt, sent_at__lt=ctx.end_dt
    ).count()


def responses_count(ctx: KpiContext) -> int:
    """Return the number of survey responses (any kind) received in the period."""
    return SurveyResponse.objects.filter(
        responded_at__gte=ctx.start_dt, responded_at__lt=ctx.end_dt
    ).count()


def survey_contact_for(*, client_id: int, role: str) -> ClientContact | None:
    """Return the client's contact to survey: the first active one with ``role``, else the
    first active contact of any role, else None (one query)."""
    preference = Case(When(role=role, then=Value(0)), default=Value(1), output_field=IntegerField())
    return (
        ClientContact.objects.filter(client_id=client_id, is_active=True)
        .order_by(preference, "pk")
        .first()
    )


def survey_kinds_sent_recently(*, email: str, since: dt.datetime) -> set[str]:
    """Return the survey kinds already sent to ``email`` (any case) after ``since``."""
    return set(
        SurveyInvitation.objects.filter(contact_email__iexact=email, sent_at__gt=since)
        .values_list("kind", flat=True)
        .distinct()
    )
