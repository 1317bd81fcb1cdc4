"""``manage.py import_data DIR [--dry-run] [--update-accounts]``: load a folder of CSV files
(data-exchange.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from synapse.exchange.importer import exchange_import


class Command(BaseCommand):
    help = "Validate and upsert the CSV files of DIR, all or nothing (data-exchange.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report counts; write nothing"
        )
        parser.add_argument(
            "--update-accounts",
            action="store_true",
            help="let employees.csv change existing accounts' emails (each change is listed)",
        )

    def handle(
        self,
        *args: Any,
        directory: Path,
        dry_run: bool,
        update_accounts: bool = False,
        **options: Any,
    ) -> None:
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory", returncode=2)
        report = exchange_import(
            directory=directory,
            dry_run=dry_run,
            progress=self.stderr._out,
            update_accounts=update_accounts,
        )
        for error in report.errors:
            self.stderr.write(error)
        if report.errors:
            raise CommandError(
                f"{len(report.errors)} error(s) found; nothing was imported.", returncode=1
            )
        for note in report.notes:
            self.stderr.write(note)
        verb = "would be" if dry_run else "were"
        for change in report.email_changes:
            self.stdout.write(f"Account email {'would change' if dry_run else 'changed'}: {change}")
        for name, counts in report.counts.items():
            self.stdout.write(
                f"{name}: {counts.rows} rows; {counts.created} created, "
                f"{counts.updated} updated, {counts.unchanged} unchanged"
            )
        self.stdout.write(f"Dry run: the changes above {verb} not written." if dry_run else "Done.")
