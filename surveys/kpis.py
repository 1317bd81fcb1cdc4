"""Client KPIs (kpis.md "Clients"): CSAT, NPS and the survey response rate."""

from __future__ import annotations

from decimal import Decimal

from surveys import selectors
from surveys.models import SurveyKind
from synapse.kpis.engine import KpiContext
from synapse.kpis.periods import COMPANY, Scope
from synapse.kpis.registry import Kpi, register
from synapse.kpis.results import HUNDRED, KpiResult, percentage


def csat(*, good: int, responses: int) -> KpiResult:
    """Return responses scoring 4 or 5 / all CSAT responses × 100."""
    return percentage(good, responses, sample_size=responses)


def nps(*, promoters: int, detractors: int, responses: int) -> KpiResult:
    """Return % promoters (9–10) − % detractors (0–6) of NPS responses.

    Numerator is promoters − detractors, denominator the number of responses.
    """
    if responses == 0:
        return KpiResult(None, Decimal(0), Decimal(0), 0, "no NPS responses")
    net = Decimal(promoters - detractors)
    return KpiResult(net / responses * HUNDRED, net, Decimal(responses), responses)


def _csat(ctx: KpiContext) -> dict[Scope, KpiResult]:
    rows = selectors.survey_score_counts(ctx, SurveyKind.CSAT)
    return {
        Scope(kind, key): csat(good=row["good"], responses=row["responses"])
        for (kind, key), row in rows.items()
    }


def _nps(ctx: KpiContext) -> dict[Scope, KpiResult]:
    rows = selectors.survey_score_counts(ctx, SurveyKind.NPS)
    return {
        Scope(kind, key): nps(
            promoters=row["promoters"], detractors=row["detractors"], responses=row["responses"]
        )
        for (kind, key), row in rows.items()
    }


def survey_response_rate(*, responses: int, invitations: int) -> KpiResult:
    """Return responses received / invitations sent in the period × 100."""
    return percentage(responses, invitations, sample_size=invitations)


def _response_rate(ctx: KpiContext) -> dict[Scope, KpiResult]:
    return {
        COMPANY: survey_response_rate(
            responses=selectors.responses_count(ctx),
            invitations=selectors.invitations_sent_count(ctx),
        )
    }


register(
    Kpi(
        key="csat",
        label="Customer satisfaction (CSAT)",
        unit="%",
        area="clients",
        direction="higher",
        band=(Decimal(85), None),
        bad_below=Decimal(75),
        scopes=("company", "client", "project"),
        compute=_csat,
        formula=csat,
        definition="CSAT responses scoring 4 or 5 / all CSAT responses (1–5) in period × 100.",
    )
)
register(
    Kpi(
        key="nps",
        label="Net Promoter Score",
        unit="score",
        area="clients",
        direction="higher",
        band=(Decimal(50), None),
        scopes=("company", "client"),
        compute=_nps,
        formula=nps,
        definition="% promoters (9–10) − % detractors (0–6) of NPS responses (0–10) in period.",
    )
)
register(
    Kpi(
        key="survey_response_rate",
        label="Survey response rate",
        unit="%",
        area="clients",
        direction="higher",
        band=(Decimal(30), None),
        scopes=("company",),
        compute=_response_rate,
        formula=survey_response_rate,
        definition="Survey responses / invitations sent in period × 100.",
    )
)
