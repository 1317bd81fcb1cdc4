"""The drill-down registry: for each KPI, the records behind one period's value.

Each app declares, in its ``drilldown.py``, a function per KPI (or group of KPIs) that
takes the ``KpiContext`` of the period and scope and returns a ``Records`` listing:
the queryset of exactly the records the KPI's formula counts (built from the same
selectors and filters), the columns to show, and the admin page each row links to.
``synapse.kpis.apps`` imports every app's ``drilldown`` module at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from django.contrib.admin.utils import quote as admin_quote
from django.db.models import Model, QuerySet
from django.urls import reverse

from synapse.kpis.engine import KpiContext


@dataclass(frozen=True)
class Column:
    """A column of a drill-down table: a heading, a dotted attribute path and a format.

    ``kind`` is ``text``, ``money``, ``hours``, ``number``, ``date``, ``datetime`` or
    ``bool``; numbers are right-aligned.
    """

    label: str
    path: str
    kind: str = "text"

    @property
    def numeric(self) -> bool:
        return self.kind in {"money", "hours", "number"}

    def value(self, obj: object) -> object:
        """Return the attribute ``path`` of ``obj`` (``None`` when a link is empty)."""
        for part in self.path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                return None
            if callable(obj):
                obj = obj()
        return obj


@dataclass(frozen=True)
class Records:
    """The records behind a KPI value: what they are, their rows, columns and links."""

    title: str
    queryset: QuerySet
    columns: tuple[Column, ...]
    admin_view: str
    note: str = ""

    def for_viewer(self, *, sees_money: bool) -> Records:
        """Return these records as a viewer sees them: money columns only for one who
        ``sees_money`` (``timesheets.policies.may_see_money``)."""
        if sees_money:
            return self
        return replace(self, columns=tuple(c for c in self.columns if c.kind != "money"))

    def admin_url(self, obj: Model) -> str:
        """Return the admin change page of ``obj``.

        The URL is reversed once per view name with a placeholder for the key (the
        admin's change URL takes any path there), then filled in with the key quoted as
        the admin quotes it: a page of 25 rows costs one ``reverse`` instead of 25.
        """
        return _admin_url_pattern(self.admin_view).replace(_PK, str(admin_quote(obj.pk)))


_PK = "__pk__"


@lru_cache(maxsize=64)
def _admin_url_pattern(view: str) -> str:
    """Return the URL of admin view ``view`` with ``__pk__`` in place of the key."""
    return reverse(view, args=[_PK])


RecordsFor = Callable[[KpiContext], Records]

_REGISTRY: dict[str, RecordsFor] = {}


def drilldown_register(*keys: str) -> Callable[[RecordsFor], RecordsFor]:
    """Register the decorated function as the drill-down of the KPIs ``keys``."""

    def decorator(func: RecordsFor) -> RecordsFor:
        for key in keys:
            if key in _REGISTRY and _REGISTRY[key] is not func:
                raise ValueError(f"drill-down of {key!r} is registered twice")
            _REGISTRY[key] = func
        return func

    return decorator


def drilldown_get(key: str) -> RecordsFor | None:
    """Return the drill-down function of KPI ``key`` (``None`` when it has none)."""
    return _REGISTRY.get(key)


def drilldown_keys() -> frozenset[str]:
    """Return the keys of every KPI that has a drill-down."""
    return frozenset(_REGISTRY)
