"""/api/v1/: every view behind api_view (ETag, Last-Modified, CORS, the page cache)."""

from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from opendata import api

app_name = "api"


def resource(prefix: str, viewset, name: str, lookup: str | None = None) -> list:
    routes = [path(f"{prefix}/", api.api_view(viewset.as_view({"get": "list"})), name=name)]
    if lookup:
        detail = api.api_view(viewset.as_view({"get": "retrieve"}))
        routes.append(path(f"{prefix}/<str:{lookup}>/", detail, name=f"{name}-detail"))
    return routes


urlpatterns = [
    path("", api.api_view(api.RootView.as_view()), name="root"),
    *resource("lieux", api.PlaceViewSet, "places", "slug"),
    *resource("partenaires", api.PartnerViewSet, "partners", "slug"),
    *resource("partenariats", api.PartnershipViewSet, "partnerships"),
    *resource("regions", api.RegionViewSet, "regions", "slug"),
    *resource("departements", api.DepartmentViewSet, "departments", "code"),
    path("vocabulaires/", api.api_view(api.VocabularyView.as_view()), name="vocabularies"),
    path("schema/", api.api_view(SpectacularAPIView.as_view()), name="schema"),
    # Swagger UI sets style attributes from its script: allowed on this page only.
    path(
        "documentation/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        ),
        name="docs",
    ),
    re_path(r"^(?P<rest>.*)$", api.not_found),
]
