"""The KPI engine end to end on one KPI: CSAT's worked example through kpi_report."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from projects.models import Client
from synapse.fields import MoneyField
from tests.factories import ClientFactory, ContractFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db


def test_csat_worked_example_34_of_40_is_85_through_kpi_report():
    client = ClientFactory(code="C1")
    for i in range(40):
        SurveyResponseFactory(
            client=client,
            score=5 if i < 34 else 2,
            responded_at=dt.datetime(2025, 2, 1 + i % 28, 12, tzinfo=dt.UTC),
        )
    out = io.StringIO()
    call_command("kpi_report", "--start", "2025-02-01", "--end", "2025-02-28", stdout=out)
    csat = json.loads(out.getvalue())["kpis"]["csat"]
    assert csat["value"] == 85.0
    assert (csat["numerator"], csat["denominator"], csat["sample_size"]) == (34.0, 40.0, 40)
    assert csat["status"] == "within"
    assert csat["band"] == [85.0, None]


def test_money_field_sums_exactly_in_the_database():
    for fee in ("0.10", "0.20", "1234567.89"):
        ContractFactory(monthly_fee=Decimal(fee))
    from django.db.models import Sum

    from projects.models import Contract

    total = Contract.objects.aggregate(total=Sum("monthly_fee"))["total"]
    assert total == Decimal("1234568.19")
    assert isinstance(Contract._meta.get_field("monthly_fee"), MoneyField)


def test_unknown_scope_exits_with_status_2():
    Client.objects.create(code="C1", name="x", became_client_on=dt.date(2024, 1, 1))
    with pytest.raises(CommandError, match="unknown scope client:NOPE") as exc:
        call_command(
            "kpi_report", "--start", "2025-02-01", "--end", "2025-02-28", "--scope", "client:NOPE"
        )
    assert exc.value.returncode == 2
