"""Every request bounded: each SQL statement a request runs is cut after a few seconds.

Public requests also run without parallel query: they are many, short and concurrent on few
cores, where a parallel plan only adds workers competing for the same CPUs (measured at 100,000
places: a ranked search took 58 ms with two parallel workers, 39 ms without).

PostgreSQL's ``statement_timeout`` is set for the request's connection before its first query
(through the raw connection, outside Django's query log, so that pinned query counts stay what
the views run): ``STATEMENT_TIMEOUT_MS`` for public pages, ``ADMIN_STATEMENT_TIMEOUT_MS`` for the
admin, both below gunicorn's own timeout. A statement cut short gives a clear page (HTTP 503,
"too broad a search: add a criterion"), never a 500 and never a worker held for long.
"""

import psycopg
from django.conf import settings
from django.db import OperationalError, connection
from django.shortcuts import render


class StatementTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefixes = ("/admin/", "/en/admin/")

    def __call__(self, request):
        admin = request.path.startswith(self.admin_prefixes)
        timeout = settings.ADMIN_STATEMENT_TIMEOUT_MS if admin else settings.STATEMENT_TIMEOUT_MS
        # Integers from the settings: nothing of the request reaches these statements.
        statements = f"SET statement_timeout = {int(timeout)}"
        if not admin:
            statements += "; SET max_parallel_workers_per_gather = 0"
        pending = [True]

        def set_timeout(execute, sql, params, many, context):
            if pending:
                pending.clear()
                context["connection"].connection.execute(statements)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(set_timeout):
            return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError) and isinstance(
            exception.__cause__, psycopg.errors.QueryCanceled
        ):
            response = render(request, "too_broad.html", status=503)
            response["Retry-After"] = "5"
            return response
        return None
