"""``manage.py kpi_report``: every KPI for one period and scope, computed live."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from synapse.api.kpis import kpi_report_build, scope_exists
from synapse.kpis.engine import kpis_compute
from synapse.kpis.periods import Period, Scope


def parse_date(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{name}: {text!r} is not a date (YYYY-MM-DD)", returncode=2) from exc


class Command(BaseCommand):
    help = "Print every KPI of kpis.md for a period and scope, computed live from the records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument(
            "--scope",
            default="company",
            help="company, client:<code>, project:<code> or employee:<username>",
        )
        parser.add_argument("--format", choices=["json", "table"], default="json")

    def handle(self, *args: Any, **options: Any) -> None:
        start = parse_date(options["start"], "--start")
        end = parse_date(options["end"], "--end")
        if end < start:
            raise CommandError(f"--end {end} is before --start {start}", returncode=2)
        try:
            scope = Scope.parse(options["scope"])
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if not scope_exists(scope):
            raise CommandError(f"unknown scope {scope}: no such {scope.kind}", returncode=2)

        if options["format"] == "json":
            report = kpi_report_build(start=start, end=end, scope=scope)
            self.stdout.write(json.dumps(report, indent=1))
            return
        values = kpis_compute(period=Period(start, end), scope=scope)
        self.stdout.write(f"KPIs {start} .. {end}, scope {scope}")
        header = f"{'kpi':32} {'value':>14} {'unit':6} {'n':>6}  {'status':8} band"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for key, value in values.items():
            shown = "—" if value.value is None else f"{value.value:,.2f}"
            band = (
                ""
                if value.band is None
                else " … ".join("" if b is None else f"{b.normalize():f}" for b in value.band)
            )
            self.stdout.write(
                f"{key:32} {shown:>14} {value.kpi.unit:6} {value.result.sample_size:>6}  "
                f"{value.status or '':8} {band}"
            )
