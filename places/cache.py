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
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from places import hours
from tierslieux.routers import read_connection, use_replica

TIMEOUT = 60 * 60  # a safety net; invalidation is by version
VERSION_KEY = "places:data-version:last-known"
logger = logging.getLogger(__name__)
_last_known = {}


def data_version() -> int:
    """The data version, read from the database; while the database cannot be reached, the last
    version this process (or, failing that, any process through the cache) read, so that the
    pages cached for it are still served during a restart or a failover."""
    connection = read_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT value FROM places_dataversion WHERE id = 1")
            row = cursor.fetchone()
    except (OperationalError, InterfaceError) as error:
        fallback = _last_known.get(connection.alias)
        if fallback is None:
            fallback = cache.get(f"{VERSION_KEY}:{connection.alias}")
        if fallback is None:
            raise
        logger.warning("Database unreachable, data version %s from memory: %s", fallback, error)
        return fallback
    version = row[0] if row else 0
    if _last_known.get(connection.alias) != version:
        _last_known[connection.alias] = version
        cache.set(f"{VERSION_KEY}:{connection.alias}", version, 7 * 24 * TIMEOUT)
    return version


def request_version(request) -> int:
    """The data version this request's page was keyed with (``cached_page``), else read now."""
    version = getattr(request, "data_version", None)
    return data_version() if version is None else version


def key(kind: str, version: int, *parts) -> str:
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:32]
    return f"places:{kind}:{release()}:{version}:{digest}"


def release() -> str:
    """What the code is: ``DJANGO_RELEASE`` when the deployment names it (a commit hash), else a
    digest of the templates, code, translations and static files. In every key, so that a new
    release never serves a page rendered by the previous one's templates."""
    return settings.RELEASE or _code_digest()


@functools.cache
def _code_digest() -> str:
    digest = hashlib.sha256()
    base = settings.BASE_DIR
    for pattern in ("templates/**/*", "places/**/*.py", "tierslieux/**/*.py", "locale/**/*.mo"):
        for path in sorted(base.glob(pattern)):
            if path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    for path in sorted((base / "static").rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


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


def page_key_parts(request) -> tuple:
    """What selects a public page and everything written in it, and nothing else.

    The view and its arguments come from the path (``path_info``); the links the page writes
    depend on the script prefix, the scheme and the host (canonical, hreflang, og:url, JSON-LD
    are absolute); the rest from the query string, the language and the htmx headers the views
    read (a fragment, not a page). Each part is kept apart: a script name moved into the path
    (``SCRIPT_NAME: /lieux`` on ``/lieux/``) cannot produce another page's key. No other
    header of the client enters the key, and none of them changes the page.
    """
    return (
        translation.get_language(),
        # what a page says of today (partnerships current or ended, this week's hours), and of
        # this minute when it lists the places open now (« ouvert=maintenant »)
        timezone.localdate().isoformat(),
        timezone.localtime(hours.now()).strftime("%Y-%m-%d %H:%M")
        if "maintenant" in request.GET.getlist("ouvert")
        else "",
        request.scheme,
        request.get_host(),
        get_script_prefix(),
        request.path_info,
        request.META.get("QUERY_STRING", ""),
        request.headers.get("HX-Request", ""),
        request.headers.get("HX-History-Restore-Request", ""),
        request.headers.get("HX-Boosted", ""),
    )


def cached_page(view):
    """Cache a public view's successful GET responses, compressed, for anonymous visitors.

    The key holds the data version and ``page_key_parts``: a page is never served in another
    language, under another address, to an htmx request that expects a fragment, or after any
    change to the data. Signed-in staff (who may preview drafts) always get a fresh page. The
    data version read for the key is left on the request (``request.data_version``): the view
    computes its figures for that same version. A page that has to be computed counts against
    the client's rate limit (``DIRECTORY_RATE_LIMIT``); one served from the cache does not.
    With a read replica configured, anonymous pages read from it (tierslieux.routers).

    Why not Django's ``cache_page``: its key is the absolute URL plus the request headers named
    in ``Vary``, and these pages vary on ``Cookie`` (the session) and ``Accept-Encoding``, whose
    exact strings differ between browsers: one entry per browser and per visitor's cookies,
    and a page compressed again for every hit. Here one compressed copy serves every visitor.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        with use_replica():
            return _serve(view, request, *args, **kwargs)

    return wrapper


def _serve(view, request, *args, **kwargs):
    if not hasattr(request, "data_version"):  # a wrapper may have read it already (the API)
        request.data_version = data_version()
    cache_key = key("response", request.data_version, *page_key_parts(request))
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
    if settings.RATELIMIT_ENABLE and is_ratelimited(
        request,
        group="directory",
        key="tierslieux.security.ratelimit_key",
        rate=settings.DIRECTORY_RATE_LIMIT,
        increment=True,
    ):
        raise Ratelimited()
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


def _accepts_gzip(request) -> bool:
    """Whether ``Accept-Encoding`` accepts gzip (RFC 9110 §12.5.3): named, or covered by ``*``,
    with a non-zero quality; an explicit ``gzip;q=0`` refuses it even when ``*`` is accepted."""
    qualities = {}
    for item in request.headers.get("Accept-Encoding", "").split(","):
        coding, *params = (piece.strip() for piece in item.split(";"))
        if not coding:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[coding.lower()] = quality
    quality = qualities.get("gzip", qualities.get("x-gzip", qualities.get("*", 0.0)))
    return quality > 0
