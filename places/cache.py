"""Caching where it pays: facet counts, result counts, page ids, GeoJSON, home figures.

Only data is cached, never rendered HTML: labels are translated at render time, so one
language's page is never served in the other. Every key includes the data version
(places.models.DataVersion), which PostgreSQL triggers increment after any change to the
directory's tables: whatever makes the change (admin, import, plain SQL), the next request
computes afresh, in every worker. Backend: Redis when REDIS_URL is set, else local memory
(settings.CACHES).
"""

import hashlib

from django.core.cache import cache
from django.db import connection

TIMEOUT = 60 * 60  # a safety net; invalidation is by version


def data_version() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM places_dataversion WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


def key(kind: str, version: int, *parts) -> str:
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:32]
    return f"places:{kind}:{version}:{digest}"


def get_or_compute(kind: str, version: int, parts, compute):
    """The cached value for (kind, version, parts), computed and stored on a miss."""
    cache_key = key(kind, version, *parts)
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value, TIMEOUT)
    return value
