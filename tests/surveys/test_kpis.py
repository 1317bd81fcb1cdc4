"""Client KPIs (kpis.md "Clients"): CSAT, NPS and the survey response rate.

The formulas first, table-driven with no database; then the engine on a few responses
in February 2025 at company, client and project scope.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from surveys.kpis import csat, nps, survey_response_rate
from synapse.kpis.engine import kpis_compute
from synapse.kpis.periods import COMPANY, Period, Scope
from tests.factories import (
    ClientFactory,
    ProjectFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
)

FEB = Period.month(2025, 2)
AFTER_FEB = dt.datetime(2025, 3, 15, 12, tzinfo=dt.UTC)
IN_FEB = dt.datetime(2025, 2, 10, 9, tzinfo=dt.UTC)
D = Decimal


# --- formulas (no database) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("good", "responses", "expected"),
    [
        (8, 10, D(80)),
        (10, 10, D(100)),
        (0, 10, D(0)),
        (1, 3, D(1) / 3 * 100),
    ],
)
def test_csat_formula(good, responses, expected):
    result = csat(good=good, responses=responses)
    assert result.value == expected
    assert (result.numerator, result.denominator) == (good, responses)
    assert result.sample_size == responses


def test_csat_without_responses_has_no_value_and_a_reason():
    result = csat(good=0, responses=0)
    assert result.value is None
    assert result.reason == "empty denominator"
    assert result.sample_size == 0


@pytest.mark.parametrize(
    ("promoters", "detractors", "responses", "expected"),
    [
        (6, 2, 10, D(40)),  # 2 passives
        (10, 0, 10, D(100)),
        (0, 10, 10, D(-100)),
        (3, 3, 8, D(0)),
        (1, 2, 4, D(-25)),
    ],
)
def test_nps_formula(promoters, detractors, responses, expected):
    result = nps(promoters=promoters, detractors=detractors, responses=responses)
    assert result.value == expected
    assert (result.numerator, result.denominator) == (promoters - detractors, responses)
    assert result.sample_size == responses


def test_nps_without_responses_has_no_value_and_a_reason():
    result = nps(promoters=0, detractors=0, responses=0)
    assert result.value is None
    assert result.reason == "no NPS responses"
    assert result.sample_size == 0


@pytest.mark.parametrize(
    ("responses", "invitations", "expected"),
    [(3, 10, D(30)), (0, 4, D(0)), (5, 4, D(125))],
)
def test_survey_response_rate_formula(responses, invitations, expected):
    result = survey_response_rate(responses=responses, invitations=invitations)
    assert result.value == expected
    assert (result.numerator, result.denominator) == (responses, invitations)
    assert result.sample_size == invitations


def test_survey_response_rate_without_invitations_has_no_value_and_a_reason():
    result = survey_response_rate(responses=2, invitations=0)
    assert result.value is None
    assert result.reason == "empty denominator"


# --- through the engine ----------------------------------------------------------------


def value(key: str, scope: Scope = COMPANY):
    """Return the KpiValue of one client KPI for one scope in February 2025."""
    return kpis_compute(period=FEB, scope=scope, as_of=AFTER_FEB, keys=[key])[key]


def responses(kind: str, scores: list[int], **kwargs) -> None:
    for score in scores:
        SurveyResponseFactory(kind=kind, score=score, responded_at=IN_FEB, **kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scores", "good"),
    [([3], 0), ([4], 1), ([5], 1), ([1, 2, 3, 4], 1), ([3, 4, 5, 5], 3)],
)
def test_csat_counts_scores_of_4_and_5_as_good(scores, good):
    responses("csat", scores, client=ClientFactory())
    result = value("csat").result
    assert result.value == D(good) / len(scores) * 100
    assert (result.numerator, result.denominator) == (good, len(scores))
    assert result.sample_size == len(scores)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("score", "expected"),
    [(0, D(-100)), (6, D(-100)), (7, D(0)), (8, D(0)), (9, D(100)), (10, D(100))],
)
def test_nps_detractors_are_0_to_6_passives_7_and_8_promoters_9_and_10(score, expected):
    responses("nps", [score], client=ClientFactory())
    result = value("nps").result
    assert result.value == expected
    assert result.sample_size == 1


@pytest.mark.django_db
def test_csat_and_nps_per_company_client_and_project():
    acme, globex = ClientFactory(code="ACME"), ClientFactory(code="GLOBEX")
    rollout = ProjectFactory(code="ROLLOUT", client=acme)
    responses("csat", [5, 4, 2], client=acme, project=rollout)  # 2 good of 3
    responses("csat", [5], client=acme)  # no project
    responses("csat", [3, 1], client=globex)  # 0 good of 2
    responses("nps", [10, 9, 8, 3], client=acme)  # 2 promoters, 1 detractor of 4
    responses("nps", [6], client=globex)  # 1 detractor
    # Outside February: counted in no period asked here.
    SurveyResponseFactory(kind="csat", score=1, client=acme, responded_at=AFTER_FEB)

    company = value("csat").result
    assert (company.numerator, company.denominator, company.sample_size) == (3, 6, 6)
    assert company.value == D(50)

    by_client = value("csat", Scope("client", "ACME")).result
    assert (by_client.numerator, by_client.denominator) == (3, 4)
    assert by_client.value == D(75)
    assert value("csat", Scope("client", "GLOBEX")).result.value == D(0)

    by_project = value("csat", Scope("project", "ROLLOUT")).result
    assert (by_project.numerator, by_project.denominator) == (2, 3)
    assert by_project.value == D(2) / 3 * 100

    company_nps = value("nps").result
    assert (company_nps.numerator, company_nps.denominator) == (0, 5)  # 2 − 2 of 5
    assert company_nps.value == D(0)
    assert value("nps", Scope("client", "ACME")).result.value == D(25)
    assert value("nps", Scope("client", "GLOBEX")).result.value == D(-100)


@pytest.mark.django_db
def test_no_responses_in_the_period_gives_no_value():
    SurveyResponseFactory(kind="csat", score=5, responded_at=AFTER_FEB)
    for key in ("csat", "nps"):
        found = value(key)
        assert found.value is None
        assert found.result.sample_size == 0
        assert found.status == "no_data"
    # A client without responses in the period has no result at all.
    assert value("csat", Scope("client", "NOBODY")).result.reason == "no data in period"


@pytest.mark.django_db
def test_survey_response_rate_is_responses_of_any_kind_over_invitations_sent():
    client = ClientFactory()
    for _ in range(4):
        SurveyInvitationFactory(client=client, sent_at=IN_FEB)
    SurveyInvitationFactory(client=client, sent_at=AFTER_FEB)  # March: not in February
    responses("csat", [5], client=client)
    responses("nps", [2], client=client)

    result = value("survey_response_rate").result
    assert (result.numerator, result.denominator, result.sample_size) == (2, 4, 4)
    assert result.value == D(50)
