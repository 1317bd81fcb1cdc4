"""Where the repository's own files are, for tests that read them."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
#: The example firm of the import format, with the KPI values it must give (expected.json).
SMALL_FIRM = REPO_ROOT / "examples" / "small-firm"
