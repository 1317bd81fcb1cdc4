"""Playwright for Python driving Debian's Chromium against pytest-django's live server.

The tests are skipped, with the reason, only when Chromium is missing outside CI; in
CI (``CI`` set) a missing browser fails them, so they always run there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture(scope="module")
def chromium():
    """Return a headless Chromium, one per test module.

    Module-scoped, not session-wide: Playwright's sync API keeps an event loop running
    while it is open, and a test module that starts its own ``sync_playwright()``
    cannot do so inside another one's loop.
    """
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is missing at {CHROMIUM}: .ci/run installs it in CI")
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install -y chromium)")
    # The sync API runs an event loop in this thread; Django's ORM (used by the test's
    # own setup and the live server in the same process) must be allowed beside it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium, live_server):
    """Return a fresh page (laptop viewport) whose relative URLs hit the live server."""
    context = chromium.new_context(
        viewport={"width": 1366, "height": 900}, base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def artifacts() -> Path:
    """Return the (gitignored) folder screenshots are saved in."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
