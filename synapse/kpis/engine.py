"""The KPI engine: compute registered KPIs for a period and scope(s).

``kpi_report``, the nightly snapshots and the dashboards all call ``kpis_compute``
or ``kpis_compute_all_scopes``, so the three can never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.utils import timezone

from synapse.kpis.periods import (
    COMPANY,
    SCOPE_KINDS,
    Period,
    Scope,
    local_date,
    local_midnight,
)
from synapse.kpis.registry import Kpi, kpi_get, kpis_all
from synapse.kpis.results import NO_DATA, KpiResult, band_status

T = TypeVar("T")
_SCOPE_ORDER = attrgetter("kind", "key")


@dataclass
class KpiContext:
    """What a KPI's compute function gets: the period, the clock and the scopes wanted.

    ``kinds`` are the scope kinds to return; ``only`` narrows to one scope (then
    ``kinds`` is that scope's kind plus nothing else). ``memo`` shares gathered inputs
    between KPIs computed in one run (e.g. completed projects' revenue and cost).
    """

    period: Period
    as_of: dt.datetime
    kinds: frozenset[str]
    only: Scope | None = None
    memo_store: dict[str, Any] = field(default_factory=dict)

    @property
    def start(self) -> dt.date:
        return self.period.start

    @property
    def end(self) -> dt.date:
        """Return the last day counted: the period end, or today if the period is running."""
        return min(self.period.end, local_date(self.as_of))

    @property
    def is_future(self) -> bool:
        return self.period.start > local_date(self.as_of)

    @property
    def start_dt(self) -> dt.datetime:
        """Return 00:00 firm time on the first day (inclusive lower bound for datetimes)."""
        return local_midnight(self.period.start)

    @property
    def end_dt(self) -> dt.datetime:
        """Return the exclusive upper bound for datetimes: the day after the end, or now."""
        return min(local_midnight(self.period.end + dt.timedelta(days=1)), self.as_of)

    def wants(self, kind: str) -> bool:
        return kind in self.kinds

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """Return ``compute()``, computed once per context under ``name``."""
        if name not in self.memo_store:
            self.memo_store[name] = compute()
        return self.memo_store[name]

    def narrow(self, queryset: QuerySet, **lookups: str) -> QuerySet:
        """Filter ``queryset`` to ``only`` when set: ``lookups`` map a scope kind to the
        lookup of its key, e.g. ``narrow(qs, client="client__code", project="code")``."""
        if self.only is None or self.only.kind == "company":
            return queryset
        lookup = lookups.get(self.only.kind)
        if lookup is None:
            return queryset
        return queryset.filter(**{lookup: self.only.key})


def grouped(rows: Iterable[dict], kind: str, key_field: str) -> dict[Scope, dict]:
    """Map rows of a ``values(key_field).annotate(...)`` query to scopes of ``kind``."""
    return {Scope(kind, str(row[key_field])): row for row in rows if row[key_field] is not None}


@dataclass(frozen=True)
class KpiValue:
    """A KPI result with the band in force and its status, ready to report or store."""

    kpi: Kpi
    scope: Scope
    result: KpiResult
    band: tuple[Decimal | None, Decimal | None] | None
    status: str | None

    @property
    def value(self) -> Decimal | None:
        return self.result.value

    def as_json(self, places: int = 4) -> dict[str, Any]:
        """Return the ``kpi_report`` JSON of data-exchange.md (numbers rounded to ``places``)."""
        return {
            "value": _num(self.result.value, places),
            "unit": self.kpi.unit,
            "numerator": _num(self.result.numerator, places),
            "denominator": _num(self.result.denominator, places),
            "sample_size": self.result.sample_size,
            "status": self.status,
            "band": None if self.band is None else [_num(b, places) for b in self.band],
            **({"reason": self.result.reason} if self.result.value is None else {}),
        }


def _num(value: Decimal | None, places: int) -> float | None:
    if value is None:
        return None
    return float(round(value, places))


Bands = dict[str, tuple[Decimal | None, Decimal | None]]


def bands_in_force() -> Bands:
    """Return the band of every KPI that has one (admin-edited ``KpiBand`` rows)."""
    from synapse.kpis.models import KpiBand

    return {band.key: (band.low, band.high) for band in KpiBand.objects.all()}


def _evaluate(
    kpi: Kpi, ctx: KpiContext, bands: dict[str, tuple[Decimal | None, Decimal | None]]
) -> dict[Scope, KpiValue]:
    results = {} if ctx.is_future else kpi.compute(ctx)
    band = bands.get(kpi.key)
    return {
        scope: KpiValue(kpi, scope, result, band, band_status(result.value, band))
        for scope, result in results.items()
    }


def kpis_compute(
    *,
    period: Period,
    scope: Scope = COMPANY,
    as_of: dt.datetime | None = None,
    keys: Iterable[str] | None = None,
) -> dict[str, KpiValue]:
    """Return every KPI that supports ``scope`` (or those in ``keys``) for one scope."""
    as_of = as_of or timezone.now()
    kpis = [kpi_get(k) for k in keys] if keys is not None else kpis_all()
    kpis = [kpi for kpi in kpis if scope.kind in kpi.scopes]
    ctx = KpiContext(period=period, as_of=as_of, kinds=frozenset({scope.kind}), only=scope)
    bands = bands_in_force()
    values = {}
    for kpi in kpis:
        found = _evaluate(kpi, ctx, bands)
        band = bands.get(kpi.key)
        values[kpi.key] = found.get(scope) or KpiValue(
            kpi, scope, NO_DATA, band, band_status(None, band)
        )
    return values


def kpis_compute_all_scopes(
    *,
    period: Period,
    as_of: dt.datetime | None = None,
    keys: Iterable[str] | None = None,
    bands: Bands | None = None,
) -> list[KpiValue]:
    """Return every KPI for the company and every client, project and employee with data.

    The company value is always present (no data when empty); other scopes appear only
    where they have data. Queries are per KPI, not per scope. ``bands`` are the bands
    in force (``bands_in_force()``, read here when not given): a snapshot run reads
    them once for all its periods.
    """
    as_of = as_of or timezone.now()
    kpis = [kpi_get(k) for k in keys] if keys is not None else kpis_all()
    if bands is None:
        bands = bands_in_force()
    ctx = KpiContext(period=period, as_of=as_of, kinds=frozenset(SCOPE_KINDS))
    out: list[KpiValue] = []
    for kpi in kpis:
        found = _evaluate(kpi, ctx, bands)
        if COMPANY not in found:
            band = bands.get(kpi.key)
            found[COMPANY] = KpiValue(kpi, COMPANY, NO_DATA, band, band_status(None, band))
        # Scope order (kind, then key) by a key tuple: cheaper than the dataclass's __lt__.
        scopes = sorted(found, key=_SCOPE_ORDER)
        out.extend(found[s] for s in scopes if s.kind in kpi.scopes)
    return out
