"""Gunicorn settings: `gunicorn -c tierslieux/gunicorn.conf.py tierslieux.wsgi`.

Sync workers (the views are short and database-bound), (2 × cores) + 1 of them by default,
recycled after a few thousand requests to bound memory; the application is loaded once before
forking so that workers share its code pages.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# Above the statement timeouts of tierslieux.middleware (3 s public, 20 s admin): a slow query is
# cut by PostgreSQL and answered with a clear page before gunicorn would kill the worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
# Wide, so that workers serving an even load are not recycled at the same moment.
max_requests_jitter = max_requests // 2
preload_app = True
# Bounded requests: a request line of at most 8190 bytes (gunicorn's maximum; the directory
# refuses query strings beyond MAX_QUERY_STRING_BYTES itself), 50 headers of 8190 bytes.
limit_request_line = 8190
limit_request_fields = 50
limit_request_field_size = 8190
# Forwarded headers (X-Forwarded-Proto, and SCRIPT_NAME/PATH_INFO that gunicorn would otherwise
# take from a client) are trusted only from the reverse proxy's addresses, never by default:
# FORWARDED_ALLOW_IPS=127.0.0.1 when nginx runs on the same machine (docs/deployment.md).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
# The directory is served at the root: no client may move it under a prefix.
forwarder_headers = ""
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"


def when_ready(server):
    """The application is loaded (preload_app): warm it once here, before the workers fork."""
    from tierslieux.warmup import warm_up

    warm_up()
