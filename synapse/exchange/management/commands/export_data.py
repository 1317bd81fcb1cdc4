"""``manage.py export_data DIR``: write the database as the folder of CSV files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from synapse.exchange.exporter import exchange_export


class Command(BaseCommand):
    help = "Write every CSV file of the data-exchange format from the database into DIR."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, directory: Path, **options: Any) -> None:
        written = exchange_export(directory=directory)
        for name, count in written.items():
            self.stdout.write(f"{name}: {count} rows")
