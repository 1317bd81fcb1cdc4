"""The user references in docs/ are generated from the code and kept in step with it."""

from __future__ import annotations

import inspect
import io

import pytest
from django.core.management import CommandError, call_command

from synapse.exchange.management.commands.kpi_docs import generated_docs
from synapse.exchange.reference import exchange_reference
from synapse.exchange.schemas import FILES
from synapse.kpis.reference import band_text, kpi_reference
from synapse.kpis.registry import kpi_get, kpis_all
from tests.paths import REPO_ROOT


@pytest.mark.parametrize("name", sorted(generated_docs()))
def test_the_committed_doc_is_what_the_code_gives(name):
    committed = (REPO_ROOT / name).read_text(encoding="utf-8")
    assert committed == generated_docs()[name](), (
        f"{name} is out of date: run `python manage.py kpi_docs` (or `make docs`) and commit it"
    )


def test_kpi_docs_check_fails_on_a_stale_file_and_writes_nothing(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "kpis.md").write_text("# old\n", encoding="utf-8")

    with pytest.raises(CommandError, match="out of date: docs/kpis.md, docs/data-exchange.md"):
        call_command("kpi_docs", "--check", stdout=io.StringIO())
    assert (tmp_path / "docs" / "kpis.md").read_text(encoding="utf-8") == "# old\n"

    out = io.StringIO()
    call_command("kpi_docs", stdout=out)
    assert out.getvalue().splitlines() == ["wrote docs/kpis.md", "wrote docs/data-exchange.md"]
    assert (tmp_path / "docs" / "kpis.md").read_text(encoding="utf-8") == kpi_reference()
    call_command("kpi_docs", "--check", stdout=out)  # now up to date: no error


def test_every_kpi_has_a_documented_formula_and_appears_in_the_reference():
    reference = kpi_reference()
    for kpi in kpis_all():
        assert inspect.getdoc(kpi.formula), f"{kpi.key}: its formula has no docstring"
        assert f"| key | `{kpi.key}` |" in reference
        assert kpi.definition in reference


def test_bands_read_as_a_person_reads_them():
    assert band_text(kpi_get("billable_utilization")) == "75 – 85"
    assert band_text(kpi_get("sla_compliance")) == "≥ 99 (bad below 95)"
    assert band_text(kpi_get("mttr_hours_p1")) == "≤ 4"
    assert band_text(kpi_get("mttr_hours")) == "none"


def test_every_file_and_column_of_the_format_is_in_the_reference():
    reference = exchange_reference()
    for schema in FILES:
        assert f"### `{schema.name}`" in reference
        assert schema.about, f"{schema.name} has no description"
        for column in schema.columns:
            assert f"| `{column.name}` | {'yes' if column.required else ''} |" in reference
    assert "| `activity` | yes | one of `delivery`, `rework`, `support`, `internal`, " in reference
    assert "| `username` | yes | `employees.csv` username |" in reference
