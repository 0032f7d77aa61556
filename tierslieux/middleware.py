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

import logging
from contextlib import ExitStack

import psycopg
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import loader

from tierslieux.views import bad_request_message

logger = logging.getLogger(__name__)


class RequestGuardMiddleware:
    """Refuse, before anything reads them, the requests no page of the directory can answer: a
    NUL byte in the path or the query string (PostgreSQL refuses it in text, and nothing
    legitimate sends one) and a query string longer than ``MAX_QUERY_STRING_BYTES`` (the longest
    form of the directory fills a few hundred bytes; a junk URL of megabytes would be parsed,
    searched, rendered and cached). Both get a 400 page that says why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if len(query) > settings.MAX_QUERY_STRING_BYTES:
            return self.refuse("query")
        if "\x00" in request.path_info or "%00" in query or "\x00" in query:
            return self.refuse("nul")
        return self.get_response(request)

    def refuse(self, reason):
        # Standalone page: no view, no language negotiation, no database has run yet.
        body = loader.render_to_string("400.html", {"message": bad_request_message(reason)})
        return HttpResponseBadRequest(body)


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
        pending = set(settings.DATABASES)  # the primary, and the read replica when configured

        def set_timeout(execute, sql, params, many, context):
            alias = context["connection"].alias
            if alias in pending:
                pending.discard(alias)
                context["connection"].connection.execute(statements)
            return execute(sql, params, many, context)

        with ExitStack() as stack:
            for alias in settings.DATABASES:
                stack.enter_context(connections[alias].execute_wrapper(set_timeout))
            return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError) and isinstance(
            exception.__cause__, psycopg.errors.QueryCanceled
        ):
            response = render(request, "too_broad.html", status=503)
            response["Retry-After"] = "5"
            return response
        return None


class DatabaseUnavailableMiddleware:
    """The database is unreachable (restarting, failing over): a 503 page that says so and asks
    to retry, instead of a 500. A form that was being sent (an admin save) is shown back with
    everything typed, ready to be sent again: nothing was saved (the admin saves in a
    transaction) and nothing is lost but attached files, which the page names."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        if isinstance(exception.__cause__, psycopg.errors.QueryCanceled):
            return None  # a statement cut short: StatementTimeoutMiddleware's page
        logger.error("Database unavailable for %s %s: %s", request.method, request.path, exception)
        context = {}
        if request.method == "POST":
            context = {
                "kept": [
                    (name, value)
                    for name, values in request.POST.lists()
                    if name != "csrfmiddlewaretoken"
                    for value in values
                ],
                "files": sorted(request.FILES),
                "action": request.get_full_path(),
                "csrf_token": get_token(request),
            }
        response = render(request, "unavailable.html", context, status=503)
        response["Retry-After"] = "10"
        return response
