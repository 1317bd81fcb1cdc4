"""Drill-down: every KPI lists exactly the records its value rests on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from projects.models import Project
from synapse.kpis.drilldown import Column, Records, drilldown_get, drilldown_keys
from synapse.kpis.engine import KpiContext, kpis_compute
from synapse.kpis.periods import COMPANY, Scope
from synapse.kpis.registry import kpis_all
from tests.dashboards.conftest import MARCH, NOW
from tests.factories import (
    ClientFactory,
    EmployeeFactory,
    ProjectFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
    TicketFactory,
    TimeEntryFactory,
)
from timesheets.models import TimeEntry
from timesheets.policies import may_see_money


def test_every_kpi_has_a_drilldown():
    assert {kpi.key for kpi in kpis_all()} <= drilldown_keys()


@pytest.fixture
def march(firm):
    """Add to the firm: rework, a project whose 30-day window ends in March with two
    tickets inside it and one after, an NPS response and survey invitations."""
    staff = firm["employees"][0]
    TimeEntryFactory(
        employee=staff,
        project=firm["projects"][0],
        date=dt.date(2025, 3, 6),
        hours=Decimal(4),
        activity="rework",
    )
    client = ClientFactory(code="C900", became_client_on=dt.date(2025, 3, 3))
    early = ProjectFactory(
        code="P900",
        client=client,
        status=Project.Status.COMPLETED,
        actual_start=dt.date(2025, 1, 2),
        actual_end=dt.date(2025, 2, 10),
        user_count=50,
    )
    for day in (12, 20):  # inside (10 Feb, 12 Mar]
        TicketFactory(
            client=client, project=early, opened_at=dt.datetime(2025, 2, day, 9, tzinfo=dt.UTC)
        )
    TicketFactory(client=client, project=early, opened_at=dt.datetime(2025, 3, 20, tzinfo=dt.UTC))
    SurveyResponseFactory(
        client=client, kind="nps", score=9, responded_at=dt.datetime(2025, 3, 5, tzinfo=dt.UTC)
    )
    for day in (2, 9):
        SurveyInvitationFactory(client=client, sent_at=dt.datetime(2025, 3, day, tzinfo=dt.UTC))
    return firm


def records_of(key: str, scope=COMPANY):
    ctx = KpiContext(period=MARCH, as_of=NOW, kinds=frozenset({scope.kind}), only=scope)
    return drilldown_get(key)(ctx)


def kpi(key: str, scope=COMPANY):
    return kpis_compute(period=MARCH, scope=scope, as_of=NOW, keys=[key])[key].result


@pytest.mark.parametrize(
    ("key", "measure"),
    [
        ("project_gross_margin", "sample_size"),
        ("avg_project_cycle_time", "sample_size"),
        ("cost_overrun", "sample_size"),
        ("integration_success_rate", "denominator"),
        ("mttr_hours", "sample_size"),
        ("mttr_hours_p3", "sample_size"),
        ("first_contact_resolution", "denominator"),
        ("escalation_rate", "denominator"),
        ("post_integration_ticket_ratio", "numerator"),
        ("csat", "sample_size"),
        ("nps", "sample_size"),
        ("survey_response_rate", "denominator"),
        ("client_retention", "denominator"),
        ("customer_acquisition_cost", "denominator"),
    ],
)
def test_drilldown_counts_the_records_the_kpi_counts(march, now, key, measure):
    count = records_of(key).queryset.count()
    assert count > 0
    assert count == getattr(kpi(key), measure)


def test_post_integration_lists_only_tickets_inside_the_window(march, now):
    refs = [t.project.code for t in records_of("post_integration_ticket_ratio").queryset]
    assert refs == ["P900", "P900"]


def test_rework_drilldown_sums_to_the_hours_behind_the_rate(march, now):
    entries = records_of("rework_rate").queryset
    result = kpi("rework_rate")
    assert sum(e.hours for e in entries) == result.denominator == Decimal(3 * 3 * 8 + 4)
    assert sum(e.hours for e in entries if e.activity == "rework") == result.numerator


def test_utilization_drilldown_sums_to_the_billable_hours(march, now):
    entries = records_of("billable_utilization").queryset
    assert sum(e.hours for e in entries) == kpi("billable_utilization").numerator


def test_drilldown_narrows_to_the_scope_like_the_kpi(march, now):
    scope = Scope("client", "C001")
    projects = records_of("project_gross_margin", scope).queryset
    assert [p.code for p in projects] == ["P001"]
    assert kpi("project_gross_margin", scope).sample_size == 1
    tickets = records_of("mttr_hours", Scope("employee", "staff2")).queryset
    assert [t.assignee.user.username for t in tickets] == ["staff2"]


def test_mrr_drilldown_lists_the_contracts_active_at_close(march, now):
    contracts = records_of("mrr").queryset
    assert sum(c.monthly_fee for c in contracts) == kpi("mrr").value


def test_drilldown_rows_link_to_their_admin_page(march, now):
    records = records_of("csat")
    first = records.queryset.first()
    assert records.admin_url(first) == f"/admin/surveys/surveyresponse/{first.pk}/change/"


def test_money_columns_are_left_out_for_those_who_may_not_see_money(db):
    records = Records(
        title="Entries",
        queryset=TimeEntry.objects.none(),
        columns=(Column("Hours", "hours", "hours"), Column("Cost", "cost", "money")),
        admin_view="admin:timesheets_timeentry_change",
    )
    manager = EmployeeFactory(role="manager").user
    executive = EmployeeFactory(role="executive").user

    def shown(user):
        return [c.label for c in records.for_viewer(sees_money=may_see_money(user)).columns]

    assert shown(manager) == ["Hours"]
    assert shown(executive) == ["Hours", "Cost"]
