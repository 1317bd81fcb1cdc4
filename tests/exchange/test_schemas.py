"""row_parser: the per-file parser of records (values remembered per column)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from synapse.exchange import schemas
from synapse.exchange.schemas import TIME_ENTRIES, row_parser

HEADER = [column.name for column in TIME_ENTRIES.columns]


def cells(entry: str, day: str, hours: str, billable: str = "true") -> list[str]:
    return [entry, " ann ", day, hours, billable, "delivery", "P1", "", "", "a note "]


def test_repeated_cells_give_the_same_values_and_bad_ones_fail_every_time(monkeypatch):
    monkeypatch.setattr(schemas, "PARSED_MEMO", 2)  # the memory of a column is emptied often
    parse = row_parser(TIME_ENTRIES, HEADER)
    rows = [
        cells("E1", "2025-02-03", "7.5"),
        cells("E2", "2025-02-03", "7.5"),
        cells("E3", "2025-02-04", "8", "no"),
        cells("E4", "2025-02-05", "7.555"),
        cells("E5", "2025-02-03", "7.555", "maybe"),
        cells("E6", "2025-02-03", "7.5"),
    ]
    parsed = [parse(row) for row in rows]
    assert [(v["entry_id"], v["date"], v.get("hours"), v.get("billable")) for v, _ in parsed] == [
        ("E1", dt.date(2025, 2, 3), Decimal("7.5"), True),
        ("E2", dt.date(2025, 2, 3), Decimal("7.5"), True),
        ("E3", dt.date(2025, 2, 4), Decimal("8"), False),
        ("E4", dt.date(2025, 2, 5), None, True),
        ("E5", dt.date(2025, 2, 3), None, None),
        ("E6", dt.date(2025, 2, 3), Decimal("7.5"), True),
    ]
    assert parsed[0][0]["username"] == "ann" and parsed[0][0]["note"] == "a note "
    assert [errors for _, errors in parsed] == [
        {},
        {},
        {},
        {"hours": "“7.555” has more than 2 decimal places"},
        {
            "hours": "“7.555” has more than 2 decimal places",
            "billable": "“maybe” is not a boolean (true/false, 1/0, yes/no)",
        },
        {},
    ]


def test_a_blank_cell_is_never_remembered_as_a_value():
    parse = row_parser(TIME_ENTRIES, HEADER)
    assert parse(cells("E1", "2025-02-03", " "))[1] == {"hours": "is required"}
    assert parse(cells("E2", "2025-02-03", " "))[1] == {"hours": "is required"}
    assert parse(cells("E3", "2025-02-03", "1"))[0]["hours"] == Decimal(1)


def test_a_parser_checks_the_width_of_a_row_whatever_the_header():
    """One column, several, none: a row of the wrong width is one error and no values."""
    one = row_parser(TIME_ENTRIES, ["note"])
    assert one(["  kept as written "]) == ({"note": "  kept as written "}, {})
    assert one(["a", "b"]) == ({}, {"-": "the row has 2 cells but the header has 1"})
    none = row_parser(TIME_ENTRIES, [])
    assert none([]) == ({}, {})
    assert none(["a"]) == ({}, {"-": "the row has 1 cells but the header has 0"})
