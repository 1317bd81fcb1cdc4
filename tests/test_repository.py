"""The repository stands on its own: nothing in it reaches outside its own folder."""

from __future__ import annotations

from tests.paths import REPO_ROOT, SMALL_FIRM

#: Folders that are not the project's files (tools, caches, local data).
SKIPPED = {".git", ".venv", "node_modules", "__pycache__", "bench-data", "artifacts", ".ruff_cache"}
#: The folder beside the repository that only the developers' machines have.
OUTSIDE = "../" + "shared"


def project_files():
    for path in REPO_ROOT.rglob("*"):
        relative = path.relative_to(REPO_ROOT)
        if path.is_file() and not SKIPPED.intersection(relative.parts):
            yield path


def test_no_file_of_the_project_refers_to_a_folder_beside_it():
    offending = []
    for path in project_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # images, databases
        offending.extend(
            f"{path.relative_to(REPO_ROOT)}:{number}"
            for number, line in enumerate(text.splitlines(), 1)
            if OUTSIDE in line
        )
    assert offending == []


def test_the_example_firm_is_in_the_repository():
    names = {path.name for path in SMALL_FIRM.iterdir()}
    assert {"expected.json", "clients.csv", "employees.csv", "time_entries.csv"} <= names
