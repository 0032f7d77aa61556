"""Where photos are stored: a local folder by default, S3-compatible object storage on demand.

``MEDIA_STORAGE_URL=s3://bucket/prefix?endpoint_url=https://s3.example.net&region_name=fr-par``
selects django-storages' S3 backend (credentials from ``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY``, as boto3 reads them). Photos are public: their URLs are plain (no
signed query string, which would expire inside cached pages); ``custom_domain`` serves them from
a CDN or the bucket's public address.
"""

from urllib.parse import parse_qsl, urlsplit

from django.core.exceptions import ImproperlyConfigured

_OPTIONS = {"endpoint_url", "region_name", "custom_domain", "url_protocol"}


def media_storage(url: str) -> dict:
    """The ``STORAGES["default"]`` entry for a ``MEDIA_STORAGE_URL``."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ImproperlyConfigured(
            f"MEDIA_STORAGE_URL must look like s3://bucket/prefix?endpoint_url=…, not {url!r}."
        )
    query = dict(parse_qsl(parts.query))
    unknown = set(query) - _OPTIONS
    if unknown:
        raise ImproperlyConfigured(
            f"MEDIA_STORAGE_URL: unknown option(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(_OPTIONS))}."
        )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": parts.netloc,
            "location": parts.path.strip("/"),
            "querystring_auth": False,
            "file_overwrite": False,
            "default_acl": None,
            **query,
        },
    }


def media_origin(url: str) -> str | None:
    """The origin photos are served from under a ``MEDIA_STORAGE_URL`` (for the CSP)."""
    if not url:
        return None
    options = media_storage(url)["OPTIONS"]
    if options.get("custom_domain"):
        return f"{options.get('url_protocol', 'https:')}//{options['custom_domain']}"
    if options.get("endpoint_url"):
        endpoint = urlsplit(options["endpoint_url"])
        return f"{endpoint.scheme}://{endpoint.netloc}"
    return "https://*.amazonaws.com"
