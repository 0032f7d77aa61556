"""The directory inside other sites: ``/integrer/`` builds an ``<iframe>`` snippet from a few
filters, ``/embed/lieux/`` is what the frame shows — a light list (and a map on request) with links
back. Only the embedded view may be framed (``frame-ancestors *``); every other page keeps
``DENY``. The embedded view sets no cookie."""

from csp.decorators import csp_replace
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.generic import TemplateView

from places import cache
from places.facets import Figures
from places.filters import PlaceFilter
from places.models import Department, Family, PartnershipKind, Place, Region

EMBEDDED_PLACES = 50
# The filters a person picks on /integrer/ (the frame accepts every parameter of /lieux/).
EMBED_FILTERS = ("region", "departement", "famille", "partenariat")


def framable(view):
    """Any site may frame this view (and only this one)."""
    return xframe_options_exempt(csp_replace({"frame-ancestors": ["*"]})(view))


@method_decorator(framable, name="dispatch")
@method_decorator(cache.cached_page, name="dispatch")
class EmbeddedListView(TemplateView):
    template_name = "opendata/embed.html"

    def get_context_data(self, **kwargs):
        filterset = PlaceFilter(self.request.GET, queryset=Place.objects.published())
        figures = Figures(filterset, version=cache.request_version(self.request))
        ids = figures.page_ids(0, EMBEDDED_PLACES)
        places = Place.objects.filter(pk__in=ids).select_related("department")
        by_id = {place.pk: place for place in places}
        query = figures.query()
        return super().get_context_data(
            places=[by_id[pk] for pk in ids if pk in by_id],
            total=figures.total,
            chips=figures.chips(),
            query=query,
            with_map=self.request.GET.get("carte") == "1",
            **kwargs,
        )


class IntegrateView(TemplateView):
    """Pick filters, copy the snippet, see the result."""

    template_name = "opendata/integrate.html"

    def get_context_data(self, **kwargs):
        data = self.request.GET
        chosen = {name: data.get(name, "") for name in EMBED_FILTERS}
        choices = {
            "region": [(r.slug, r.name) for r in Region.objects.order_by("name")],
            "departement": [(d.code, f"{d.name} ({d.code})") for d in Department.objects.all()],
            "famille": [(key, str(label)) for key, label in Family.choices],
            "partenariat": [(key, str(label)) for key, label in PartnershipKind.choices],
        }
        query = "&".join(
            f"{name}={value}"
            for name, value in chosen.items()
            if value in {key for key, _label in choices[name]}
        )
        if data.get("carte") == "1":
            query = "&".join(filter(None, [query, "carte=1"]))
        src = self.request.build_absolute_uri(reverse("opendata:embed"))
        src += f"?{query}" if query else ""
        return super().get_context_data(
            choices=choices,
            chosen=chosen,
            with_map=data.get("carte") == "1",
            src=src,
            preview=reverse("opendata:embed") + (f"?{query}" if query else ""),
            **kwargs,
        )
