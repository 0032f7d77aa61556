"""A read-only JSON API, /api/v1/, its resources named like the pages (Django REST framework; the
OpenAPI 3 schema is generated from this code by drf-spectacular: docs/api.md says why).

* ``/api/v1/lieux/`` takes every parameter of ``/lieux/`` (the directory's own FilterSet) and gives
  the same places in the same order, with ``count`` and next/previous links; a parameter with an
  unknown value is ignored and said in ``ignores``, as on the page.
* Every answer carries an ``ETag`` (the data version) and a ``Last-Modified``: a client that
  revalidates gets a 304; anonymous answers are cached by data version like the pages, and a
  computed one counts against the client's rate limit (429 as a problem).
* Errors are problem details (RFC 9457, ``application/problem+json``); GET from any origin (CORS).
"""

import time
from functools import wraps

from django import forms
from django.db.models import Count, Q
from django.http import HttpResponseNotModified, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.http import http_date
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from opendata import serializers
from places import cache
from places.facets import DirectoryPaginator, Figures
from places.filters import PlaceFilter
from places.models import (
    ActivityKind,
    Audience,
    Department,
    Family,
    Lifecycle,
    ManagementType,
    Partner,
    PartnerLevel,
    Partnership,
    PartnershipKind,
    Place,
    PublicationStatus,
    Region,
    SpaceKind,
)

# Revalidation, CORS, caching
# ---------------------------------------------------------------------------------------------


def _first_seen(version: int) -> float:
    """When this data version was first served: the data's Last-Modified."""
    return cache.get_or_compute("version-seen", version, (), time.time)


def api_view(view):
    """ETag and Last-Modified from the data version (304 when the client has it), CORS for GET,
    the page cache (and its rate limit) for anonymous answers."""
    cached = cache.cached_page(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        version = request.data_version = cache.data_version()  # the page cache reuses it
        etag = f'W/"{version}-{cache.release()}-{translation.get_language()}"'
        if request.method in ("GET", "HEAD") and etag in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
        else:
            response = cached(request, *args, **kwargs)
        if response.status_code in (200, 304):  # an error is not a version of the resource
            response["ETag"] = etag
            response["Last-Modified"] = http_date(_first_seen(version))
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
        return response

    wrapper.csrf_exempt = True
    return wrapper


def problem(status: int, title: str, detail: str = "") -> JsonResponse:
    """An RFC 9457 problem."""
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    return JsonResponse(
        body,
        status=status,
        content_type="application/problem+json",
        json_dumps_params={"ensure_ascii": False},
    )


def problem_handler(exc, context):
    """DRF's errors as problem details."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    titled = problem(response.status_code, response.status_text, str(detail or ""))
    for name in ("Retry-After", "Allow"):
        if name in response:
            titled[name] = response[name]
    return titled


def not_found(request, rest=""):
    return problem(404, "Not Found", _("Aucune ressource à cette adresse : voir /api/v1/schema/."))


def unknown(value: str) -> str:
    return _("valeur inconnue « %(value)s »") % {"value": value}


# Places
# ---------------------------------------------------------------------------------------------


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "taille"
    max_page_size = 200

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        ignored = getattr(self.request, "ignored", [])
        response.data["ignores"] = [
            {"parametre": label, "raison": reason} for label, reason in ignored
        ]
        return response

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["ignores"] = {
            "type": "array",
            "description": "Paramètres ignorés (valeur inconnue) et pourquoi.",
            "items": {
                "type": "object",
                "properties": {"parametre": {"type": "string"}, "raison": {"type": "string"}},
            },
        }
        return paginated


class DirectoryPages(Pages):
    """The places' pages as the directory's (places.views.DirectoryPaginator): counted with the
    facet bitmaps, each page's ids from the words' ranked list or one indexed query, then the
    page's records read by id. A common word costs what it costs on /lieux/, not a count and an
    offset over tens of thousands of rows."""

    def paginate_queryset(self, queryset, request, view=None):
        def paginator(_queryset, per_page):
            return DirectoryPaginator(request.figures, per_page, rows=view.get_queryset())

        self.django_paginator_class = paginator
        return super().paginate_queryset(queryset, request, view)


class DirectoryFilter(BaseFilterBackend):
    """The directory's FilterSet: the parameters of /lieux/, the same places, the same order.
    Its figures (count, page ids, what was ignored) are the directory's (places.facets)."""

    def filter_queryset(self, request, queryset, view):
        filterset = PlaceFilter(request.query_params, queryset=Place.objects.published())
        figures = request.figures = Figures(
            filterset, version=getattr(request, "data_version", None)
        )
        request.ignored = figures.ignored
        return filterset.qs

    def get_schema_operation_parameters(self, view):
        parameters = []
        for name, field in PlaceFilter().form.fields.items():
            many = getattr(field.widget, "allow_multiple_selected", False)
            schema = {"type": "string"}
            # vocabularies as enums; rows of the database (régions, partners…) are not read
            # here: the schema is also generated by `manage.py check`, before any migration
            if not isinstance(field, forms.ModelChoiceField):
                choices = [str(value) for value, _label in getattr(field, "choices", []) if value]
                if choices:
                    schema["enum"] = choices
            parameters.append(
                {
                    "name": name,
                    "required": False,
                    "in": "query",
                    "description": str(field.label),
                    "schema": {"type": "array", "items": schema} if many else schema,
                    **({"explode": True} if many else {}),
                }
            )
        return parameters


@extend_schema_view(
    list=extend_schema(summary="Les lieux (les filtres et la recherche de /lieux/)"),
    retrieve=extend_schema(summary="Un lieu"),
)
class PlaceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.PlaceSerializer
    lookup_field = "slug"
    filter_backends = [DirectoryFilter]
    pagination_class = DirectoryPages

    def get_queryset(self):
        return Place.objects.published().with_parts()

    def get_object(self):
        # a closed place keeps its address here as on its page
        place = self.get_queryset().filter(slug=self.kwargs["slug"]).first()
        if place is None:
            raise NotFound(_("Aucun lieu publié à cette adresse."))
        return place


# Partners, partnerships, territories, vocabularies
# ---------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Les partenaires publics",
        parameters=[OpenApiParameter("niveau", OpenApiTypes.STR, enum=PartnerLevel.values)],
    ),
    retrieve=extend_schema(summary="Un partenaire"),
)
class PartnerViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.PartnerSerializer
    lookup_field = "slug"
    pagination_class = Pages

    def get_queryset(self):
        partners = Partner.objects.select_related("department", "region").order_by("name", "pk")
        level = self.request.query_params.get("niveau")
        if self.action == "list" and level:
            if level in PartnerLevel.values:
                partners = partners.filter(level=level)
            else:
                self.request.ignored = [("niveau", unknown(level))]
        return partners


PARTNERSHIP_FILTERS = {
    "nature": ("kind", PartnershipKind.values),
    "niveau": ("partner__level", PartnerLevel.values),
}


@extend_schema_view(
    list=extend_schema(
        summary="Les partenariats des lieux publiés",
        parameters=[
            OpenApiParameter("nature", OpenApiTypes.STR, enum=PartnershipKind.values),
            OpenApiParameter("niveau", OpenApiTypes.STR, enum=PartnerLevel.values),
            OpenApiParameter("partenaire", OpenApiTypes.STR, description="slug du partenaire"),
            OpenApiParameter("departement", OpenApiTypes.STR, description="code INSEE"),
            OpenApiParameter("en_cours", OpenApiTypes.STR, enum=["1"]),
        ],
    ),
)
class PartnershipViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.PlacePartnershipSerializer
    pagination_class = Pages

    def get_queryset(self):
        partnerships = (
            Partnership.objects.filter(place__status=PublicationStatus.PUBLISHED)
            .select_related("partner", "place__department")
            .order_by("-start_date", "pk")
        )
        params, ignored = self.request.query_params, []
        for name, (lookup, values) in PARTNERSHIP_FILTERS.items():
            if value := params.get(name):
                if value in values:
                    partnerships = partnerships.filter(**{lookup: value})
                else:
                    ignored.append((name, unknown(value)))
        if slug := params.get("partenaire"):
            partnerships = partnerships.filter(partner__slug=slug)
        if code := params.get("departement"):
            partnerships = partnerships.filter(place__department__code=code)
        if params.get("en_cours") == "1":
            partnerships = partnerships.active()
        self.request.ignored = ignored
        return partnerships


def in_directory(path: str) -> Q:
    """The places the directory lists (published, not closed), seen from a territory."""
    return Q(**{f"{path}__status": PublicationStatus.PUBLISHED}) & ~Q(
        **{f"{path}__lifecycle": Lifecycle.FERME}
    )


@extend_schema_view(
    list=extend_schema(summary="Les régions"), retrieve=extend_schema(summary="Une région")
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.TerritorySerializer
    lookup_field = "slug"
    pagination_class = None

    def get_queryset(self):
        places = "departments__places"
        return Region.objects.annotate(
            place_count=Count(places, filter=in_directory(places))
        ).order_by("code")


@extend_schema_view(
    list=extend_schema(summary="Les départements"),
    retrieve=extend_schema(summary="Un département"),
)
class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.DepartmentSerializer
    lookup_field = "code"
    pagination_class = None

    def get_queryset(self):
        return (
            Department.objects.select_related("region")
            .annotate(place_count=Count("places", filter=in_directory("places")))
            .order_by("code")
        )


VOCABULARIES = {
    "familles": Family,
    "types_gestion": ManagementType,
    "cycles_de_vie": Lifecycle,
    "types_espace": SpaceKind,
    "niveaux_partenaire": PartnerLevel,
    "natures_partenariat": PartnershipKind,
    "types_activite": ActivityKind,
    "publics": Audience,
}


class VocabularyView(APIView):
    """Every vocabulary: its keys (the values in the data) with their French and English labels."""

    @extend_schema(
        summary="Les vocabulaires, en français et en anglais",
        responses={
            200: inline_serializer(
                "Vocabulaires",
                {name: serializers.LabelSerializer(many=True) for name in VOCABULARIES},
            )
        },
    )
    def get(self, request):
        labels = {}
        for name, choices in VOCABULARIES.items():
            with translation.override("fr"):
                french = {key: str(label) for key, label in choices.choices}
            with translation.override("en"):
                english = {key: str(label) for key, label in choices.choices}
            labels[name] = [{"cle": key, "fr": french[key], "en": english[key]} for key in french]
        return Response(labels)


class RootView(APIView):
    """What the API holds, and where its schema and documentation are."""

    @extend_schema(exclude=True)
    def get(self, request):
        def url(name):
            return request.build_absolute_uri(reverse(f"api:{name}"))

        return Response(
            {
                "lieux": url("places"),
                "partenaires": url("partners"),
                "partenariats": url("partnerships"),
                "regions": url("regions"),
                "departements": url("departments"),
                "vocabulaires": url("vocabularies"),
                "schema": url("schema"),
                "documentation": url("docs"),
                "licence": "Licence Ouverte 2.0 (Etalab)",
            }
        )
