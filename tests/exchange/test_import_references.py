"""New time entries copied in with their foreign keys checked per referenced row
(PostgreSQL): ``_ReferenceLocks`` locks the employees, projects, contracts and tickets a
batch points to ``FOR KEY SHARE`` and the COPY runs with the row-by-row foreign-key
triggers off (``session_replication_role = replica``), only when every one exists.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

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


def replication_role() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        return cursor.fetchone()[0]


def copy(rows: list[list], locks: importer._ReferenceLocks | None) -> str | None:
    connection.ensure_connection()
    table = connection.ops.quote_name(TimeEntry._meta.db_table)
    return importer._copy_in_savepoint(connection.connection, table, COLUMNS, rows, locks)


@pytest.mark.django_db
def test_the_locks_cover_every_foreign_key_of_a_time_entry(firm):
    locks = importer._ReferenceLocks.of(TimeEntry, COLUMNS)
    assert locks is not None  # the tests' role is a superuser
    referenced = {(COLUMNS[position], table) for position, table, _ in locks.references}
    assert referenced == {
        ("employee_id", '"timesheets_employee"'),
        ("project_id", '"projects_project"'),
        ("contract_id", '"projects_contract"'),
        ("cost_contract_id", '"projects_contract"'),
        ("ticket_id", '"support_ticket"'),
    }
    # The probe left nothing behind.
    assert replication_role() == "origin"


@pytest.mark.django_db
def test_a_role_that_may_not_turn_triggers_off_keeps_them_for_every_row(firm):
    with connection.cursor() as cursor:
        # Rolled back with the test's transaction, like the role itself.
        cursor.execute("CREATE ROLE synapse_plain_importer NOSUPERUSER")
        cursor.execute("SET LOCAL ROLE synapse_plain_importer")
        assert importer._ReferenceLocks.of(TimeEntry, COLUMNS) is None
        cursor.execute("RESET ROLE")


@pytest.mark.django_db
def test_a_batch_whose_rows_all_exist_is_locked_once_and_copied(firm):
    ann, bob = (Employee.objects.get(user__username=name).pk for name in ("ann", "bob"))
    locks = importer._ReferenceLocks.of(TimeEntry, COLUMNS)
    rows = [entry_row("X1", ann), entry_row("X2", bob), entry_row("X3", ann)]

    assert copy(rows, locks) is None
    assert sorted(TimeEntry.objects.values_list("entry_id", "employee_id")) == [
        ("X1", ann),
        ("X2", bob),
        ("X3", ann),
    ]
    employee_locks = locks.locked[[COLUMNS[p] for p, _, _ in locks.references].index("employee_id")]
    assert employee_locks == {ann, bob}
    assert replication_role() == "origin"


@pytest.mark.django_db
def test_a_batch_pointing_at_a_missing_row_is_refused_by_the_database(firm):
    ann = Employee.objects.get(user__username="ann").pk
    locks = importer._ReferenceLocks.of(TimeEntry, COLUMNS)
    rows = [entry_row("X1", ann), entry_row("X2", 999_999)]

    message = copy(rows, locks)

    assert message is not None
    assert "timesheets_timeentry_employee_id_6008355d_fk" in message
    assert not TimeEntry.objects.exists()
    assert replication_role() == "origin"
    assert all(not locked for locked in locks.locked)  # forgotten with the savepoint


@pytest.mark.django_db
def test_a_bulk_import_reports_a_reference_the_database_lost_with_its_line(
    firm, tmp_path, monkeypatch
):
    """The import checks codes itself; should a referenced row vanish before the copy,
    the batch is refused and the import reports it and keeps nothing."""
    monkeypatch.setattr(importer, "BULK_MIN_BYTES", 0)
    real = importer._ReferenceLocks.lock

    bob = Employee.objects.get(user__username="bob").pk

    def lock_after_losing_bob(self, cursor, rows):  # on the import's writer thread
        for row in rows:
            if row[COLUMNS.index("employee_id")] == bob:
                row[COLUMNS.index("employee_id")] = 999_999
        return real(self, cursor, rows)

    monkeypatch.setattr(importer._ReferenceLocks, "lock", lock_after_losing_bob)
    rows = "E1,ann,2025-02-03,1,true,delivery,P1,,,\nE2,bob,2025-02-03,2,true,delivery,P1,,,\n"
    folder = write_folder(tmp_path / "e", {"time_entries.csv": HEADER + rows})

    status, _, err = run_command("import_data", str(folder))

    assert status == 1
    first = err.splitlines()[0]
    assert first.startswith("time_entries.csv:2: -: the database refused the rows:")
    assert "timesheets_timeentry_employee_id_6008355d_fk" in first
    assert not TimeEntry.objects.exists()


@pytest.mark.django_db
def test_a_bulk_import_copies_with_the_triggers_off_and_keeps_every_reference(
    firm, tmp_path, monkeypatch
):
    monkeypatch.setattr(importer, "BULK_MIN_BYTES", 0)
    used: list[bool] = []
    real = importer._ReferenceLocks.lock

    def lock(self, cursor, rows):
        used.append(real(self, cursor, rows))
        return used[-1]

    monkeypatch.setattr(importer._ReferenceLocks, "lock", lock)
    rows = (
        "E1,ann,2024-12-31,1.33,true,delivery,P1,,,\n"
        "E2,ann,2025-02-03,2,false,support,,,T1,a note\n"
        "E3,bob,2025-02-03,7.5,true,delivery,P1,,,\n"
    )
    folder = write_folder(tmp_path / "e", {"time_entries.csv": HEADER + rows})

    status, _, err = run_command("import_data", str(folder))

    assert status == 0, err
    assert used == [True]
    e1, e2, e3 = TimeEntry.objects.select_related("project", "ticket", "cost_contract").order_by(
        "entry_id"
    )
    assert (e1.project.code, e2.ticket.ref, e2.cost_contract.code) == ("P1", "T1", "MS1")
    assert e3.employee.user.username == "bob"
    assert replication_role() == "origin"


@pytest.mark.django_db(transaction=True)
def test_the_referenced_rows_stay_locked_until_the_import_commits(firm):
    """The lock the foreign-key triggers would take: another connection cannot delete a
    referenced employee (or change its key) while the rows pointing at it are uncommitted."""
    ann = Employee.objects.get(user__username="ann").pk
    outcome: list[str] = []

    def delete_ann_elsewhere() -> None:
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SET lock_timeout = '200ms'")
                cursor.execute("SELECT id FROM timesheets_employee WHERE id = %s FOR UPDATE", [ann])
                outcome.append("locked it")
        except OperationalError as exc:
            outcome.append(type(exc.__cause__).__name__)
        finally:
            other.close()

    with transaction.atomic():
        locks = importer._ReferenceLocks.of(TimeEntry, COLUMNS)
        assert copy([entry_row("X1", ann)], locks) is None
        worker = threading.Thread(target=delete_ann_elsewhere)
        worker.start()
        worker.join()
    assert outcome == ["LockNotAvailable"]
    TimeEntry.objects.all().delete()
