"""WSGI entry point (gunicorn synapse.wsgi)."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

from synapse.security.startup import secret_key_refusal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synapse.settings")

application = get_wsgi_application()

if refusal := secret_key_refusal("the web server"):
    raise ImproperlyConfigured(refusal)
