"""docs/permissions.md shows exactly the permission matrices the tests check."""

from __future__ import annotations

from tests.permission_docs import DOC, render


def test_the_committed_permissions_doc_is_what_the_matrices_give():
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/permissions.md is out of date: run `python -m tests.permission_docs` "
        "(or `make docs`) and commit it"
    )


def test_the_doc_lists_the_rules_that_matter_most():
    text = render()
    assert "| `/api/v1/time-entries/E-MINE-SUBMITTED/` | 401 · 200 · 200 · 200 · 200 |" in text
    assert "| `cost` | executives and admins | nobody: computed |" in text
    assert "| `opened_at` | whoever may read the record | the desk's actions" in text
