"""The generated firms the bench tests use."""

import dataclasses
import datetime as dt

from synapse.bench.scales import Scale

TINY = Scale(
    "tiny",
    people=8,
    years=1,
    tickets_per_person_year=25,
    responses_per_person_year=5,
    end=dt.date(2025, 3, 31),
)

# With more survey responses, so every survey KPI has data in every month.
SMALL_FIRM = dataclasses.replace(TINY, responses_per_person_year=12)
