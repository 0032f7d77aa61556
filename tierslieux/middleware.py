"""Every request bounded: each SQL statement a request runs is cut after a few seconds.

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
        pending = [True]

        def set_timeout(execute, sql, params, many, context):
            if pending:
                pending.clear()
                # An integer from the settings: nothing of the request reaches this statement.
                context["connection"].connection.execute(f"SET statement_timeout = {int(timeout)}")
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
