"""Request throttles whose rates are read from settings at request time.

DRF's own throttles copy ``DEFAULT_THROTTLE_RATES`` into a class attribute when the
module is imported; reading them per request lets tests (and operators) change the
rates through settings. Their counters live in the shared cache through
``synapse.security.limits.FailOpenCache``: with the cache down the API answers
unthrottled instead of 500.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from synapse.security.limits import FailOpenThrottleMixin


class UserThrottle(FailOpenThrottleMixin, UserRateThrottle):
    """Limit each signed-in user (session or token) to the ``user`` rate."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(FailOpenThrottleMixin, AnonRateThrottle):
    """Limit anonymous callers, per client address, to the ``anon`` rate."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
