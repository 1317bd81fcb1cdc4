"""Rendered fragments of the executive pages, cached under a version token read from the DB.

A dashboard's cards and a KPI page's trend and numbers are rendered from stored
snapshots (written once a night), the bands (edited by an admin now and then) and the
scope lists of the pickers (clients, projects, employees). Rendering them is most of a
page's cost, so the HTML is kept in Django's cache (``CACHES["dashboards"]``: local memory
per process by default, Redis shared by every process with ``SYNAPSE_CACHE_URL``).

Invalidation does not rely on the cache or on signals (bulk writes send none, and a
local-memory cache is per process): every request reads a **version token** with one
query (``page_token``) and the fragment's key contains it, so the first request after a
change misses and renders afresh. The token is a digest of

- the snapshot runs (``KpiRun``): their count, latest id, periods written and latest
  finish. Snapshots are written by runs only — the nightly task, ``compute_snapshots``,
  the demo seed and the bench all go through ``synapse.kpis.snapshots.snapshots_run``,
  which creates the run, counts each period on it in the transaction that writes the
  period's rows (``snapshots_compute_period(run=...)``) and stamps its end. So a
  rewrite is seen by the first request after its commit, in every process. (Reading
  the snapshot rows themselves was tried: their count and latest ``computed_at`` cost
  1.5–5 ms of PostgreSQL per request at large, the planner walking every company row
  of the grain; a write outside a run, which only tests do, would need
  ``cache.clear()``.)
- the bands: a digest of every band's key and bounds;
- the scope lists: a digest of every client's code and name, project's code and name,
  employee's full name and user's name (PostgreSQL hashes them with ``md5``; SQLite
  returns the joined text and Python hashes it), so an added, renamed or removed
  record changes it;
- what the timesheet gap's working days read (``selectors.timesheet_working_days``,
  cached by the dashboard): each employee's role and employment dates (in the same
  digest as the names) and the holidays' dates.

The fragment's key also holds the page's parameters, the firm-local date (the pickers
offer periods up to today and mark the running one), ``CODE_VERSION`` (a digest of the
templates and presentation code, so a deployment never serves markup of the previous
one from a shared cache) and anything computed live that the fragment shows (the
timesheet gap), and the viewer's reach (``dashboards.policies.Reach.cache_part``: whether
they see money, and which employee scopes), so a manager's fragment, which offers only
their team and no money KPI, is never served to anyone else, nor an executive's to a
manager. Callers never store a fragment with a value computed live from records (a
period without snapshots), nor per-user content: fragments are rendered without the
request, so no CSRF token, user name or navigation can enter them.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Hashable
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.utils.connection import ConnectionProxy

from synapse.security.limits import FailOpenCache

logger = logging.getLogger(__name__)

#: The fragments' own cache (``CACHES["dashboards"]``), like ``django.core.cache.cache``.
cache = ConnectionProxy(caches, "dashboards")
# Reads and writes of fragments: a cache that is down only means rendering afresh.
_fail_open = FailOpenCache(purpose="dashboards", alias="dashboards")

#: Seconds a fragment is kept (the token makes it stale long before, as needed).
FRAGMENT_TIMEOUT = 6 * 3600

_CODE_FILES = (
    "synapse/dashboards/cache.py",
    "synapse/dashboards/policies.py",
    "synapse/dashboards/presentation.py",
    "synapse/dashboards/selectors.py",
    "synapse/dashboards/views.py",
    "synapse/dashboards/templatetags/dashboard_tags.py",
    "synapse/kpis/registry.py",
)


def _code_version() -> str:
    """Return a digest of the dashboards' templates and presentation code."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.blake2b(digest_size=8)
    paths = [base / name for name in _CODE_FILES]
    paths += sorted((base / "templates" / "dashboards").glob("*.html"))
    for path in paths:
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(path.name.encode())
    return digest.hexdigest()


#: Part of every key: markup rendered by other code is never served.
CODE_VERSION = _code_version()

# One statement, so the token costs one round trip; raw SQL because the digest of the
# scope lists needs string aggregation, which the ORM offers on PostgreSQL only.
# Every snapshot run, as a whole: a run is created when it starts, counts each period it
# writes in the same transaction as that period's rows, and is stamped when it ends.
_RUNS = (
    "SELECT COUNT(*) AS n, MAX(id) AS last, SUM(periods_done) AS periods, "
    "MAX(finished_at) AS finished FROM kpis_kpirun"
)
# The bands by content (a saved band need not become the latest ``updated_at``: clocks).
_BAND_ROW = (
    "key || ' ' || COALESCE(CAST(low AS TEXT), '') || ' ' || COALESCE(CAST(high AS TEXT), '')"
)
# An employee: name (the pickers) and role and employment dates (the timesheet gap's
# working days, cached by the dashboard).
_EMPLOYEE_ROW = (
    "user_id || ' ' || full_name || ' ' || role || ' ' || CAST(employed_from AS TEXT)"
    " || ' ' || COALESCE(CAST(employed_until AS TEXT), '')"
)
# The bands and the names as a digest of the rows in table order (no ORDER BY: sorting
# cost more than the rest of the token; the order of a table's rows changes only when it
# is written, and then its text changes anyway, or at worst a fragment is rendered again).
_LISTS = {
    "postgresql": (
        f"SELECT md5(string_agg({_BAND_ROW}, '|')) AS h FROM kpis_kpiband",
        "SELECT md5(string_agg(code || ' ' || name, '|')) AS h FROM projects_client",
        "SELECT md5(string_agg(code || ' ' || name, '|')) AS h FROM projects_project",
        f"SELECT md5(string_agg({_EMPLOYEE_ROW}, '|')) AS h FROM timesheets_employee",
        "SELECT md5(string_agg(id || ' ' || username, '|')) AS h FROM auth_user",
        "SELECT md5(string_agg(CAST(date AS TEXT), '|')) AS h FROM timesheets_holiday",
    ),
    "sqlite": (
        f"SELECT group_concat({_BAND_ROW}, '|') AS h FROM kpis_kpiband",
        "SELECT group_concat(code || ' ' || name, '|') AS h FROM projects_client",
        "SELECT group_concat(code || ' ' || name, '|') AS h FROM projects_project",
        f"SELECT group_concat({_EMPLOYEE_ROW}, '|') AS h FROM timesheets_employee",
        "SELECT group_concat(id || ' ' || username, '|') AS h FROM auth_user",
        "SELECT group_concat(CAST(date AS TEXT), '|') AS h FROM timesheets_holiday",
    ),
}


def page_token() -> str:
    """Return the version token of the pages' cached fragments — one query.

    It changes whenever a snapshot run writes a period, a band is edited, added or
    removed, a client, project, employee or user is added, renamed or removed, an
    employee's role or employment dates change, or a holiday is added, moved or removed.
    """
    lists = _LISTS["postgresql" if connection.vendor == "postgresql" else "sqlite"]
    subqueries = [_RUNS, *lists]
    sql = "SELECT * FROM " + ", ".join(f"({query}) t{i}" for i, query in enumerate(subqueries))
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return hashlib.blake2b(repr(row).encode(), digest_size=12).hexdigest()


def fragment_key(page: str, *parts: Hashable) -> str:
    """Return the cache key of a fragment of ``page`` for ``parts`` (token included)."""
    text = "|".join(str(part) for part in (CODE_VERSION, *parts))
    return f"dash:{page}:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"


def fragment_get(key: str) -> object | None:
    """Return the cached fragment under ``key``, or ``None`` (also when the cache is down)."""
    return _fail_open.get(key)


def fragment_set(key: str, value: object) -> None:
    """Store ``value`` under ``key`` for ``FRAGMENT_TIMEOUT`` (a cache failure is ignored)."""
    _fail_open.set(key, value, timeout=FRAGMENT_TIMEOUT)
