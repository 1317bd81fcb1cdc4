"""Reads of survey data for KPIs and pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from projects.models import ClientContact
from surveys.models import SurveyInvitation, SurveyKind, SurveyResponse
from synapse.kpis.engine import KpiContext, by_period, period_bucket
from synapse.kpis.periods import Period


def responses_in_period(ctx: KpiContext, kind: str) -> QuerySet[SurveyResponse]:
    """Return the responses of ``kind`` whose ``responded_at`` falls in the period."""
    return SurveyResponse.objects.filter(
        kind=kind, responded_at__gte=ctx.start_dt, responded_at__lt=ctx.end_dt
    )


_COUNTS = ("responses", "good", "promoters", "detractors")


def _score_counts(
    ctx: KpiContext, periods: tuple[Period, ...], kind: str
) -> dict[Period, list[tuple]]:
    """Return, per period, the rows (bucket, client code, project code, responses, good,
    promoters, detractors) of the responses of ``kind`` received in it — one query
    grouped by (period, client, project)."""
    start, end = ctx.span_dt(periods)
    queryset = ctx.narrow(
        SurveyResponse.objects.filter(kind=kind, responded_at__gte=start, responded_at__lt=end),
        client="client__code",
        project="project__code",
    )
    rows = (
        queryset.annotate(bucket=period_bucket("responded_at", periods, moment=True))
        .values("bucket", "client__code", "project__code")
        .annotate(
            responses=Count("pk"),
            good=Count("pk", filter=Q(kind=SurveyKind.CSAT, score__gte=4)),
            promoters=Count("pk", filter=Q(kind=SurveyKind.NPS, score__gte=9)),
            detractors=Count("pk", filter=Q(kind=SurveyKind.NPS, score__lte=6)),
        )
        .values_list("bucket", "client__code", "project__code", *_COUNTS)
        .order_by()
    )
    return by_period(rows, periods, bucket=0)


def _score_totals(ctx: KpiContext, found: list[list[tuple]]) -> dict[tuple[str, str], dict]:
    """Add the grouped rows of one or more periods up per scope: the company (key
    ``""``), each client and each project."""
    out: dict[tuple[str, str], dict] = {}
    if ctx.wants("company"):
        out[("company", "")] = dict.fromkeys(_COUNTS, 0)
    for rows in found:
        for _, client, project, *counts in rows:
            for scope, wanted in (
                (("company", ""), True),
                (("client", client), client is not None),
                (("project", project), project is not None),
            ):
                if wanted and ctx.wants(scope[0]):
                    totals = out.get(scope)
                    if totals is None:
                        totals = out[scope] = dict.fromkeys(_COUNTS, 0)
                    for name, count in zip(_COUNTS, counts, strict=True):
                        totals[name] += count
    return out


def survey_score_counts(ctx: KpiContext, kind: str) -> dict[tuple[str, str], dict]:
    """Return, per (scope kind, key), counts of the period's responses of ``kind``: all,
    good (csat 4–5), promoters (nps 9–10) and detractors (nps 0–6).

    One query grouped by (period, client, project), added up per scope (the company row
    has key ``""``); in a snapshot run gathered once by calendar month for all periods
    (``KpiContext.summed``).
    """
    return ctx.summed(
        f"surveys.scores.{kind}",
        lambda ctx, periods: _score_counts(ctx, periods, kind),
        lambda found: _score_totals(ctx, found),
    )


def _counted(model: type, field: str) -> Callable[[KpiContext, tuple[Period, ...]], dict]:
    def gather(ctx: KpiContext, periods: tuple[Period, ...]) -> dict[Period, list[tuple]]:
        start, end = ctx.span_dt(periods)
        rows = (
            model.objects.filter(**{f"{field}__gte": start, f"{field}__lt": end})
            .annotate(bucket=period_bucket(field, periods, moment=True))
            .values("bucket")
            .annotate(count=Count("pk"))
            .values_list("bucket", "count")
            .order_by()
        )
        return by_period(rows, periods, bucket=0)

    return gather


def _total(found: list[list[tuple]]) -> int:
    return sum(count for rows in found for _, count in rows)


def invitations_sent_count(ctx: KpiContext) -> int:
    """Return the number of survey invitations sent in the period (company-wide)."""
    return ctx.summed("surveys.invitations", _counted(SurveyInvitation, "sent_at"), _total)


def responses_count(ctx: KpiContext) -> int:
    """Return the number of survey responses (any kind) received in the period."""
    return ctx.summed("surveys.responses", _counted(SurveyResponse, "responded_at"), _total)


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
    """Return the survey kinds already sent to ``email`` (any case) after ``since``.

    An invitation whose email is still pending counts too: it is delivered at least
    once (``surveys.services.survey_mail_pending`` retries it until the mail server
    takes it), so counting it keeps a contact from being asked twice in the window,
    while a failed send no longer blocks the contact without ever reaching them.
    """
    return set(
        SurveyInvitation.objects.filter(contact_email__iexact=email, sent_at__gt=since)
        .values_list("kind", flat=True)
        .distinct()
    )
