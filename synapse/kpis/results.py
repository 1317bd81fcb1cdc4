"""KPI results and the small pure formulas every ratio KPI shares."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class KpiResult:
    """One KPI value with what it rests on: numerator, denominator and sample size.

    ``value`` is ``None`` when there is no data (an empty denominator) or when it is
    undefined, with ``reason`` saying why.
    """

    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    sample_size: int = 0
    reason: str = ""

    @property
    def has_data(self) -> bool:
        return self.value is not None


NO_DATA = KpiResult(value=None, reason="no data in period")


def to_decimal(value: object) -> Decimal:
    """Return ``value`` (int, Decimal, float or None) as a Decimal; None is 0."""
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def percentage(numerator: object, denominator: object, *, sample_size: int) -> KpiResult:
    """Return numerator / denominator × 100; no data when the denominator is 0."""
    num, den = to_decimal(numerator), to_decimal(denominator)
    if den == 0:
        return KpiResult(None, num, den, sample_size, "empty denominator")
    return KpiResult(num / den * HUNDRED, num, den, sample_size)


def ratio(numerator: object, denominator: object, *, sample_size: int) -> KpiResult:
    """Return numerator / denominator; no data when the denominator is 0."""
    num, den = to_decimal(numerator), to_decimal(denominator)
    if den == 0:
        return KpiResult(None, num, den, sample_size, "empty denominator")
    return KpiResult(num / den, num, den, sample_size)


def mean(total: object, count: int) -> KpiResult:
    """Return total / count (a mean over ``count`` records); no data when count is 0."""
    return ratio(total, count, sample_size=count)


def margin(revenue: object, cost: object, *, sample_size: int) -> KpiResult:
    """Return (revenue − cost) / revenue × 100; no data when revenue is 0."""
    rev, cst = to_decimal(revenue), to_decimal(cost)
    return percentage(rev - cst, rev, sample_size=sample_size)


Band = tuple[Decimal | None, Decimal | None]


def band_status(value: Decimal | None, band: Band | None) -> str | None:
    """Return ``no_data``, ``below``, ``within`` or ``above`` (``None`` with no band).

    Bands are inclusive and one-sided bands are open on their missing side (kpis.md).
    """
    if value is None:
        return "no_data"
    if band is None:
        return None
    low, high = band
    if low is not None and value < low:
        return "below"
    if high is not None and value > high:
        return "above"
    return "within"
