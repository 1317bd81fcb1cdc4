"""How a KPI value reads on a page: number formats, band text, status words and tone.

Pure functions of numbers and a KPI declaration (no ORM, no clock), so the cards, the
KPI pages and the tests share one reading of "good", "warn" and "bad".
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from synapse.kpis.registry import Kpi

Band = tuple[Decimal | None, Decimal | None]

#: Status words with an icon, so that status never rests on colour alone.
STATUS_TEXT = {
    "within": "✓ Within band",
    "above": "▲ Above band",
    "below": "▼ Below band",
    "no_data": "No data",
    None: "No benchmark",
    "": "No benchmark",
}

#: What a KPI's sample size counts, for "based on 12 projects".
SAMPLE_NOUNS = {
    "delivery": "projects",
    "people": "employees",
    "support": "tickets",
    "clients": "responses",
    "revenue": "records",
}
SAMPLE_NOUNS_BY_KEY = {
    "post_integration_ticket_ratio": "projects",
    "clv_cac_ratio": "ratios",
    "rework_rate": "time entries",
    "timesheet_compliance": "expected days",
    "survey_response_rate": "invitations",
    "mrr": "contracts",
    "managed_services_gross_margin": "contracts",
    "client_retention": "clients",
    "logo_churn_rate": "clients",
    "customer_acquisition_cost": "new clients",
    "new_mrr": "clients",
    "expansion_mrr": "clients",
    "contraction_mrr": "clients",
    "churned_mrr": "clients",
    "net_mrr_churn": "clients",
}

#: Below this sample size a value is flagged as resting on thin data.
THIN_SAMPLE = 5
#: Survey scores on fewer responses than this are flagged (CSAT and NPS).
THIN_RESPONSES = 30
SURVEY_KEYS = frozenset({"csat", "nps"})


def sample_noun(kpi: Kpi) -> str:
    """Return what the sample size of ``kpi`` counts (plural noun)."""
    return SAMPLE_NOUNS_BY_KEY.get(kpi.key, SAMPLE_NOUNS.get(kpi.area, "records"))


def sample_text(kpi: Kpi, size: int) -> str:
    """Return ``12 projects``, ``1 project``, ``1 time entry`` for a sample of ``kpi``."""
    noun = sample_noun(kpi)
    if size == 1:
        noun = noun[:-3] + "y" if noun.endswith("ies") else noun.removesuffix("s")
    return f"{size:,} {noun}"


def sample_is_thin(kpi: Kpi, size: int) -> bool:
    """Return whether a value of ``kpi`` rests on too few records to read on its own.

    Money totals (MRR, its movements, average values), KPIs over a client's few
    contracts and utilization (one employee is a whole scope; its data gaps are
    reported from timesheets instead) are what they are whatever their count; CSAT
    and NPS use the survey threshold ``THIN_RESPONSES``, the rest ``THIN_SAMPLE``.
    """
    if kpi.unit == "money" or sample_noun(kpi) in {"contracts", "employees"}:
        return False
    if kpi.key in SURVEY_KEYS:
        return size < THIN_RESPONSES
    return size < THIN_SAMPLE


def _quantize(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def number_text(value: Decimal | None, unit: str) -> str:
    """Return ``value`` rounded for display in ``unit`` (no unit sign); "—" for none.

    Money is shown whole with thousands separators, ratios with 2 decimals, the rest
    (percentages, hours, weeks, scores) with 1 decimal. Rounding is for display only.
    """
    if value is None:
        return "—"
    value = Decimal(value)
    if unit == "money":
        text = f"{_quantize(value, 0):,.0f}"
    elif unit == "ratio":
        text = f"{_quantize(value, 2):,.2f}"
    else:
        text = f"{_quantize(value, 1):,.1f}"
    # A typographic minus, and no "−0.0" for a value that rounds to zero.
    return text.lstrip("-") if text.strip("-0.,") == "" else text.replace("-", "−")


def unit_text(unit: str) -> str:
    """Return the unit as printed after a value."""
    return {"money": "", "ratio": "×", "score": "", "weeks": "wk"}.get(unit, unit)


def value_text(value: Decimal | None, unit: str) -> str:
    """Return the value with its unit, e.g. ``85.0 %``, ``1.02 ×``, ``12,400``."""
    text = number_text(value, unit)
    suffix = unit_text(unit)
    if value is None or not suffix:
        return text
    return f"{text} {suffix}"


def bound_text(value: Decimal, unit: str) -> str:
    """Return a band bound without needless decimals: ``35``, ``0.95``, ``-5``."""
    text = number_text(value, unit)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def band_text(band: Band | None, unit: str) -> str:
    """Return the band as words: ``35 to 55 %``, ``≥ 90 %``, ``≤ 10 %`` ("" for none)."""
    if band is None or (band[0] is None and band[1] is None):
        return ""
    low, high = band
    suffix = f" {unit_text(unit)}" if unit_text(unit) else ""
    if low is not None and high is not None:
        return f"{bound_text(low, unit)} to {bound_text(high, unit)}{suffix}"
    if low is not None:
        return f"≥ {bound_text(low, unit)}{suffix}"
    return f"≤ {bound_text(high, unit)}{suffix}"


def status_text(status: str | None) -> str:
    """Return the status in words with its icon (``✓ Within band`` …)."""
    return STATUS_TEXT.get(status, "No benchmark")


def kpi_tone(kpi: Kpi, *, value: Decimal | None, band: Band | None) -> str:
    """Return ``good``, ``warn``, ``bad`` or ``none`` for a value of ``kpi``.

    Inside the band is good; so is beyond it on the better side (above for
    higher-is-better, below for lower-is-better). On the worse side, a KPI with an
    explicit bad threshold (``bad_below``/``bad_above``, e.g. CSAT < 75, SLA < 95) is
    warn up to it and bad beyond it. Without one, a one-directional KPI (higher or
    lower) is bad as soon as it leaves the band, while a two-sided KPI (inside the band,
    or closest to zero) is warn: the benchmark itself is the line a board reads as the
    target, and a two-sided band's edge is a caution rather than a failure.
    No value, no band or direction ``none``: ``none``.
    """
    if value is None or band is None or kpi.direction == "none":
        return "none"
    low, high = band
    if low is not None and value < low:
        side, bad_at = "below", kpi.bad_below
    elif high is not None and value > high:
        side, bad_at = "above", kpi.bad_above
    else:
        return "good"
    if (kpi.direction, side) in {("higher", "above"), ("lower", "below")}:
        return "good"
    if bad_at is not None:
        beyond = value < bad_at if side == "below" else value > bad_at
        return "bad" if beyond else "warn"
    return "bad" if kpi.direction in {"higher", "lower"} else "warn"


def delta_text(current: Decimal | None, previous: Decimal | None, unit: str) -> str:
    """Return the change from ``previous`` to ``current``: ``+2.4 pts``, ``−1,200``, ``""``.

    Percent KPIs change by percentage points ("pts"), never by a percent of a percent.
    """
    if current is None or previous is None:
        return ""
    change = Decimal(current) - Decimal(previous)
    if unit in {"%", "%/month"}:
        suffix = " pts"
    elif unit_text(unit):
        suffix = f" {unit_text(unit)}"
    else:
        suffix = ""
    text = number_text(abs(change), unit)
    if text.strip("0.,") == "":
        return f"±0{suffix}"
    sign = "+" if change > 0 else "−"
    return f"{sign}{text}{suffix}"


def delta_direction(current: Decimal | None, previous: Decimal | None) -> str:
    """Return ``up``, ``down`` or ``flat`` (``""`` when either value is missing)."""
    if current is None or previous is None:
        return ""
    if current > previous:
        return "up"
    if current < previous:
        return "down"
    return "flat"


def delta_tone(kpi: Kpi, *, current: Decimal | None, previous: Decimal | None) -> str:
    """Return ``better``, ``worse`` or ``""`` for the change, from the KPI's direction.

    ``inside`` and ``zero`` KPIs have no better direction of change; they get ``""``.
    """
    direction = delta_direction(current, previous)
    if direction in {"", "flat"}:
        return ""
    if kpi.direction == "higher":
        return "better" if direction == "up" else "worse"
    if kpi.direction == "lower":
        return "better" if direction == "down" else "worse"
    return ""
