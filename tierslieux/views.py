"""The project's own pages: health checks, the error pages that must work without the database."""

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def health(request):
    """Liveness: the process answers (no database, no cache). For the load balancer's restarts."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def ready(request):
    """Readiness: the database and the cache answer. A load balancer sends no visitor to an
    instance that answers 503 here."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError as error:
        checks["database"] = f"unavailable: {type(error).__name__}"
    probe = f"readiness-probe:{uuid.uuid4().hex}"
    try:
        cache.set(probe, 1, 10)
        checks["cache"] = "ok" if cache.get(probe) == 1 else "unavailable: value not read back"
        cache.delete(probe)
    except Exception as error:  # any backend's own errors (Redis ConnectionError…)
        checks["cache"] = f"unavailable: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


def rate_limited(request, exception=None):
    """django-ratelimit's answer: 429, a page that says why and when to retry (a problem
    document for the API)."""
    if request.path.startswith("/api/"):
        from opendata.api import problem

        response = problem(
            429, "Too Many Requests", _("Trop de requêtes nouvelles : réessayez dans une minute.")
        )
        response["Retry-After"] = "60"
        return response
    response = HttpResponse(
        loader.render_to_string("rate_limited.html", request=request), status=429
    )
    response["Retry-After"] = "60"
    return response


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login: 429 and a page that says for how long."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    response = HttpResponse(
        loader.render_to_string("locked_out.html", context, request=request), status=429
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


def server_error(request):
    """The 500 page: standalone (no database, no context processor) and truthful about whether
    anyone was told (``ADMINS`` or Sentry configured)."""
    body = loader.render_to_string("500.html", {"reported": settings.ERRORS_REPORTED})
    return HttpResponse(body, status=500)


def bad_request_message(reason: str) -> str:
    return {
        "nul": _("L'adresse demandée contient un caractère nul, que l'annuaire refuse."),
        "query": _("L'adresse demandée est trop longue pour être traitée."),
    }.get(reason, _("La requête est mal formée."))
