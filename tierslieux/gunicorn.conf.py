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
max_requests_jitter = 500
preload_app = True
# Request lines up to any length: the directory answers a 10,000-character search gracefully
# (it searches the first words and says so); a reverse proxy in front sets its own limit.
limit_request_line = 0
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
