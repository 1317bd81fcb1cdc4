"""``manage.py bench --scale small|medium|large``: generate a firm and measure the product.

Prints a table, then one ``name: value`` line per figure, ending with
``recompute_vs_sql_ratio``, ``import_rows_per_s``, ``dashboard_p95_ms``,
``dashboard_queries_small`` and ``dashboard_queries_large``. See docs/performance.md.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from projects.models import Client
from synapse.bench import measure
from synapse.bench.scales import SCALES
from synapse.kpis.models import KpiRun, KpiSnapshot
from synapse.kpis.periods import local_midnight

#: The measuring steps of a run after the firm is in place, in order.
STEPS = ("recompute", "nightly", "queries", "load")
#: Printed last, in this order (issue 7).
HEADLINE = (
    "recompute_vs_sql_ratio",
    "import_rows_per_s",
    "dashboard_p95_ms",
    "dashboard_queries_small",
    "dashboard_queries_large",
)


def reset_database() -> None:
    """Drop every table and migrate again, so the data the migrations seed (SLA
    policies, KPI bands) is back — ``flush`` would leave those tables empty."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if connection.vendor == "postgresql":
            if tables:
                cursor.execute("DROP TABLE " + ", ".join(quote(t) for t in tables) + " CASCADE")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table in tables:
                cursor.execute(f"DROP TABLE {quote(table)}")
            cursor.execute("PRAGMA foreign_keys = ON")
    call_command("migrate", verbosity=0)


class Command(BaseCommand):
    help = (
        "Generate a deterministic firm of 20/60/200 people over 1/3/5 years on the database "
        "in DATABASE_URL and measure import, snapshot recompute vs hand-written SQL, "
        "dashboard latency under 50 req/s open-loop load, queries per page and memory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="drop and re-migrate the database first (it must be a scratch one)",
        )
        parser.add_argument(
            "--reuse", action="store_true", help="the database already holds this scale's firm"
        )
        parser.add_argument(
            "--resume-import",
            action="store_true",
            help="the firm is written and its CSV too: start from the import",
        )
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
        parser.add_argument("--skip-load", action="store_true", help="no gunicorn load test")
        parser.add_argument(
            "--only",
            help=(
                "with --reuse: run only these steps, comma-separated, of "
                f"{', '.join(STEPS)} (e.g. --only queries,load to iterate on the pages); "
                "the other figures are read back from the last run's results"
            ),
        )
        # Internal: the child processes the benchmark measures one at a time.
        parser.add_argument("--phase", choices=("import", "recompute", "nightly"))
        parser.add_argument("--dir", type=Path)
        parser.add_argument("--from", dest="start")
        parser.add_argument("--to", dest="end")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["phase"]:
            report = self._phase(options)
            report["peak_rss_mb"] = measure.peak_rss_mb()
            self.stdout.write(json.dumps(report))
            return
        scale = SCALES[options["scale"]]
        say = self.stderr.write
        steps = self._steps(options)
        began = time.perf_counter()
        call_command("migrate", verbosity=0)
        figures = measure.Figures()
        figures["scale"] = scale.name
        figures["database"] = connection.vendor
        if set(steps) != set(STEPS):
            # A partial run: the figures of the steps left out are the last run's.
            for name, value in self._saved(scale.name).items():
                figures[name] = value
            figures["steps"] = ",".join(steps)
        if options["resume_import"]:
            folder = measure.data_dir(scale)
            with (folder / "time_entries.csv").open(encoding="utf-8") as handle:
                figures["time_entries"] = sum(1 for _ in handle) - 1
            say("Importing the time entries through import_data")
            measure.measure_import(folder, figures, say)
        elif not options["reuse"]:
            if Client.objects.exists():
                if not options["reset"]:
                    raise CommandError(
                        "the database already holds data: use a scratch database and --reset, "
                        "or --reuse to measure the firm already there",
                        returncode=2,
                    )
                reset_database()
            say(f"Generating the {scale.name} firm ({scale.people} people, {scale.years} years)")
            folder = measure.generate(scale, figures, say)
            say("Importing the time entries through import_data")
            measure.measure_import(folder, figures, say)
        else:
            previous = self._saved(scale.name)
            for name in ("time_entries", "import_rows_per_s", "import_peak_mb", "import_s"):
                figures[name] = previous.get(name)
        if "recompute" in steps:
            say("Recomputing every snapshot, then the hand-written SQL floor")
            measure.measure_recompute(scale, figures, say)
        if "nightly" in steps:
            say("Nightly job")
            measure.measure_nightly(scale, figures, say)
        if "queries" in steps:
            say("Queries per page")
            measure.measure_queries(scale, figures, say)
        if "load" in steps and not options["skip_load"]:
            say(f"Load: {measure.RATE:.0f} req/s open loop against gunicorn")
            measure.measure_load(scale, figures, say, workers=options["workers"])
        figures["total_s"] = round(time.perf_counter() - began, 1)
        self._save(scale.name, figures.values)
        for other in ("small", "large"):
            name = f"dashboard_queries_{other}"
            if name not in figures.values:
                figures[name] = self._saved(other).get(name, "n/a")
        self._print(figures.values)

    def _steps(self, options: dict[str, Any]) -> tuple[str, ...]:
        """Return the measuring steps to run: all, or those of ``--only`` (with ``--reuse``)."""
        if not options["only"]:
            return STEPS
        wanted = {step.strip() for step in options["only"].split(",") if step.strip()}
        unknown = wanted - set(STEPS)
        if unknown:
            raise CommandError(f"unknown step(s) {', '.join(sorted(unknown))}: use {STEPS}")
        if not options["reuse"]:
            raise CommandError("--only measures a firm already there: add --reuse")
        return tuple(step for step in STEPS if step in wanted)

    def _phase(self, options: dict[str, Any]) -> dict[str, object]:
        began = time.perf_counter()
        if options["phase"] == "import":
            call_command("import_data", str(options["dir"]), verbosity=0)
            return {"seconds": time.perf_counter() - began}
        if options["phase"] == "recompute":
            from synapse.kpis.snapshots import snapshots_backfill

            KpiSnapshot.objects.all().delete()
            KpiRun.objects.all().delete()
            if connection.vendor == "postgresql":
                # An emptied table as a fresh install has it (a --reuse run deletes the
                # previous run's rows; this server's autovacuum may be off). Not timed.
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE kpis_kpisnapshot")
            began = time.perf_counter()
            outcome = snapshots_backfill(
                start=dt.date.fromisoformat(options["start"]),
                end=dt.date.fromisoformat(options["end"]),
            )
            return {
                "seconds": time.perf_counter() - began,
                "periods": outcome.periods,
                "snapshots": outcome.snapshots,
            }
        from synapse.kpis.snapshots import snapshots_nightly

        last = dt.date.fromisoformat(options["end"])
        outcome = snapshots_nightly(as_of=local_midnight(last) + dt.timedelta(hours=22))
        return {"seconds": time.perf_counter() - began, "periods": outcome.periods}

    def _results_path(self, scale: str) -> Path:
        return measure.DATA_DIR / f"results-{connection.vendor}-{scale}.json"

    def _saved(self, scale: str) -> dict:
        path = self._results_path(scale)
        return json.loads(path.read_text()) if path.exists() else {}

    def _save(self, scale: str, values: dict[str, object]) -> None:
        measure.DATA_DIR.mkdir(exist_ok=True)
        self._results_path(scale).write_text(json.dumps(values, indent=2, default=str))

    def _print(self, values: dict[str, object]) -> None:
        names = [n for n in values if n not in HEADLINE] + [n for n in HEADLINE if n in values]
        width = max(len(n) for n in names)
        self.stdout.write(f"{'figure':<{width}}  value")
        self.stdout.write(f"{'-' * width}  {'-' * 12}")
        for name in names:
            self.stdout.write(f"{name:<{width}}  {values[name]}")
        self.stdout.write("")
        for name in names:
            value = values[name]
            self.stdout.write(f"{name}: {'n/a' if value is None else value}")
