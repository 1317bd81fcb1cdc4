"""Schema helpers shared by the index tests."""

from __future__ import annotations

from django.db import connection


def index_sql(name: str) -> str:
    """Return the definition of the index ``name`` as the database holds it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [name])
        row = cursor.fetchone()
    assert row is not None, f"no index {name}"
    return row[0]
