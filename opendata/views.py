"""Exports of any list: ``/lieux.csv`` and ``/lieux.json`` take every parameter of ``/lieux/``
and hold the same places (opendata.exports)."""

import json

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from opendata import exports, national
from places import cache
from places.filters import PlaceFilter
from places.models import Place


def _selection(request) -> tuple[PlaceFilter, list[int]]:
    """The places the same query string shows on /lieux/, in its order."""
    filterset = PlaceFilter(request.GET, queryset=Place.objects.published())
    return filterset, list(filterset.qs.values_list("pk", flat=True))


def _refused(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def _file(response, request, level: str, extension: str):
    name = exports.filename(request.GET, level, extension)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Access-Control-Allow-Origin"] = "*"  # open data
    response["Link"] = f'<{exports.LICENCE_URL}>; rel="license"'
    return response


@cache.cached_page  # never cached (streamed), but rate-limited and read from the replica
def places_csv(request):
    level = request.GET.get("niveau") or "lieux"
    if level not in exports.LEVELS:
        return _refused(_("niveau : « lieux », « espaces » ou « partenariats »."))
    separator = request.GET.get("separateur") or "virgule"
    if separator not in exports.SEPARATORS:
        return _refused(_("separateur : « virgule » ou « point-virgule »."))
    _filterset, ids = _selection(request)
    rows = exports.ROWS[level](ids, request.build_absolute_uri)
    response = StreamingHttpResponse(
        exports.csv_lines(rows, exports.SEPARATORS[separator]),
        content_type="text/csv; charset=utf-8",
    )
    return _file(response, request, level, "csv")


@cache.cached_page
def places_json(request):
    _filterset, ids = _selection(request)
    response = StreamingHttpResponse(
        exports.json_chunks(ids, request),
        content_type="application/json",
    )
    return _file(response, request, "lieux", "json")


@cache.cached_page
def mediation_numerique_csv(request):
    """Every published place whose address is known, in the « lieux de médiation numérique »
    standard v1.0.2 (the same filters as the list apply)."""
    _filterset, ids = _selection(request)
    response = StreamingHttpResponse(
        # no byte order mark: a file for programs (validators, aggregators), like the standard's
        exports.csv_lines(national.rows(ids, request.build_absolute_uri), bom=False),
        content_type="text/csv; charset=utf-8",
    )
    response = _file(response, request, "lieux", "csv")
    response["Content-Disposition"] = 'attachment; filename="mediation-numerique-tiers-lieux.csv"'
    return response


def _json_array(request, items, name: str):
    """A JSON array of ``items`` (dicts), streamed, as a file called ``name``."""

    def pieces():
        yield "["
        for number, item in enumerate(items):
            yield ("," if number else "") + json.dumps(item, ensure_ascii=False)
        yield "]"

    streamed = StreamingHttpResponse(exports.batched(pieces()), content_type="application/json")
    response = _file(streamed, request, "lieux", "json")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@cache.cached_page
def inclusion_structures_json(request):
    """The places as data·inclusion v1 structures."""
    _filterset, ids = _selection(request)
    structures = national.inclusion_structures(ids, request.build_absolute_uri)
    return _json_array(request, structures, "data-inclusion-structures.json")


@cache.cached_page
def inclusion_services_json(request):
    """The activities that are services (permanences, accompaniment, training), as
    data·inclusion v1 services: never the illustrative ones."""
    _filterset, ids = _selection(request)
    services = national.inclusion_services(ids, request.build_absolute_uri)
    return _json_array(request, services, "data-inclusion-services.json")


@method_decorator(cache.cached_page, name="dispatch")
class DataView(TemplateView):
    """What the directory publishes, under which licence, in which formats."""

    template_name = "opendata/data.html"

    def get_context_data(self, **kwargs):
        base = f"{self.request.scheme}://{self.request.get_host()}"
        return super().get_context_data(base=base, **kwargs)
