"""The sizes of firm the benchmark generates (issue 7: 20 / 60 / 200 people, 1 / 3 / 5 years)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: The last day of every generated history: fixed, so that a scale always gives the
#: same firm whatever day the benchmark runs.
HISTORY_END = dt.date(2025, 12, 31)


@dataclass(frozen=True)
class Scale:
    """How big a firm to generate; the record counts grow with people × years.

    At ``large`` (200 people, 5 years): ~1M time entries, 250k tickets, 50k survey
    responses, 500 projects, 150 clients.
    """

    name: str
    people: int
    years: int
    seed: int = 7
    end: dt.date = HISTORY_END
    #: Tickets per person-year, survey responses per person-year.
    tickets_per_person_year: int = 250
    responses_per_person_year: int = 50
    #: How long the open-loop load runs, in seconds.
    load_seconds: int = 30
    saturation_seconds: int = 8

    @property
    def start(self) -> dt.date:
        """Return the first day of the history (1 January, ``years`` years before the end)."""
        return dt.date(self.end.year - self.years + 1, 1, 1)

    @property
    def clients(self) -> int:
        return max(3, round(150 * self.people / 200))

    @property
    def projects(self) -> int:
        return max(4, round(500 * self.people * self.years / 1000))

    @property
    def tickets(self) -> int:
        return self.tickets_per_person_year * self.people * self.years

    @property
    def responses(self) -> int:
        return self.responses_per_person_year * self.people * self.years


SCALES = {
    "small": Scale("small", people=20, years=1, load_seconds=8, saturation_seconds=3),
    "medium": Scale("medium", people=60, years=3, load_seconds=20, saturation_seconds=6),
    "large": Scale("large", people=200, years=5),
}
