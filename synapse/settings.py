"""Synapse settings: one file, driven by the environment (see README "Configuration")."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Return the environment variable ``name`` read as a boolean."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """Return the comma-separated environment variable ``name`` as a list."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
# Under pytest the suite runs with test defaults (a throwaway secret key, plain static files).
TESTING = env_bool("SYNAPSE_TESTING", False) or "pytest" in sys.modules

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
# Without DJANGO_SECRET_KEY, management commands (import_data, kpi_report, ...) still run
# with a throwaway key, but a web server refuses to start unless debug is on
# (synapse/wsgi.py) and `check --deploy` fails (synapse/accounts/checks.py).
SECRET_KEY_MISSING = not SECRET_KEY
if SECRET_KEY_MISSING:
    SECRET_KEY = "insecure-throwaway-key"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    # Audit: who changed what, when (projects, contracts, time entries, tickets, KPI bands).
    "simple_history",
    "synapse.kpis",
    "synapse.exchange",
    "synapse.demo",
    "synapse.accounts",
    "synapse.dashboards",
    "synapse.bench",
    "synapse.outbox",
    "projects",
    "timesheets",
    "support",
    "surveys",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Records the signed-in user on history rows written during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "synapse.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "synapse.accounts.context_processors.role",
            ],
        },
    },
]

WSGI_APPLICATION = "synapse.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
# The firm's time zone: periods and business hours are read in it (kpis.md "Period").
TIME_ZONE = os.environ.get("SYNAPSE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: console backend unless configured (survey links and alerts).
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "synapse@localhost")

# Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
# With no broker the embedded default runs tasks eagerly, in-process. Under pytest tasks
# stay eager even with a broker (a test sees its own uncommitted rows); the tests marked
# ``services`` switch to the real broker and worker (tests/kpis/conftest.py).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL or TESTING
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 55 * 60
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
# Beat: https://docs.celeryq.dev/en/stable/userguide/periodic-tasks.html (times in
# CELERY_TIMEZONE, the firm's time zone).
CELERY_BEAT_SCHEDULE = {
    "kpi-snapshots-nightly": {
        "task": "synapse.kpis.tasks.kpi_snapshots_nightly",
        "schedule": crontab(hour=2, minute=0),
    },
    # Keeps met/breached flags of open tickets current for pages and alerts; the SLA
    # KPIs are correct without it (support.services stores the breach moment ahead).
    "support-sla-refresh-open": {
        "task": "support.tasks.tickets_sla_refresh_open",
        "schedule": crontab(minute="*/15"),
    },
    # Warn assignees whose ticket reached 80 % of its resolution clock (once per ticket).
    "support-sla-warnings": {
        "task": "support.tasks.tickets_sla_warn",
        "schedule": crontab(minute="*/5"),
    },
    # Send the tasks kept while the broker was down (synapse.outbox).
    "outbox-flush": {
        "task": "synapse.outbox.tasks.outbox_flush",
        "schedule": crontab(minute="*"),
    },
}

# Django REST framework: https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    # Token first: an anonymous call gets 401 with a ``WWW-Authenticate: Token`` header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["synapse.api.permissions.HasRole"],
    "DEFAULT_SCHEMA_CLASS": "synapse.api.schema.SynapseAutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "synapse.api.pagination.StandardPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_CLASSES": [
        "synapse.api.throttling.AnonThrottle",
        "synapse.api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("SYNAPSE_API_ANON_RATE", "60/hour"),
        "user": os.environ.get("SYNAPSE_API_USER_RATE", "20000/hour"),
    },
}

# drf-spectacular: https://drf-spectacular.readthedocs.io/en/latest/settings.html
# Swagger UI and Redoc are served from the drf-spectacular-sidecar package (no CDN).
SPECTACULAR_SETTINGS = {
    "TITLE": "Synapse API",
    "DESCRIPTION": (
        "Operations and KPI system: records, KPI snapshots and live KPI values. "
        "Authenticate with a session or a token (`Authorization: Token <key>`; tokens "
        "are issued in the admin). Money and hours are decimal strings with 2 places."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ProjectStatusEnum": "projects.models.Project.Status",
        "TicketStatusEnum": "support.models.Ticket.Status",
    },
}

# Survey invitations: at most one per contact per kind in this many days.
# The address of this site in links sent by email (alerts, survey invitations).
SYNAPSE_BASE_URL = os.environ.get("SYNAPSE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

SYNAPSE_SURVEY_DEDUP_DAYS = int(os.environ.get("SYNAPSE_SURVEY_DEDUP_DAYS", "30"))
SYNAPSE_SURVEY_LINK_MAX_AGE_DAYS = int(os.environ.get("SYNAPSE_SURVEY_LINK_MAX_AGE_DAYS", "30"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
