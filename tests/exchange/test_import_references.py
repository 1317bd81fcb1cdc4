"""New time entries copied in with PostgreSQL's own foreign-key triggers checking every
row: a batch pointing at a missing row is refused with the database's message and the
import keeps nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from synapse.exchange import importer
from tests.exchange import test_import_batches
from tests.exchange.conftest import run_command, write_folder
from timesheets.models import Employee, TimeEntry

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's foreign-key triggers"
)

HEADER = test_import_batches.HEADER
firm = test_import_batches.firm  # the example firm without its time entries (a fixture)
COLUMNS = importer._insert_plan(TimeEntry)[1]


def entry_row(entry_id: str, employee_id: int, **columns) -> list:
    """A time entry as the COPY takes it, in ``_insert_plan`` column order."""
    values = {
        "entry_id": entry_id,
        "date": dt.date(2025, 2, 3),
        "hours": 100,
        "billable": True,
        "activity": "delivery",
        "note": "",
        "cost": 0,
        "bill_value": 0,
        "employee_id": employee_id,
        **columns,
    }
    return [values.get(column) for column in COLUMNS]


def copy(rows: list[list]) -> str | None:
    connection.ensure_connection()
    table = connection.ops.quote_name(TimeEntry._meta.db_table)
    return importer._copy_in_savepoint(connection.connection, table, COLUMNS, rows)


@pytest.mark.django_db
def test_a_batch_whose_rows_all_exist_is_copied(firm):
    ann, bob = (Employee.objects.get(user__username=name).pk for name in ("ann", "bob"))
    rows = [entry_row("X1", ann), entry_row("X2", bob), entry_row("X3", ann)]

    assert copy(rows) is None
    assert sorted(TimeEntry.objects.values_list("entry_id", "employee_id")) == [
        ("X1", ann),
        ("X2", bob),
        ("X3", ann),
    ]


@pytest.mark.django_db
def test_a_batch_pointing_at_a_missing_row_is_refused_by_the_database(firm):
    ann = Employee.objects.get(user__username="ann").pk
    rows = [entry_row("X1", ann), entry_row("X2", 999_999)]

    message = copy(rows)

    assert message is not None
    assert "timesheets_timeentry_employee_id_6008355d_fk" in message
    assert not TimeEntry.objects.exists()


@pytest.mark.django_db
def test_a_bulk_import_reports_a_reference_the_database_lost_with_its_line(
    firm, tmp_path, monkeypatch
):
    """The import checks codes itself; should a referenced row vanish before the copy,
    the batch is refused and the import reports it and keeps nothing."""
    monkeypatch.setattr(importer, "BULK_MIN_BYTES", 0)
    real = importer._copy_in_savepoint
    bob = Employee.objects.get(user__username="bob").pk
    employee = COLUMNS.index("employee_id")

    def copy_after_losing_bob(raw, table, columns, rows):  # on the import's writer thread
        if columns == COLUMNS:
            for row in rows:
                if row[employee] == bob:
                    row[employee] = 999_999
        return real(raw, table, columns, rows)

    monkeypatch.setattr(importer, "_copy_in_savepoint", copy_after_losing_bob)
    rows = "E1,ann,2025-02-03,1,true,delivery,P1,,,\nE2,bob,2025-02-03,2,true,delivery,P1,,,\n"
    folder = write_folder(tmp_path / "e", {"time_entries.csv": HEADER + rows})

    status, _, err = run_command("import_data", str(folder))

    assert status == 1
    first = err.splitlines()[0]
    assert first.startswith("time_entries.csv:2: -: the database refused the rows:")
    assert "timesheets_timeentry_employee_id_6008355d_fk" in first
    assert not TimeEntry.objects.exists()


@pytest.mark.django_db
def test_a_bulk_import_keeps_every_reference(firm, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BULK_MIN_BYTES", 0)
    rows = (
        "E1,ann,2024-12-31,1.33,true,delivery,P1,,,\n"
        "E2,ann,2025-02-03,2,false,support,,,T1,a note\n"
        "E3,bob,2025-02-03,7.5,true,delivery,P1,,,\n"
    )
    folder = write_folder(tmp_path / "e", {"time_entries.csv": HEADER + rows})

    status, _, err = run_command("import_data", str(folder))

    assert status == 0, err
    e1, e2, e3 = TimeEntry.objects.select_related("project", "ticket", "cost_contract").order_by(
        "entry_id"
    )
    assert (e1.project.code, e2.ticket.ref, e2.cost_contract.code) == ("P1", "T1", "MS1")
    assert e3.employee.user.username == "bob"
