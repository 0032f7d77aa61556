"""Caching where it pays: whole public pages for anonymous visitors (keyed by language), and
underneath them the figures that are costly to compute (facet counts, result counts, page ids,
GeoJSON, home figures; data only, translated at render time). Every key includes the data version
(places.models.DataVersion), which PostgreSQL triggers increment after any change to the
directory's tables: whatever makes the change (admin, import, plain SQL), the next request
computes afresh, in every worker. Backend: Redis when REDIS_URL is set, else local memory
(settings.CACHES).
"""

import functools
import gzip
import hashlib
import time

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

TIMEOUT = 60 * 60  # a safety net; invalidation is by version


def data_version() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM places_dataversion WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


def request_version(request) -> int:
    """The data version this request's page was keyed with (``cached_page``), else read now."""
    version = getattr(request, "data_version", None)
    return data_version() if version is None else version


def key(kind: str, version: int, *parts) -> str:
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:32]
    return f"places:{kind}:{version}:{digest}"


def get_or_compute_once(kind: str, version: int, parts, compute, wait: float = 3.0):
    """Like ``get_or_compute``, for a value that takes long to compute and that every worker
    wants at once after a data change (the facet index): one process computes it while the
    others wait for it (up to ``wait`` seconds, then compute it themselves), rather than all
    computing it together on the same two cores."""
    cache_key = key(kind, version, *parts)
    value = cache.get(cache_key)
    if value is not None:
        return value
    lock = cache_key + ":computing"
    if not cache.add(lock, 1, timeout=int(wait) + 5):
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            time.sleep(0.02)
            value = cache.get(cache_key)
            if value is not None:
                return value
    try:
        value = compute()
        cache.set(cache_key, value, TIMEOUT)
    finally:
        cache.delete(lock)
    return value


def get_or_compute(kind: str, version: int, parts, compute):
    """The cached value for (kind, version, parts), computed and stored on a miss."""
    cache_key = key(kind, version, *parts)
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value, TIMEOUT)
    return value


# Whole public pages
# ---------------------------------------------------------------------------------------------

PAGE_HEADERS = ("Content-Type", "Content-Language", "Vary", "Access-Control-Allow-Origin")


def cached_page(view):
    """Cache a public view's successful GET responses, compressed, for anonymous visitors.

    The key holds the data version, the language of the request, the host, the full path and
    the htmx headers: a page is never served in another language, to an htmx request that
    expects a fragment, or after any change to the data. Signed-in staff (who may preview
    drafts) always get a fresh page. The data version read for the key is left on the request
    (``request.data_version``): the view computes its figures for that same version.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        parts = (
            translation.get_language(),
            request.get_host(),
            request.get_full_path(),
            request.headers.get("HX-Request", ""),
            request.headers.get("HX-History-Restore-Request", ""),
            request.headers.get("HX-Boosted", ""),
        )
        request.data_version = data_version()
        cache_key = key("response", request.data_version, *parts)
        stored = cache.get(cache_key)
        if stored is not None:
            status, headers, body = stored
            # Stored gzip-compressed: sent as is to the clients that accept it (every browser:
            # the GeoJSON of a région at 100,000 places is 1 MB, 110 KB compressed), otherwise
            # decompressed. No secret is in these pages (anonymous, no form token): no BREACH.
            if _accepts_gzip(request):
                response = HttpResponse(body, status=status)
                response["Content-Encoding"] = "gzip"
            else:
                response = HttpResponse(gzip.decompress(body), status=status)
            for name, value in headers.items():
                response[name] = value
            patch_vary_headers(response, ["Accept-Encoding"])
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if response.status_code == 200 and not response.streaming:
            headers = {name: response[name] for name in PAGE_HEADERS if name in response}
            cache.set(
                cache_key,
                (response.status_code, headers, gzip.compress(response.content, 6, mtime=0)),
                TIMEOUT,
            )
        return response

    return wrapper


def _accepts_gzip(request) -> bool:
    accepted = request.headers.get("Accept-Encoding", "")
    return any(
        part.split(";")[0].strip() == "gzip" and "q=0" not in part.replace(" ", "")
        for part in accepted.split(",")
    )
