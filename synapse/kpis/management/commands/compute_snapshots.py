"""``manage.py compute_snapshots``: store KPI snapshots for a range, or run the nightly job."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from synapse.kpis.periods import Period, local_date
from synapse.kpis.registry import kpi_get
from synapse.kpis.snapshots import RunOutcome, snapshots_backfill, snapshots_nightly


def parse_date(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{name}: {text!r} is not a date (YYYY-MM-DD)", returncode=2) from exc


class Command(BaseCommand):
    help = (
        "Compute and store KPI snapshots of every month, quarter and year (and ISO week "
        "for utilization) touching --from..--to. With neither, run the nightly job: the "
        "current and previous periods plus catch-up since the last successful night."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (default today)")
        parser.add_argument("--kpi", action="append", dest="keys", help="only this KPI key")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        keys = options["keys"]
        for key in keys or []:
            try:
                kpi_get(key)
            except KeyError as exc:
                raise CommandError(f"--kpi: unknown KPI {key!r}", returncode=2) from exc
        if options["start"] is None and options["end"] is None and keys is None:
            self._report(snapshots_nightly())
            return
        today = local_date(timezone.now())
        end = parse_date(options["end"], "--to") if options["end"] else today
        start = parse_date(options["start"], "--from") if options["start"] else end
        if end < start:
            raise CommandError(f"--to {end} is before --from {start}", returncode=2)

        bar = tqdm(
            unit="period",
            desc="KPI snapshots",
            disable=options["no_progress"] or options["verbosity"] == 0,
        )

        def started(periods: list[Period]) -> None:
            bar.reset(total=len(periods))

        def advanced(period: Period) -> None:
            bar.set_postfix_str(f"{period.grain} {period.label}", refresh=False)
            bar.update()

        with bar:
            outcome = snapshots_backfill(
                start=start, end=end, keys=keys, progress=advanced, before_start=started
            )
        self._report(outcome)

    def _report(self, outcome: RunOutcome) -> None:
        if outcome.skipped:
            self.stderr.write(
                f"Skipped: another snapshot run holds the lock (run #{outcome.run_id})."
            )
            return
        self.stdout.write(
            f"Run #{outcome.run_id}: {outcome.snapshots} snapshots in {outcome.periods} periods"
            + (f", {outcome.alerts} alerts" if outcome.alerts else "")
            + "."
        )
