"""import_data a batch at a time: what spans batches (keys, references, day totals) still holds.

The importer keeps only a batch of rows in memory: the keys met so far spill to a
temporary table, reference codes are looked up per batch through a bounded cache, and
each person-day's hours are staged for the 24-hour check. Shrinking those bounds to a
couple of rows makes a small folder cross every boundary.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from synapse.exchange import importer
from tests.exchange.conftest import run_command, write_folder
from timesheets.models import TimeEntry

pytestmark = pytest.mark.django_db

HEADER = (
    "entry_id,username,date,hours,billable,activity,project_code,contract_code,ticket_ref,note\n"
)


@pytest.fixture
def tiny_batches(monkeypatch):
    """Two records a batch, two keys in memory, two codes cached per table."""
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    monkeypatch.setattr(importer, "LEDGER_MEMORY", 2)
    monkeypatch.setattr(importer, "REF_CACHE_MAX", 2)


@pytest.fixture
def firm(folder):
    """The example folder imported (ann, bob, P1, MS1, T1 ...) without its time entries."""
    files = tuple(name for name in importer.TARGETS if name != "time_entries.csv")
    status, _, err = run_command("import_data", str(folder(only=(*files, "employees.csv"))))
    assert status == 0, err


def entries(tmp_path, rows: list[str], name: str = "entries") -> str:
    return str(write_folder(tmp_path / name, {"time_entries.csv": HEADER + "".join(rows)}))


def test_a_duplicate_key_far_from_its_first_line_is_found(tiny_batches, firm, tmp_path):
    rows = [f"E{n},ann,2025-02-{n + 2:02d},1,true,delivery,P1,,,\n" for n in range(1, 8)]
    rows.append("E2,ann,2025-02-20,1,true,delivery,P1,,,\n")
    status, _, err = run_command("import_data", entries(tmp_path, rows))
    assert status == 1
    assert err.splitlines()[0] == "time_entries.csv:9: entry_id: duplicate key (first on line 3)"
    assert not TimeEntry.objects.exists()


def test_errors_across_batches_keep_the_order_of_the_lines(tiny_batches, firm, tmp_path):
    rows = [
        "E1,ann,2025-02-03,1,true,delivery,P1,,,\n",
        "E2,ann,2025-02-03,1,maybe,delivery,P9,,,\n",  # line 3: a cell, then a reference
        "E3,ann,2025-02-04,1,true,delivery,P1,,,\n",
        "E4,ann,2025-02-04,1,true,delivery,P1,,,\n",
        "E1,zed,2025-02-05,1,true,delivery,P1,,,\n",  # line 6: duplicate, unknown person
        "E6,ann,2025-02-05,1,true,delivery,P1,,T9,\n",  # line 7: unknown ticket
    ]
    status, _, err = run_command("import_data", entries(tmp_path, rows))
    assert status == 1
    assert err.splitlines()[:5] == [
        "time_entries.csv:3: billable: “maybe” is not a boolean (true/false, 1/0, yes/no)",
        "time_entries.csv:3: project_code: unknown project “P9”",
        "time_entries.csv:6: entry_id: duplicate key (first on line 2)",
        "time_entries.csv:6: username: unknown employee “zed”",
        "time_entries.csv:7: ticket_ref: unknown ticket “T9”",
    ]


def test_a_day_total_adds_rows_of_different_batches(tiny_batches, firm, tmp_path):
    rows = [
        "E1,ann,2025-02-03,10,true,delivery,P1,,,\n",
        "E2,bob,2025-02-03,10,true,delivery,P1,,,\n",
        "E3,ann,2025-02-04,10,true,delivery,P1,,,\n",
        "E4,ann,2025-02-03,10,true,delivery,P1,,,\n",
        "E5,ann,2025-02-03,4.5,true,delivery,P1,,,\n",  # ann's 2025-02-03: 24.5 h
    ]
    status, _, err = run_command("import_data", entries(tmp_path, rows))
    assert status == 1
    assert err.splitlines() == [
        "time_entries.csv:6: hours: ann would log 24.50 hours on 2025-02-03 (more than 24)"
    ]


def test_many_codes_through_a_small_cache_resolve_to_the_right_rows(tiny_batches, firm, tmp_path):
    rows = [
        "E1,ann,2025-02-03,6,true,delivery,P1,,,\n",
        "E2,bob,2025-02-03,2,false,support,,MS1,,\n",
        "E3,ann,2025-02-04,3,false,support,,,T1,\n",
        "E4,bob,2025-02-04,1,true,delivery,P2,,,\n",
        "E5,ann,2025-02-05,1,true,delivery,P1,,T2,\n",
    ]
    status, out, err = run_command("import_data", entries(tmp_path, rows))
    assert status == 0, err
    assert "time_entries.csv: 5 rows; 5 created, 0 updated, 0 unchanged" in out
    got = {
        entry_id: (user, project, contract, ticket)
        for entry_id, user, project, contract, ticket in TimeEntry.objects.values_list(
            "entry_id", "employee__user__username", "project__code", "contract__code", "ticket__ref"
        )
    }
    assert got == {
        "E1": ("ann", "P1", None, None),
        "E2": ("bob", None, "MS1", None),
        "E3": ("ann", None, None, "T1"),
        "E4": ("bob", "P2", None, None),
        "E5": ("ann", "P1", None, "T2"),
    }
    status, out, _ = run_command("import_data", entries(tmp_path, rows, "again"))
    assert "time_entries.csv: 5 rows; 0 created, 0 updated, 5 unchanged" in out


def test_imported_entries_are_costed_as_they_are_written(firm, tmp_path, monkeypatch):
    def no_recost(entries):
        raise AssertionError("new entries need no recost UPDATE")

    monkeypatch.setattr(importer, "time_entries_recost", no_recost)
    rows = [
        # ann: 50/140 until 2024-12-31, 60/150 from 2025-01-01 (rates.csv).
        "E1,ann,2024-12-31,1.33,true,delivery,P1,,,\n",
        "E2,ann,2025-02-03,2,false,support,,,T1,\n",
    ]
    status, _, err = run_command("import_data", entries(tmp_path, rows))
    assert status == 0, err
    e1, e2 = TimeEntry.objects.order_by("entry_id")
    assert (e1.cost, e1.bill_value, e1.cost_contract) == (Decimal("66.50"), Decimal("186.20"), None)
    assert (e2.cost, e2.bill_value, e2.cost_contract.code) == (Decimal("120.00"), 0, "MS1")


def test_tables_that_received_many_rows_are_analyzed(firm, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "ANALYZE_MIN_ROWS", 1)
    rows = [f"E{n},ann,2025-02-{n + 2:02d},1,true,delivery,P1,,,\n" for n in range(1, 4)]
    with CaptureQueriesContext(connection) as queries:
        status, _, err = run_command("import_data", entries(tmp_path, rows))
    assert status == 0, err
    table = connection.ops.quote_name("timesheets_timeentry")
    assert f"ANALYZE {table}" in [q["sql"] for q in queries.captured_queries]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite text may hold NUL")
def test_a_batch_the_database_refuses_is_an_error_and_nothing_is_written(firm, tmp_path):
    rows = [
        "E1,ann,2025-02-03,1,true,delivery,P1,,,\n",
        "E2,ann,2025-02-04,1,true,delivery,P1,,,a\x00b\n",
    ]
    status, _, err = run_command("import_data", entries(tmp_path, rows))
    assert status == 1
    assert err.splitlines()[0].startswith("time_entries.csv:2: -: the database refused the rows")
    assert not TimeEntry.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite text may hold NUL")
def test_a_refused_batch_is_reported_before_the_errors_of_the_batch_read_after_it(
    tiny_batches, firm, tmp_path
):
    # Batch 1 (lines 2-3) is held while batch 2 (lines 4-5) is checked: its refusal
    # still comes first, and no later batch is written.
    rows = [
        "E1,ann,2025-02-03,1,true,delivery,P1,,,a\x00b\n",
        "E2,ann,2025-02-04,1,true,delivery,P1,,,\n",
        "E3,ann,2025-02-05,1,maybe,delivery,P1,,,\n",
        "E4,ann,2025-02-06,1,true,delivery,P1,,,\n",
        "E5,ann,2025-02-07,1,true,delivery,P1,,,\n",
    ]
    status, _, err = run_command("import_data", entries(tmp_path, rows))
    assert status == 1
    lines = err.splitlines()
    assert lines[0].startswith("time_entries.csv:2: -: the database refused the rows")
    assert lines[1] == (
        "time_entries.csv:4: billable: “maybe” is not a boolean (true/false, 1/0, yes/no)"
    )
    assert len(lines) == 2
    assert not TimeEntry.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite text may hold NUL")
def test_after_a_refused_batch_the_held_batch_is_not_sent(tiny_batches, firm, tmp_path):
    # Batch 2 (lines 4-5) is held when batch 1's refusal comes back: it is not copied,
    # so its own bad row is not refused (and reported) as well.
    rows = [
        "E1,ann,2025-02-03,1,true,delivery,P1,,,a\x00b\n",
        "E2,ann,2025-02-04,1,true,delivery,P1,,,\n",
        "E3,ann,2025-02-05,1,true,delivery,P1,,,c\x00d\n",
        "E4,ann,2025-02-06,1,true,delivery,P1,,,\n",
        "E5,ann,2025-02-07,1,true,delivery,P1,,,\n",
        "E6,ann,2025-02-08,1,true,delivery,P1,,,\n",
    ]
    status, _, err = run_command("import_data", entries(tmp_path, rows))
    assert status == 1
    assert len(err.splitlines()) == 1
    assert err.startswith("time_entries.csv:2: -: the database refused the rows")
    assert not TimeEntry.objects.exists()


def test_a_day_over_24_hours_is_found_among_written_rows_of_the_same_batch(firm, tmp_path):
    # The written rows of a person-day are staged as one (the last line): their hours
    # still count, and the error is on the person-day's last line.
    rows = [
        "E1,ann,2025-02-03,10,true,delivery,P1,,,\n",
        "E2,bob,2025-02-03,10,true,delivery,P1,,,\n",
        "E3,ann,2025-02-03,10,true,delivery,P1,,,\n",
        "E4,ann,2025-02-03,4.5,true,delivery,P1,,,\n",
        "E5,ann,2025-02-04,10,true,delivery,P1,,,\n",
    ]
    status, _, err = run_command("import_data", entries(tmp_path, rows))
    assert status == 1
    assert err.splitlines()[0] == (
        "time_entries.csv:5: hours: ann would log 24.50 hours on 2025-02-03 (more than 24)"
    )
    assert not TimeEntry.objects.exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a SQLite trigger refuses the row")
def test_a_batch_sqlite_refuses_is_an_error_and_the_rest_is_still_checked(
    tiny_batches, firm, tmp_path
):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TRIGGER refuse_note BEFORE INSERT ON timesheets_timeentry "
            "WHEN NEW.note = 'refuse' BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
        )
    rows = [
        "E1,ann,2025-02-03,1,true,delivery,P1,,,\n",
        "E2,ann,2025-02-04,1,true,delivery,P1,,,refuse\n",
        "E3,ann,2025-02-05,1,true,delivery,P1,,,\n",
        "E4,ann,2025-02-06,1,maybe,delivery,P1,,,\n",
    ]
    status, _, err = run_command("import_data", entries(tmp_path, rows))
    assert status == 1
    assert err.splitlines()[:2] == [
        "time_entries.csv:2: -: the database refused the rows: refused by a trigger",
        "time_entries.csv:5: billable: “maybe” is not a boolean (true/false, 1/0, yes/no)",
    ]
    assert not TimeEntry.objects.exists()


def test_a_byte_that_is_not_utf8_is_reported_after_the_rows_before_it(tiny_batches, firm, tmp_path):
    text = HEADER + (
        "E1,ann,2025-02-03,1,maybe,delivery,P1,,,\n"
        "E2,ann,2025-02-05,1,true,delivery,P1,,,caf\xe9\n"  # the same batch as E1
        "E3,ann,2025-02-04,1,true,delivery,P1,,,\n"
    )
    folder = write_folder(tmp_path / "latin1", {"time_entries.csv": text.encode("latin-1")})
    status, _, err = run_command("import_data", str(folder))
    assert status == 1
    assert err.splitlines()[:2] == [
        "time_entries.csv:2: billable: “maybe” is not a boolean (true/false, 1/0, yes/no)",
        "time_entries.csv:3: -: the file is not UTF-8 text (invalid continuation byte)",
    ]


@pytest.mark.parametrize("block", [7, 64, 1 << 20])
def test_blocks_of_any_size_read_every_line_and_find_the_byte_at_fault(
    monkeypatch, tiny_batches, firm, tmp_path, block
):
    """The file is read a block at a time; lines longer than a block, lines cut by a
    block's end and a bad byte in a later block read as they would line by line."""
    monkeypatch.setattr(importer, "READ_BLOCK", block)
    good = [
        f"E{n},ann,2025-02-{n + 2:02d},1,true,delivery,P1,,,a note {n}\r\n" for n in range(1, 6)
    ]
    status, _, err = run_command("import_data", entries(tmp_path, good, name="good"))
    assert status == 0, err
    assert sorted(TimeEntry.objects.values_list("note", flat=True)) == [
        f"a note {n}" for n in range(1, 6)
    ]
    TimeEntry.objects.all().delete()
    text = (
        HEADER + "".join(good[:4])
    ).encode() + b"E9,ann,2025-02-20,1,true,delivery,P1,,,caf\xe9\n"
    folder = write_folder(tmp_path / "bad", {"time_entries.csv": text})
    status, _, err = run_command("import_data", str(folder))
    assert status == 1
    assert err.splitlines() == [
        "time_entries.csv:6: -: the file is not UTF-8 text (invalid continuation byte)"
    ]
    assert not TimeEntry.objects.exists()


def test_a_new_row_gets_the_defaults_of_the_columns_absent_from_the_file(folder):
    from projects.models import Project

    projects = (
        "code,client_code,name,revenue,budget,planned_start,planned_end,status\n"
        "P7,C1,Intranet,1000.50,800,2025-01-06,2025-03-28,planned\n"
    )
    status, _, err = run_command(
        "import_data", str(folder({"projects.csv": projects}, only=("clients.csv", "projects.csv")))
    )
    assert status == 0, err
    p7 = Project.objects.get(code="P7")
    assert (p7.billing, p7.user_count, p7.requirements_met) == ("fixed", 0, False)
    assert (p7.revenue, p7.budget) == (Decimal("1000.50"), Decimal("800.00"))


def test_an_updated_entry_is_costed_again_and_an_unchanged_one_kept(firm, tmp_path):
    rows = [
        "E1,ann,2025-02-03,2,true,delivery,P1,,,\n",
        "E2,ann,2025-02-04,3,true,delivery,P1,,,\n",
    ]
    run_command("import_data", entries(tmp_path, rows))
    rows[0] = "E1,ann,2025-02-03,4,false,support,,MS1,,\n"
    status, out, err = run_command("import_data", entries(tmp_path, rows, "changed"))
    assert status == 0, err
    assert "time_entries.csv: 2 rows; 0 created, 1 updated, 1 unchanged" in out
    e1, e2 = TimeEntry.objects.order_by("entry_id")
    # ann at 60/150 in 2025: 4 h not billable on MS1; E2 as first imported.
    assert (e1.cost, e1.bill_value, e1.cost_contract.code) == (Decimal("240.00"), 0, "MS1")
    assert (e2.cost, e2.bill_value, e2.cost_contract) == (
        Decimal("180.00"),
        Decimal("450.00"),
        None,
    )


def test_tickets_contracts_through_a_small_cache_cost_each_entry_right(
    tiny_batches, firm, tmp_path
):
    # T1 is under contract MS1, T2 under none; two tickets cached at most (tiny_batches).
    rows = [
        "E1,ann,2025-02-03,1,false,support,,,T1,\n",
        "E2,ann,2025-02-04,1,false,support,,,T2,\n",
        "E3,ann,2025-02-05,1,false,support,,,T1,\n",
        "E4,ann,2025-02-06,1,false,support,P1,,T1,\n",  # a project's: no cost contract
        "E5,ann,2025-02-07,1,false,support,,,T2,\n",
    ]
    status, _, err = run_command("import_data", entries(tmp_path, rows))
    assert status == 0, err
    stored = TimeEntry.objects.order_by("entry_id").values_list("entry_id", "cost_contract__code")
    assert list(stored) == [("E1", "MS1"), ("E2", None), ("E3", "MS1"), ("E4", None), ("E5", None)]
