"""Rendered fragments of the executive pages, cached under a version token read from the DB.

A dashboard's cards and a KPI page's trend and numbers are rendered from stored
snapshots (written once a night), the bands (edited by an admin now and then) and the
scope lists of the pickers (clients, projects, employees). Rendering them is most of a
page's cost, so the HTML is kept in Django's cache (``CACHES["default"]``: local memory
per process by default, Redis shared by every process with ``SYNAPSE_CACHE_URL``).

Invalidation does not rely on the cache or on signals (bulk writes send none, and a
local-memory cache is per process): every request reads a **version token** with one
query (``page_token``) and the fragment's key contains it, so the first request after a
change misses and renders afresh. The token is a digest of

- the snapshot rows the page reads (its grain and periods, its scope and the company,
  the KPI of a KPI page): their count and latest ``computed_at``. Every snapshot write
  stamps the rows it writes with its run's ``as_of`` (``synapse.kpis.snapshots``) and
  deletes the rows it no longer produces, so a rewrite raises the latest stamp or
  changes the count;
- the bands: their count and latest ``updated_at`` (``auto_now``);
- the scope lists: a digest of every client's code and name, project's code and name
  and employee's user name and full name (PostgreSQL hashes them with ``md5``; SQLite
  returns the joined text and Python hashes it), so an added, renamed or removed
  record changes it.

The fragment's key also holds the page's parameters, the firm-local date (the pickers
offer periods up to today and mark the running one), ``CODE_VERSION`` (a digest of the
templates and presentation code, so a deployment never serves markup of the previous
one from a shared cache) and anything computed live that the fragment shows (the
timesheet gap). Callers never store a fragment with a value computed live from records
(a period without snapshots), nor per-user content: fragments are rendered without the
request, so no CSRF token, user name or navigation can enter them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Hashable, Iterable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from synapse.kpis.periods import Scope

logger = logging.getLogger(__name__)

#: Seconds a fragment is kept (the token makes it stale long before, as needed).
FRAGMENT_TIMEOUT = 6 * 3600

_CODE_FILES = (
    "synapse/dashboards/cache.py",
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
_SNAPSHOTS = """
    SELECT COUNT(*) AS n, MAX(computed_at) AS last FROM kpis_kpisnapshot
    WHERE grain = %s AND period_start IN ({periods}){keys}
      AND ((scope_kind = %s AND scope_key = %s) OR (scope_kind = 'company' AND scope_key = ''))
"""
_BANDS = "SELECT COUNT(*) AS n, MAX(updated_at) AS last FROM kpis_kpiband"
_LISTS = {
    "postgresql": {
        "client": "SELECT md5(string_agg(code || ' ' || name, '|' ORDER BY id)) AS h "
        "FROM projects_client",
        "project": "SELECT md5(string_agg(code || ' ' || name, '|' ORDER BY id)) AS h "
        "FROM projects_project",
        "employee": "SELECT md5(string_agg(u.username || ' ' || e.full_name, '|' "
        "ORDER BY e.id)) AS h FROM timesheets_employee e JOIN auth_user u ON u.id = e.user_id",
    },
    "sqlite": {
        "client": "SELECT group_concat(x, '|') AS h FROM "
        "(SELECT code || ' ' || name AS x FROM projects_client ORDER BY id)",
        "project": "SELECT group_concat(x, '|') AS h FROM "
        "(SELECT code || ' ' || name AS x FROM projects_project ORDER BY id)",
        "employee": "SELECT group_concat(x, '|') AS h FROM (SELECT u.username || ' ' || "
        "e.full_name AS x FROM timesheets_employee e JOIN auth_user u ON u.id = e.user_id "
        "ORDER BY e.id)",
    },
}


def page_token(
    *,
    grain: str,
    starts: Iterable[dt.date],
    scope: Scope,
    keys: Iterable[str] | None = None,
) -> str:
    """Return the version token of a page's cached fragments — one query.

    ``starts`` are the first days of the periods the page reads (of ``grain``),
    ``scope`` its scope (the company rows are always included: they tell stored "no
    data" from never stored), ``keys`` the KPIs it shows (``None``: all).
    """
    starts = sorted(set(starts))
    keys = sorted(set(keys)) if keys is not None else None
    key_sql = f" AND key IN ({', '.join(['%s'] * len(keys))})" if keys else ""
    snapshots = _SNAPSHOTS.format(periods=", ".join(["%s"] * len(starts)), keys=key_sql)
    lists = _LISTS["postgresql" if connection.vendor == "postgresql" else "sqlite"]
    sql = (
        f"SELECT s.n, s.last, b.n, b.last, c.h, p.h, e.h FROM ({snapshots}) s, ({_BANDS}) b, "
        f"({lists['client']}) c, ({lists['project']}) p, ({lists['employee']}) e"
    )
    params = [grain, *starts, *(keys or []), scope.kind, scope.key]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return hashlib.blake2b(repr(row).encode(), digest_size=12).hexdigest()


def fragment_key(page: str, *parts: Hashable) -> str:
    """Return the cache key of a fragment of ``page`` for ``parts`` (token included)."""
    text = "|".join(str(part) for part in (CODE_VERSION, *parts))
    return f"dash:{page}:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"


def fragment_get(key: str) -> object | None:
    """Return the cached fragment under ``key``, or ``None`` (also when the cache is down)."""
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - any cache backend failure: render instead
        logger.warning("Dashboard cache unavailable: rendering", exc_info=True)
        return None


def fragment_set(key: str, value: object) -> None:
    """Store ``value`` under ``key`` for ``FRAGMENT_TIMEOUT`` (a cache failure is ignored)."""
    try:
        cache.set(key, value, timeout=FRAGMENT_TIMEOUT)
    except Exception:  # noqa: BLE001 - the page was rendered; caching is an optimisation
        logger.warning("Dashboard cache unavailable: fragment not stored", exc_info=True)
