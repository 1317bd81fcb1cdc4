"""A named lock that keeps two snapshot runs from overlapping, across processes and hosts.

On PostgreSQL it is a session-level advisory lock (``pg_try_advisory_lock``): the
database every worker and host shares holds it, and it is released when the holder's
connection closes, so a killed worker frees it at once. Elsewhere (SQLite, the
embedded single-machine default) it is a ``KpiLock`` row with a unique name and an
expiry, so a killed process's lock lapses after ``ttl``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from synapse.kpis.models import KpiLock

logger = logging.getLogger(__name__)


def advisory_key(name: str) -> int:
    """Return the signed 64-bit PostgreSQL advisory-lock key of ``name``."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def job_lock(name: str, *, ttl: dt.timedelta) -> Iterator[bool]:
    """Try to take the lock ``name`` without waiting; yield whether it was taken.

    The lock is released on exit when it was taken here.
    """
    if connection.vendor == "postgresql":
        with _advisory_lock(name) as acquired:
            yield acquired
    else:
        with _row_lock(name, ttl=ttl) as acquired:
            yield acquired


@contextmanager
def _advisory_lock(name: str) -> Iterator[bool]:
    key = advisory_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:
                # A broken connection has lost the session lock already; closing it
                # makes sure the server drops the session (and its lock) now.
                logger.warning("could not release advisory lock %s; closing connection", name)
                connection.close()


@contextmanager
def _row_lock(name: str, *, ttl: dt.timedelta) -> Iterator[bool]:
    holder = uuid.uuid4().hex
    now = timezone.now()
    KpiLock.objects.filter(name=name, expires_at__lte=now).delete()
    try:
        with transaction.atomic():
            KpiLock.objects.create(name=name, holder=holder, acquired_at=now, expires_at=now + ttl)
        acquired = True
    except IntegrityError:
        acquired = False
    try:
        yield acquired
    finally:
        if acquired:
            try:
                KpiLock.objects.filter(name=name, holder=holder).delete()
            except DatabaseError:
                logger.warning("could not release lock row %s; it expires on its own", name)
