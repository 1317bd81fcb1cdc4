"""The raw snapshot upsert stores exactly what the ORM's ``bulk_create`` upsert stored.

Each row is written three times: once through ``KpiSnapshot.objects.bulk_create(
update_conflicts=True)`` (what ``snapshots_compute_period`` used before) under one KPI
key, once through ``snapshots_upsert`` under another, once through its plain insert
(``conflicts=False``: a ``COPY`` on PostgreSQL) under a third; every stored column is
then read back raw — as text on PostgreSQL, with its storage class on SQLite — and must
be equal.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection

from synapse.kpis.models import KpiSnapshot
from synapse.kpis.snapshots import (
    SNAPSHOT_COLUMNS,
    UNIQUE_FIELDS,
    UPDATE_FIELDS,
    as_stored,
    snapshots_upsert,
)

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
FEB_START, FEB_END = dt.date(2025, 2, 1), dt.date(2025, 2, 28)
STAMP = dt.datetime(2025, 4, 1, 4, 30, 15, 123456, tzinfo=PARIS)
BIG = Decimal("12345678901234567890.1234567891")  # 20 integer digits, the column's most

#: (scope_key, value, numerator, denominator, sample_size, status, band_low, band_high,
#: reason) of each row: None, zero, negatives, the biggest numbers, awkward text.
CASES = [
    ("", None, None, None, 0, "", None, None, "no data"),
    ("C001", Decimal("77.7777777778"), Decimal(7), Decimal(9), 9, "below", Decimal(85), None, ""),
    ("C002", Decimal(0), Decimal(0), Decimal(12), 12, "within", Decimal(0), Decimal(5), ""),
    ("C003", Decimal("-3.5000000000"), Decimal(-7), Decimal(2), 2, "above", None, Decimal(-1), ""),
    ("C004", BIG, -BIG, Decimal("1E-10"), 2147483647, "", Decimal("9999999999.9999"), None, ""),
    (
        "C005",
        as_stored(Decimal(1) / 3),
        as_stored(-Decimal(2) / 3),
        Decimal(3),
        1,
        "",
        None,
        None,
        "",
    ),
    ("it's", Decimal(1), None, None, 0, "", None, None, """O'Brien said "no"; DROP --\\ é ✓"""),
    ("ünïcode ✓", Decimal("1E+5"), Decimal("100000"), Decimal(1), 1, "", None, None, "%s %(x)s"),
    # What a text COPY line must escape: tabs, line breaks, backslashes, a literal \N.
    ("tab\tkey\\", Decimal(2), None, None, 0, "", None, None, "a\nb\r\tc \\N \\. \\\\"),
]


def _row(key: str, case: tuple, *, stamp: dt.datetime = STAMP) -> tuple:
    scope_key, value, num, den, size, status, low, high, reason = case
    scope_kind = "company" if scope_key == "" else "client"
    return (key, "month", FEB_START, FEB_END, scope_kind, scope_key, value, num, den, size,
            status, low, high, reason, 3, stamp)  # fmt: skip


def _orm_upsert(rows: list[tuple]) -> None:
    KpiSnapshot.objects.bulk_create(
        [KpiSnapshot(**dict(zip(SNAPSHOT_COLUMNS, row, strict=True))) for row in rows],
        update_conflicts=True,
        unique_fields=UNIQUE_FIELDS,
        update_fields=UPDATE_FIELDS,
    )


def _stored(key: str) -> list[tuple]:
    """Return every column but the id and key of ``key``'s rows, as the database holds them."""
    columns = [c for c in SNAPSHOT_COLUMNS if c != "key"]
    if connection.vendor == "postgresql":
        select = ", ".join(f"{c}::text" for c in columns)
    else:
        select = ", ".join(f"{c}, typeof({c})" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select} FROM kpis_kpisnapshot WHERE key = %s ORDER BY scope_key",
            [key],
        )
        return cursor.fetchall()


def test_the_raw_upsert_stores_what_bulk_create_stored():
    _orm_upsert([_row("orm", case) for case in CASES])
    snapshots_upsert([_row("raw", case) for case in CASES])
    # The first write of a period: a plain INSERT (a binary COPY on PostgreSQL).
    snapshots_upsert([_row("plain", case) for case in CASES], conflicts=False)

    stored = _stored("raw")
    assert len(stored) == len(CASES)
    assert stored == _stored("orm")
    assert _stored("plain") == stored
    # And reads back as the values written (SQLite keeps a decimal as a float: 15 digits).
    big = KpiSnapshot.objects.get(key="raw", scope_key="C004")
    orm = KpiSnapshot.objects.get(key="orm", scope_key="C004")
    assert (big.value, big.numerator, big.sample_size) == (orm.value, orm.numerator, 2147483647)
    if connection.vendor == "postgresql":
        assert (big.value, big.numerator) == (BIG, -BIG)
    else:
        assert big.value == Decimal("12345678901234600000")
    quoted = KpiSnapshot.objects.get(key="raw", scope_key="it's")
    assert quoted.reason == """O'Brien said "no"; DROP --\\ é ✓"""
    assert quoted.computed_at == STAMP


def test_the_raw_upsert_updates_on_the_unique_key_as_bulk_create_did():
    _orm_upsert([_row("orm", case) for case in CASES])
    snapshots_upsert([_row("raw", case) for case in CASES])
    ids = dict(KpiSnapshot.objects.filter(key="raw").values_list("scope_key", "pk"))

    # Every case takes the next case's measures: values to None and back, signs flip.
    later = STAMP + dt.timedelta(days=1)
    shifted = [(c[0], *n[1:]) for c, n in zip(CASES, CASES[1:] + CASES[:1], strict=True)]
    _orm_upsert([_row("orm", case, stamp=later) for case in shifted])
    snapshots_upsert([_row("raw", case, stamp=later) for case in shifted])

    assert dict(KpiSnapshot.objects.filter(key="raw").values_list("scope_key", "pk")) == ids
    assert _stored("raw") == _stored("orm")
    updated = KpiSnapshot.objects.get(key="raw", scope_key="")
    assert (updated.value, updated.status, updated.computed_at) == (
        Decimal("77.7777777778"),
        "below",
        later,
    )
    emptied = KpiSnapshot.objects.get(key="raw", scope_key="tab\tkey\\")  # took the first case's
    assert (emptied.value, emptied.numerator, emptied.reason) == (None, None, "no data")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL rounds to the column's scale"
)
def test_more_places_than_the_columns_round_alike_on_every_path():
    # Not what snapshot_row sends (as_stored rounds half-even first); the column's own
    # rounding (half away from zero) must still be the same through UNNEST and COPY.
    case = ("C1", Decimal("2.00000000005"), Decimal("-1.000000000015"), Decimal("1E-11"),
            1, "", Decimal("1.23456"), None, "")  # fmt: skip
    _orm_upsert([_row("orm", case)])
    snapshots_upsert([_row("raw", case)])
    snapshots_upsert([_row("plain", case)], conflicts=False)

    assert _stored("raw") == _stored("plain") == _stored("orm")
    assert _stored("plain")[0][5:8] == ("2.0000000001", "-1.0000000000", "0.0000000000")
    assert _stored("plain")[0][10] == "1.2346"


def test_an_empty_upsert_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        snapshots_upsert([])
