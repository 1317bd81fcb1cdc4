"""Synapse settings: one file, driven by the environment (see README "Configuration")."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
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
# Without DJANGO_SECRET_KEY, commands that neither sign nor send (check, migrate,
# import_data, kpi_report, ...) still run with a throwaway key; unless debug is on, the
# web server, the Celery worker and beat and every other command refuse to start
# (synapse/security/startup.py) and `check --deploy` fails (synapse/accounts/checks.py).
SECRET_KEY_MISSING = not SECRET_KEY
if SECRET_KEY_MISSING:
    SECRET_KEY = "insecure-throwaway-key"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")

INSTALLED_APPS = [
    # The admin site requires a second factor (synapse.security.admin.SynapseAdminSite).
    "synapse.security.apps.SynapseAdminConfig",
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
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "synapse.security",
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
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "synapse.security.middleware.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "synapse.api.middleware.RejectNulMiddleware",
    # Records the signed-in user on history rows written during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
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

# Cache: local memory per process by default; SYNAPSE_CACHE_URL=redis://host:6379/1 shares
# one Redis between every process (gunicorn workers, celery worker), so the survey rate
# limit counts across them and the dashboards render a fragment once for all workers.
# The dashboards' cached fragments are keyed by a version token read from the database
# (synapse/dashboards/cache.py), so they are correct with either backend.
# https://docs.djangoproject.com/en/5.2/topics/cache/#redis
SYNAPSE_CACHE_URL = os.environ.get("SYNAPSE_CACHE_URL", "").strip()
if SYNAPSE_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": SYNAPSE_CACHE_URL,
            "KEY_PREFIX": os.environ.get("SYNAPSE_CACHE_KEY_PREFIX", "synapse"),
            # A Redis that is away costs a request at most a second per cache call: the
            # throttles, rate limits and fragments then go on without it
            # (synapse.security.limits.FailOpenCache).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    # The dashboards' fragments under a prefix of their own (the same Redis).
    CACHES["dashboards"] = {**CACHES["default"]}
    CACHES["dashboards"]["KEY_PREFIX"] = CACHES["default"]["KEY_PREFIX"] + "-dashboards"
    # Sessions stay in the database (one indexed read a request, ~0.5 ms): with
    # ``cached_db`` every signed-in page would answer 500 while Redis is down, where the
    # dashboards' fragment cache only renders afresh.
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "synapse",
        },
        # Dashboard fragments (~100 KB each at 150 clients and 500 projects: the pickers)
        # apart from the default cache, so they never evict the survey rate-limit counters;
        # bounded to ~20 MB a process.
        "dashboards": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "synapse-dashboards",
            "OPTIONS": {"MAX_ENTRIES": 200},
        },
    }

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

# Security: the deployment checklist, browser protections and accounts (README "Security").
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
# Axes first: it refuses locked-out logins before a password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "synapse.security.backends.ModelBackend",
]
# HTTPS: redirect plain HTTP (off under pytest, whose client speaks HTTP), and behind a
# TLS-terminating proxy trust its scheme header, e.g. DJANGO_SECURE_PROXY_SSL_HEADER=
# X-Forwarded-Proto (the proxy must overwrite that header on every request).
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
_proxy_header = os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER", "").strip()
if _proxy_header:
    _name, _, _value = _proxy_header.partition("=")
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _name.strip().upper().replace("-", "_"),
        _value.strip() or "https",
    )
SECURE_HSTS_SECONDS = int(
    os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600))
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Pages send the CSRF token in forms and in <body hx-headers>; no script reads the cookie.
CSRF_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp 4): scripts and styles only from this site's own
# files, no inline scripts or event handlers; htmx's indicator style is turned off in
# base.html (htmx-config) and Chart.js sizes its canvas through the CSSOM, which CSP allows.
# https://django-csp.readthedocs.io/en/latest/configuration.html
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Sessions: signed out after SYNAPSE_SESSION_IDLE_MINUTES without a request and, whatever
# the activity, SYNAPSE_SESSION_MAX_HOURS after signing in (OWASP ASVS 3.3.2: 30 minutes
# and 12 hours); enforced by synapse.security.middleware.SessionLifetimeMiddleware.
SYNAPSE_SESSION_IDLE_MINUTES = int(os.environ.get("SYNAPSE_SESSION_IDLE_MINUTES", "30"))
SYNAPSE_SESSION_MAX_HOURS = int(os.environ.get("SYNAPSE_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = SYNAPSE_SESSION_MAX_HOURS * 3600
# Login throttling (django-axes): 10 failures lock out an account *from that address*
# and, counted apart, an address (whatever the accounts it tried) for 30 minutes. A lock
# on the account alone would let anyone lock a known user out from everywhere; guessing
# one account from many addresses is left to password strength (Django's validators).
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AXES_FAILURE_LIMIT = int(os.environ.get("SYNAPSE_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("SYNAPSE_LOGIN_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
# A success does not clear the counters: axes would clear every counter of the address
# too, so one good login of one's own would reset the guesses against someone else's.
AXES_RESET_ON_SUCCESS = False
# Behind SYNAPSE_PROXY_COUNT reverse proxies the client address is read from
# X-Forwarded-For (synapse.security.backends.client_ip_address), not the proxy's address.
SYNAPSE_PROXY_COUNT = int(os.environ.get("SYNAPSE_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "synapse.security.backends.client_ip_address"
# Lockouts are listed and cleared with manage.py axes_list_attempts / axes_reset_username
# (the admin pages of axes are off until the admin tests' fixture has rows of them).
AXES_ENABLE_ADMIN = False
AXES_LOCKOUT_CALLABLE = "synapse.security.views.lockout"
# Password reset emails (synapse.accounts.services.password_reset_allowed): at most this
# many an hour to one email address, and requests an hour from one client address.
SYNAPSE_PASSWORD_RESET_PER_EMAIL = int(os.environ.get("SYNAPSE_PASSWORD_RESET_PER_EMAIL", "3"))
SYNAPSE_PASSWORD_RESET_PER_ADDRESS = int(os.environ.get("SYNAPSE_PASSWORD_RESET_PER_ADDRESS", "10"))
# Second factor (django-otp, TOTP) for the Django admin: on in production, off in debug
# mode (the demo) and under pytest unless a test turns it on.
SYNAPSE_ADMIN_REQUIRE_OTP = env_bool("SYNAPSE_ADMIN_REQUIRE_OTP", not DEBUG and not TESTING)
OTP_TOTP_ISSUER = os.environ.get("SYNAPSE_OTP_ISSUER", "Synapse")

LANGUAGE_CODE = "en-us"
# The firm's time zone: periods and business hours are read in it (kpis.md "Period").
TIME_ZONE = os.environ.get("SYNAPSE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# In debug and under tests WhiteNoise serves straight from the static folders (no
# collectstatic needed); in production from STATIC_ROOT after collectstatic.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
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
    # Survey emails are delivered at least once: send what a failure left pending.
    "survey-mail-pending": {
        "task": "surveys.tasks.survey_mail_pending",
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
    # Tokens of leavers and deactivated accounts are refused with a message.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "synapse.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["synapse.api.permissions.HasRole"],
    # A refusal names the reason when the account's reach is cut (leaver, no second factor).
    "EXCEPTION_HANDLER": "synapse.api.exceptions.exception_handler",
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
# KPI snapshot runs on PostgreSQL: periods computed at once, each on its own connection.
SYNAPSE_SNAPSHOT_CONNECTIONS = int(os.environ.get("SYNAPSE_SNAPSHOT_CONNECTIONS", "2"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
