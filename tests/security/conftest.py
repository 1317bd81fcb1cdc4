"""Helpers of the security tests: a production-like environment for subprocesses."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import browser_page, chromium  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """Return the environment of a production start: debug off, a key, hosts, a database.

    ``overrides`` set (or, with None, remove) variables. Variables that would make the
    child a test run or a debug run are removed first.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SYNAPSE_", "DATABASE_", "PYTEST_"))
    }
    env.update(
        {
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "synapse.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        }
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py args`` in a fresh interpreter with ``env``."""
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_value(env: dict[str, str], name: str) -> str:
    """Return ``repr(settings.<name>)`` as a fresh interpreter with ``env`` reads it."""
    code = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'synapse.settings'; "
        f"from django.conf import settings; print(repr(settings.{name}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


@pytest.fixture
def prod_env(tmp_path):
    """Return a factory of production environments (see ``production_env``)."""

    def make(**overrides: str | None) -> dict[str, str]:
        return production_env(tmp_path, **overrides)

    return make
