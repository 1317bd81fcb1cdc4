"""WSGI entry point (gunicorn synapse.wsgi)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synapse.settings")

application = get_wsgi_application()

if settings.SECRET_KEY_MISSING and not settings.DEBUG:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off.")
