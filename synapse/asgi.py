"""ASGI entry point."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application
from django.core.exceptions import ImproperlyConfigured

from synapse.security.startup import secret_key_refusal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synapse.settings")

application = get_asgi_application()

if refusal := secret_key_refusal("the web server"):
    raise ImproperlyConfigured(refusal)
