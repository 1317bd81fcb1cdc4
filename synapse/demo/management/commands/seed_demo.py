"""``manage.py seed_demo``: generate the demo firm (two years of realistic history)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from synapse.demo.services import demo_firm_exists, demo_firm_seed, demo_logins_present
from synapse.kpis.snapshots import snapshots_backfill


class Command(BaseCommand):
    help = (
        "Generate the demo firm: staff, clients, contracts, projects, time, tickets and "
        "surveys up to today, deterministic for a seed. Debug mode only (demo logins)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument("--months", type=int, default=24, help="months of history (default 24)")
        parser.add_argument(
            "--today", help="generate as if today were YYYY-MM-DD (default: today, firm time)"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when any client exists"
        )
        parser.add_argument(
            "--snapshots",
            action="store_true",
            help="also compute the KPI snapshots of the whole generated history",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="generate with DEBUG off, without the demo logins (password 'demo')",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        allow_production = options["allow_production"]
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: it creates demo logins with the "
                "password 'demo'. Set DJANGO_DEBUG=1, or pass --allow-production to generate "
                "the data without any demo logins."
            )
        if options["months"] < 1:
            raise CommandError("--months must be at least 1")
        try:
            today = (
                dt.date.fromisoformat(options["today"])
                if options["today"]
                else timezone.localdate()
            )
        except ValueError as exc:
            raise CommandError(f"--today: {options['today']!r} is not a date") from exc
        if demo_firm_exists():
            if options["if_empty"]:
                self.stdout.write("seed_demo: the database already has data; nothing done.")
                self.write_logins(demo_logins_present())
                return
            raise CommandError(
                "The database already has clients; seed_demo only fills an empty database "
                "(use --if-empty to skip quietly)."
            )
        summary = demo_firm_seed(
            seed=options["seed"],
            today=today,
            months=options["months"],
            demo_users=settings.DEBUG,
        )
        self.stdout.write(
            f"Demo firm generated from {summary.start} to {summary.today} (seed {options['seed']}):"
        )
        for label, count in summary.counts.items():
            self.stdout.write(f"  {count:>7,} {label}")
        if options["snapshots"]:
            self.stdout.write("Computing KPI snapshots of the whole history ...")
            outcome = snapshots_backfill(start=summary.start, end=summary.today)
            self.stdout.write(f"  {outcome.snapshots:,} snapshots in {outcome.periods} periods")
        if summary.logins:
            self.write_logins(summary.logins)
        else:
            self.stdout.write("No demo logins were created (DEBUG is off).")

    def write_logins(self, logins: list[tuple[str, str, str]]) -> None:
        if not logins:
            return
        self.stdout.write("Demo logins:")
        for username, password, what in logins:
            self.stdout.write(f"  {username:8} / {password}  ({what})")
