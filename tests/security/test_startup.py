"""With debug off and no DJANGO_SECRET_KEY, nothing that signs or sends starts.

A throwaway key would sign survey links and reset tokens the web refuses as tampered.
The Celery worker and beat, and every management command not known to neither sign nor
send, stop with a message and exit status 1; the harmless ones still run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from synapse.security.startup import (
    COMMANDS_WITHOUT_SECRETS,
    command_refusal,
    secret_key_refusal,
)
from tests.security.conftest import ROOT, manage

CELERY = Path(sys.executable).with_name("celery")


def test_the_refusal_needs_both_debug_off_and_the_key_missing(settings):
    settings.SECRET_KEY_MISSING, settings.DEBUG = True, False
    assert "DJANGO_SECRET_KEY is required" in secret_key_refusal("the worker")
    assert "the worker" in secret_key_refusal("the worker")
    settings.DEBUG = True
    assert secret_key_refusal("the worker") is None
    settings.SECRET_KEY_MISSING, settings.DEBUG = False, False
    assert secret_key_refusal("the worker") is None


def test_commands_that_sign_or_send_are_refused_the_others_run(settings):
    settings.SECRET_KEY_MISSING, settings.DEBUG = True, False
    for name in ("compute_snapshots", "sendtestemail", "shell", "runserver", "a_new_command"):
        assert "manage.py " + name in command_refusal(["manage.py", name])
    for name in ("check", "migrate", "import_data", "export_data", "bench", "kpi_report"):
        assert command_refusal(["manage.py", name]) is None
    assert command_refusal(["manage.py"]) is None
    assert command_refusal(["manage.py", "--version"]) is None
    assert "compute_snapshots" not in COMMANDS_WITHOUT_SECRETS
    settings.SECRET_KEY_MISSING = False
    assert command_refusal(["manage.py", "compute_snapshots"]) is None


@pytest.mark.parametrize("command", [("compute_snapshots",), ("sendtestemail", "a@example.com")])
def test_manage_py_refuses_a_sending_command_without_the_key(prod_env, command):
    result = manage(prod_env(DJANGO_SECRET_KEY=None), *command)
    assert result.returncode == 1
    assert f"Refusing to start manage.py {command[0]}" in result.stderr
    assert "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off" in result.stderr


def test_manage_py_runs_a_harmless_command_without_the_key(prod_env):
    result = manage(prod_env(DJANGO_SECRET_KEY=None), "check")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("process", ["worker", "beat"])
def test_celery_refuses_to_start_without_the_key(prod_env, tmp_path, process):
    env = prod_env(DJANGO_SECRET_KEY=None, CELERY_BROKER_URL="memory://")
    extra = ["--pool=solo", "--without-gossip", "--without-mingle", "-Q", "wtc-none"]
    if process == "beat":
        extra = ["--schedule", str(tmp_path / "beat-schedule")]
    # Without the refusal the process would run until the timeout: the test then fails.
    result = subprocess.run(
        [str(CELERY), "-A", "synapse", process, *extra],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Refusing to start the Celery worker or beat" in result.stdout + result.stderr
