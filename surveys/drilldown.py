"""The records behind the client survey KPIs (dashboard drill-down)."""

from __future__ import annotations

from surveys.models import SurveyInvitation, SurveyKind
from surveys.selectors import responses_in_period
from synapse.kpis.drilldown import Column, Records, drilldown_register
from synapse.kpis.engine import KpiContext

RESPONSE_COLUMNS = (
    Column("Response", "response_id"),
    Column("Received", "responded_at", "datetime"),
    Column("Client", "client.name"),
    Column("Project", "project.code"),
    Column("Ticket", "ticket.ref"),
    Column("Score", "score", "number"),
    Column("Comment", "comment"),
)


def _responses(ctx: KpiContext, kind: str, title: str) -> Records:
    responses = ctx.narrow(
        responses_in_period(ctx, kind), client="client__code", project="project__code"
    )
    return Records(
        title=title,
        queryset=responses.select_related("client", "project", "ticket").order_by(
            "-responded_at", "response_id"
        ),
        columns=RESPONSE_COLUMNS,
        admin_view="admin:surveys_surveyresponse_change",
    )


@drilldown_register("csat")
def csat_responses(ctx: KpiContext) -> Records:
    """Return the CSAT responses received in the period."""
    return _responses(ctx, SurveyKind.CSAT, "CSAT responses received in the period")


@drilldown_register("nps")
def nps_responses(ctx: KpiContext) -> Records:
    """Return the NPS responses received in the period."""
    return _responses(ctx, SurveyKind.NPS, "NPS responses received in the period")


@drilldown_register("survey_response_rate")
def invitations_sent(ctx: KpiContext) -> Records:
    """Return the invitations sent in the period (the rate's denominator).

    The same filter as ``surveys.selectors.invitations_sent_count``; the numerator
    counts the responses received in the period, whichever invitation they answer.
    """
    invitations = SurveyInvitation.objects.filter(sent_at__gte=ctx.start_dt, sent_at__lt=ctx.end_dt)
    return Records(
        title="Survey invitations sent in the period",
        queryset=invitations.select_related("client", "project", "ticket").order_by(
            "-sent_at", "invitation_id"
        ),
        columns=(
            Column("Invitation", "invitation_id"),
            Column("Kind", "get_kind_display"),
            Column("Sent", "sent_at", "datetime"),
            Column("Client", "client.name"),
            Column("Project", "project.code"),
            Column("Ticket", "ticket.ref"),
            Column("Answered", "used_at", "datetime"),
        ),
        admin_view="admin:surveys_surveyinvitation_change",
        note="The numerator counts responses received in the period, to any invitation.",
    )
