"""Processes refuse to start insecurely: no signing or sending on a throwaway key.

Without ``DJANGO_SECRET_KEY`` the settings fall back to a throwaway key so that harmless
commands (``check --deploy``, ``migrate``, ``import_data``, ``bench``) still run. With
debug off, a process that signs (survey links, password-reset tokens) or sends (alerts,
invitations) on that key would hand out links the web refuses as tampered, so it must
not start: the web server (``synapse/wsgi.py``), the Celery worker and beat
(``synapse/celery.py``) and every management command but the ones listed in
``COMMANDS_WITHOUT_SECRETS`` (``manage.py``) call ``secret_key_refusal``.
"""

from __future__ import annotations

from django.conf import settings

#: Management commands that neither sign nor send anything, so may run without the key.
#: Any other command (``compute_snapshots``, which emails alerts; ``sendtestemail``;
#: ``shell``; ``runserver``; a command added later) refuses while the key is missing.
COMMANDS_WITHOUT_SECRETS = frozenset(
    {
        # Django's own, for deploying and looking.
        "check",
        "migrate",
        "makemigrations",
        "showmigrations",
        "sqlmigrate",
        "collectstatic",
        "findstatic",
        "diffsettings",
        "createsuperuser",
        "changepassword",
        "clearsessions",
        "help",
        "version",
        # django-axes: list and clear lockouts.
        "axes_list_attempts",
        "axes_reset",
        "axes_reset_ip",
        "axes_reset_username",
        "axes_reset_failure_logs",
        "axes_reset_logs",
        # Synapse's data commands, which write and read rows only; seed_demo refuses by
        # itself outside debug mode.
        "import_data",
        "export_data",
        "kpi_report",
        "kpi_docs",
        "bench",
        "otp_enroll",
        "seed_demo",
    }
)


def secret_key_refusal(process: str) -> str | None:
    """Return why ``process`` must not start (no ``DJANGO_SECRET_KEY`` with debug off),
    or None when it may."""
    if getattr(settings, "SECRET_KEY_MISSING", False) and not settings.DEBUG:
        return (
            f"Refusing to start {process}: DJANGO_SECRET_KEY is required when DJANGO_DEBUG "
            "is off (links signed on a throwaway key are refused by the web as tampered). "
            "Set DJANGO_SECRET_KEY to the web server's key."
        )
    return None


def command_refusal(argv: list[str]) -> str | None:
    """Return why the management command in ``argv`` must not run, or None when it may."""
    name = argv[1] if len(argv) > 1 else "help"
    if name.startswith("-") or name in COMMANDS_WITHOUT_SECRETS:
        return None
    return secret_key_refusal(f"manage.py {name}")
