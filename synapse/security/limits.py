"""Rate limits and throttles that keep working, open, when the shared cache is down.

Every counter that guards against abuse (the API throttles, the survey post limit, the
password-reset limits) lives in Django's cache, which in production is one Redis for all
processes. Redis being away must only cost protection for a while, never answer a 500:
``FailOpenCache`` is the one wrapper they all read and write through. A backend error is
logged as a warning, counted in ``CACHE_FAILURES`` (by purpose) and answered as if the
cache were empty, so the request goes on.

Identifiers (addresses, email addresses) are hashed into the keys: they can be any text,
and a shared cache need not hold people's email addresses.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.http import HttpRequest

from synapse.security.backends import client_ip_address

logger = logging.getLogger(__name__)

#: Cache failures this process went on without, by purpose (``"api-throttle"``, ...).
CACHE_FAILURES: Counter[str] = Counter()


class FailOpenCache:
    """A view of one of Django's caches whose backend failures are survived.

    A read that fails returns its default, a write that fails is dropped, and each
    failure is logged (``synapse.security.limits``, WARNING) and counted under
    ``purpose``. The cache is looked up on every call, so settings changes (tests'
    ``override_settings(CACHES=...)``) apply at once.
    """

    def __init__(self, *, purpose: str, alias: str = "default") -> None:
        self.purpose = purpose
        self.alias = alias

    def _failed(self, operation: str) -> None:
        CACHE_FAILURES[self.purpose] += 1
        logger.warning(
            "Cache %r unavailable (%s, %s): going on without it",
            self.alias,
            self.purpose,
            operation,
            exc_info=True,
        )

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value under ``key``, or ``default`` (also when the cache is down)."""
        try:
            return caches[self.alias].get(key, default)
        except Exception:  # any backend failure
            self._failed("get")
            return default

    def set(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        """Store ``value`` under ``key`` (dropped when the cache is down)."""
        try:
            caches[self.alias].set(key, value, timeout)
        except Exception:  # any backend failure
            self._failed("set")

    def incr_window(self, key: str, timeout: int) -> int | None:
        """Add one to the counter under ``key`` (created for ``timeout`` seconds); return
        the new count, or None when the cache is down."""
        backend = caches[self.alias]
        try:
            backend.add(key, 0, timeout=timeout)
            try:
                return backend.incr(key)
            except ValueError:  # the key expired between add() and incr()
                backend.set(key, 1, timeout=timeout)
                return 1
        except Exception:  # any backend failure
            self._failed("incr")
            return None


def limit_key(purpose: str, ident: str, window: int, moment: float) -> str:
    """Return the cache key of ``ident``'s counter for ``purpose`` in the current window."""
    digest = hashlib.blake2b(ident.encode(), digest_size=16).hexdigest()
    return f"limit:{purpose}:{digest}:{int(moment // window)}"


def rate_limit_allowed(
    *, purpose: str, ident: str, limit: int, window: int, now: float | None = None
) -> bool:
    """Count one hit of ``ident``; return whether it is within ``limit`` per ``window`` s.

    A fixed window in the default cache. When the cache is down the hit is allowed
    (fail open; logged and counted in ``CACHE_FAILURES[purpose]``).
    """
    moment = time.time() if now is None else now
    count = FailOpenCache(purpose=purpose).incr_window(
        limit_key(purpose, ident, window, moment), timeout=window
    )
    return count is None or count <= limit


class FailOpenThrottleMixin:
    """DRF throttle whose history lives in a ``FailOpenCache``: with the cache down every
    request is allowed (and each failure logged and counted as ``"api-throttle"``).

    An anonymous caller is told apart by ``client_ip_address`` (``SYNAPSE_PROXY_COUNT``),
    as everywhere else, not by DRF's reading of ``X-Forwarded-For``, which trusts
    whatever the client sends when ``NUM_PROXIES`` is unset.
    """

    cache = FailOpenCache(purpose="api-throttle")

    def get_ident(self, request: HttpRequest) -> str:
        """Return the client's address (the key of an anonymous caller's counter)."""
        return client_ip_address(request) or ""
