"""The KPI registry: one declaration per KPI, registered from each app's ``kpis.py``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synapse.kpis.engine import KpiContext
    from synapse.kpis.periods import Scope
    from synapse.kpis.results import KpiResult

AREAS = ("delivery", "people", "support", "clients", "revenue")
DIRECTIONS = ("higher", "lower", "inside", "zero", "none")

Compute = Callable[["KpiContext"], "dict[Scope, KpiResult]"]


@dataclass(frozen=True)
class Kpi:
    """A KPI declaration (kpis.md): what it is, its default band, and how to compute it.

    ``compute`` receives a ``KpiContext`` and returns a result for every scope of the
    kinds the context asks for (``ctx.kinds``) that has data, computed with a bounded
    number of grouped queries whatever the number of scopes. Scopes it leaves out have
    no data.
    ``band`` is ``(low, high)`` with ``None`` for an open side, or ``None`` for no band.
    ``direction``: ``higher``/``lower`` is better, ``inside`` the band is best, ``zero``
    closer to zero is better, ``none`` has no good or bad.
    ``formula`` is the pure function ``compute`` applies to the gathered inputs; its
    docstring states the formula and every reading chosen where kpis.md left one open,
    and ``docs/kpis.md`` is generated from it (``manage.py kpi_docs``).
    """

    key: str
    label: str
    unit: str
    area: str
    direction: str
    band: tuple[Decimal | None, Decimal | None] | None
    scopes: tuple[str, ...]
    compute: Compute
    definition: str
    formula: Callable[..., Any]
    version: int = 1
    #: Values beyond these are "bad" rather than "warn" when outside the band.
    bad_below: Decimal | None = None
    bad_above: Decimal | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.area not in AREAS:
            raise ValueError(f"{self.key}: unknown area {self.area!r}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"{self.key}: unknown direction {self.direction!r}")
        if "company" not in self.scopes:
            raise ValueError(f"{self.key}: every KPI supports the company scope")


_REGISTRY: dict[str, Kpi] = {}


def register(kpi: Kpi) -> Kpi:
    """Add ``kpi`` to the registry; a key registered twice is an error."""
    if kpi.key in _REGISTRY and _REGISTRY[kpi.key] is not kpi:
        raise ValueError(f"KPI {kpi.key!r} is registered twice")
    _REGISTRY[kpi.key] = kpi
    return kpi


def kpi_get(key: str) -> Kpi:
    """Return the KPI registered under ``key`` (``KeyError`` when unknown)."""
    return _REGISTRY[key]


def kpis_all() -> list[Kpi]:
    """Return every registered KPI in a stable order (area, then declaration order)."""
    order = {area: i for i, area in enumerate(AREAS)}
    return sorted(_REGISTRY.values(), key=lambda k: order[k.area])


def kpis_for_scope_kind(kind: str) -> list[Kpi]:
    """Return the KPIs that support scopes of ``kind``."""
    return [kpi for kpi in kpis_all() if kind in kpi.scopes]
