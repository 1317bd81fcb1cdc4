"""import_data's bulk load (PostgreSQL): a large time-entry file into an empty table.

The table's secondary indexes, unique constraint and foreign keys are dropped before
the rows are copied in and recreated after them, inside the import's transaction. What
the migrations made must be exactly what is there afterwards, and the constraints must
still hold for the imported rows.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from synapse.exchange import importer
from tests.exchange import test_import_batches
from tests.exchange.conftest import run_command, write_folder
from timesheets.models import TimeEntry

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL bulk load"),
]

HEADER = test_import_batches.HEADER
firm = test_import_batches.firm  # the example firm without its time entries (a fixture)
ROWS = [
    "E1,ann,2024-12-31,1.33,true,delivery,P1,,,\n",
    "E2,ann,2025-02-03,2,false,support,,,T1,a note\n",
    "E3,bob,2025-02-03,7.5,true,delivery,P1,,,\n",
]


def schema_of(table: str) -> tuple[list[tuple], list[tuple]]:
    """Return the indexes and the constraints of ``table`` as the catalog describes them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table]
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid), condeferrable, condeferred"
            " FROM pg_constraint WHERE conrelid = %s::regclass ORDER BY 1",
            [table],
        )
        constraints = cursor.fetchall()
    return indexes, constraints


@pytest.fixture
def bulk(monkeypatch):
    """Any time-entry file is large enough for the bulk load."""
    monkeypatch.setattr(importer, "BULK_MIN_BYTES", 0)


def statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries]


def test_a_bulk_import_leaves_the_indexes_and_constraints_as_the_migrations_made_them(
    bulk, firm, tmp_path
):
    # The firm's rows are in this test's transaction, their deferred foreign-key checks
    # pending: PostgreSQL alters no table with pending checks unless they are run first.
    before = schema_of("timesheets_timeentry")
    assert len(before[0]) == 9  # the primary key and 8 secondary indexes (migration 0005)
    assert sum(1 for c in before[1] if c[1] == "f") == 5
    folder = write_folder(tmp_path / "e", {"time_entries.csv": HEADER + "".join(ROWS)})
    with CaptureQueriesContext(connection) as queries:
        status, out, err = run_command("import_data", str(folder))
    assert status == 0, err
    sql = statements(queries)
    assert sum(s.startswith("DROP INDEX") for s in sql) == 7
    # The unique entry_id only: the foreign keys stay (dropping one would lock the
    # employees, projects, contracts and tickets for the whole import).
    assert sum("DROP CONSTRAINT" in s for s in sql) == 1
    assert not any("FOREIGN KEY" in s for s in sql)
    assert sum(s.startswith("CREATE INDEX") for s in sql) == 7
    assert schema_of("timesheets_timeentry") == before
    e1, e2, e3 = TimeEntry.objects.order_by("entry_id")
    assert (e1.cost, e1.bill_value) == (Decimal("66.50"), Decimal("186.20"))
    assert (e2.note, e2.cost_contract.code) == ("a note", "MS1")
    assert (e3.employee.user.username, e3.hours) == ("bob", Decimal("7.50"))


def test_a_dry_run_or_a_failed_bulk_import_rolls_the_schema_back_too(bulk, firm, tmp_path):
    before = schema_of("timesheets_timeentry")
    folder = write_folder(tmp_path / "e", {"time_entries.csv": HEADER + "".join(ROWS)})
    status, out, err = run_command("import_data", str(folder), "--dry-run")
    assert status == 0, err
    assert "3 created" in out
    bad = write_folder(
        tmp_path / "bad",
        {"time_entries.csv": HEADER + "".join(ROWS) + "E4,ann,2025-02-04,25,true,delivery,P1,,,\n"},
    )
    status, _, err = run_command("import_data", str(bad))
    assert status == 1
    assert err.splitlines()[0].startswith("time_entries.csv:5: hours:")
    assert schema_of("timesheets_timeentry") == before
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize(
    ("rows", "broken"),
    [
        ([("X1", "ann"), ("X1", "bob")], "entry_entry_id_unique"),
        ([("X1", "ann"), ("X2", None)], "timesheets_timeentry_employee_id_6008355d_fk"),
    ],
)
def test_the_recreated_constraints_check_every_row(bulk, firm, rows, broken):
    """A row breaking the unique key or a foreign key makes the recreation fail."""
    load = importer._BulkLoad.start(TimeEntry)
    assert load is not None
    employees = dict(
        TimeEntry._meta.get_field("employee").related_model.objects.values_list(
            "user__username", "pk"
        )
    )
    with connection.cursor() as cursor:
        for entry_id, username in rows:
            cursor.execute(
                "INSERT INTO timesheets_timeentry (entry_id, date, hours, billable, activity,"
                " note, cost, bill_value, employee_id)"
                " VALUES (%s, '2025-02-03', 100, true, 'delivery', '', 0, 0, %s)",
                [entry_id, employees.get(username, 999_999)],
            )
    with pytest.raises(IntegrityError, match=broken):
        load.finish()


def test_a_table_that_holds_rows_is_loaded_row_by_row(bulk, firm, tmp_path):
    first = write_folder(tmp_path / "a", {"time_entries.csv": HEADER + ROWS[0]})
    assert run_command("import_data", str(first))[0] == 0
    folder = write_folder(tmp_path / "b", {"time_entries.csv": HEADER + "".join(ROWS[1:])})
    with CaptureQueriesContext(connection) as queries:
        status, _, err = run_command("import_data", str(folder))
    assert status == 0, err
    assert not any("DROP INDEX" in s for s in statements(queries))
    assert TimeEntry.objects.count() == 3
