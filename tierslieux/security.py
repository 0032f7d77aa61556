"""Who is asking: the client address behind the configured proxies, for throttling and logs."""

from urllib.parse import urlsplit

from django.conf import settings


def origin_of(url: str) -> str:
    """``https://tile.openstreetmap.org/{z}/{x}/{y}.png`` → ``https://tile.openstreetmap.org``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def client_ip(request) -> str:
    """The address of the client as the outermost trusted proxy saw it.

    With ``TRUSTED_PROXY_COUNT`` = n, the n-th entry from the right of X-Forwarded-For (each
    proxy appends the address it received the request from; entries further left come from
    the client and prove nothing). Without proxies, the peer's own address.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [
            entry.strip()
            for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if entry.strip()
        ]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")


def ratelimit_key(group, request) -> str:
    """django-ratelimit's key: one budget per client address."""
    return client_ip(request)
