"""``manage.py kpi_docs``: write the user references generated from the code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from synapse.exchange.reference import exchange_reference
from synapse.kpis.reference import kpi_reference


def generated_docs() -> dict[str, Callable[[], str]]:
    """Return each generated doc's path (from the repository root) and its writer."""
    return {"docs/kpis.md": kpi_reference, "docs/data-exchange.md": exchange_reference}


class Command(BaseCommand):
    help = "Write docs/kpis.md and docs/data-exchange.md from the KPI declarations and schemas."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; exit with status 1 when a committed file is out of date",
        )

    def handle(self, *args: object, check: bool, **options: object) -> None:
        stale = []
        for name, write in generated_docs().items():
            path = Path(settings.BASE_DIR) / name
            text = write()
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current == text:
                continue
            stale.append(name)
            if not check:
                path.write_text(text, encoding="utf-8")
                self.stdout.write(f"wrote {name}")
        if check and stale:
            raise CommandError(
                f"out of date: {', '.join(stale)} (run: python manage.py kpi_docs)", returncode=1
            )
        if not stale:
            self.stdout.write("the generated docs are up to date")
