"""Public pages. The directory, its territory / partnership-kind variants and the map's GeoJSON all
go through places.filters.PlaceFilter, so one query string means the same thing everywhere."""

import csv
import datetime
import io
import itertools
import json

from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch, Q
from django.http import (
    Http404,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView, TemplateView
from django_filters.views import FilterView

from places import (
    agenda,
    cache,
    charts,
    clusters,
    communes,
    exchange,
    hours,
    near,
    search,
    sheet,
    statistics,
)
from places.facets import DirectoryPaginator, Figures
from places.filters import PlaceFilter
from places.models import (
    Activity,
    Commune,
    Department,
    FormerSlug,
    Lifecycle,
    Partner,
    PartnerLevel,
    Partnership,
    PartnershipKind,
    Photo,
    Place,
    PublicationStatus,
    Region,
    Space,
)
from places.spaces import SpaceFigures


@method_decorator(cache.cached_page, name="dispatch")
class HomeView(TemplateView):
    template_name = "places/home.html"

    def get_context_data(self, **kwargs):
        version = cache.request_version(self.request)
        figures = cache.get_or_compute("home", version, (), lambda: home_figures(version))
        regions = list(Region.objects.order_by("name"))
        for region in regions:
            region.place_count = figures["regions"].get(region.pk, 0)
        return super().get_context_data(
            place_count=figures["places"],
            partnership_count=figures["partnerships"],
            regions=regions,
            region_count=sum(1 for region in regions if region.place_count),
            kinds=[(kind, figures["kinds"].get(kind.value, 0)) for kind in PartnershipKind],
            coverage=figures["coverage"],
            latest=Place.objects.published()
            .exclude(lifecycle=Lifecycle.FERME)
            .for_cards()
            .order_by("-updated_at")[:6],
            **kwargs,
        )


def home_figures(version: int) -> dict:
    published = Place.objects.published()
    partnerships = Partnership.objects.filter(place__status="published")
    return {
        "places": published.count(),
        "partnerships": partnerships.count(),
        "regions": dict(
            published.values_list("department__region").annotate(n=Count("pk")).order_by()
        ),
        "kinds": dict(
            partnerships.values_list("kind").annotate(n=Count("place", distinct=True)).order_by()
        ),
        "coverage": statistics.coverage_summary(geography(version)),
    }


@method_decorator(cache.cached_page, name="dispatch")
class PlaceListView(FilterView):
    """The directory: published places filtered by the query string. An htmx request (the
    filters changing) gets the results fragment only; any other the full page."""

    filterset_class = PlaceFilter
    template_name = "places/place_list.html"
    context_object_name = "places"
    paginate_by = 50
    strict = False  # an unknown value is ignored (and said), never an empty page
    # Set by the territory and partnership-kind pages: a filter fixed by the URL.
    preset: dict[str, str] = {}

    def get_queryset(self):
        return Place.objects.published().with_territory()

    def get(self, request, *args, **kwargs):
        # The results are counted and paged by places.facets (bitmaps, the words' ranked list):
        # the FilterSet's own QuerySet is built only when PostgreSQL sorts a page.
        self.filterset = self.get_filterset(self.get_filterset_class())
        self.object_list = self.filterset.queryset
        context = self.get_context_data(filter=self.filterset, object_list=self.object_list)
        return self.render_to_response(context)

    def get_preset(self) -> dict[str, str]:
        return self.preset

    @cached_property
    def figures(self) -> Figures:
        return Figures(
            self.filterset,
            fixed=frozenset(self.preset_values),
            version=cache.request_version(self.request),
        )

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        preset = self.preset_values = self.get_preset()
        if preset:
            data = self.request.GET.copy()
            for name, value in preset.items():
                if value not in data.getlist(name):
                    data.appendlist(name, value)
            kwargs["data"] = data
        return kwargs

    def paginate_queryset(self, queryset, page_size):
        """Page numbers that are not numbers, or out of range, show the first or last page and
        say so, rather than an error."""
        # what a card shows (place_cards): never the search columns
        cards = self.filterset.queryset.for_cards()
        if self.filterset.search_query:
            cards = search.with_snippet(cards, self.filterset.search_plan)
        paginator = DirectoryPaginator(self.figures, page_size, rows=cards)
        asked = self.request.GET.get(self.page_kwarg, "1")
        try:
            number = min(max(int(asked), 1), paginator.num_pages)
        except ValueError:
            number = 1
        page = paginator.page(number)
        if str(page.number) != asked.strip() and self.page_kwarg in self.request.GET:
            self.page_notice = _(
                "La page « %(asked)s » n'existe pas : page %(shown)d affichée."
            ) % {
                "asked": asked[:20],
                "shown": page.number,
            }
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset, figures = context["filter"], self.figures
        context.update(
            facets=figures.facets,
            hidden_facets=self.hidden_facets(self.preset_values),
            chips=figures.chips(),
            # an empty result: how many places each active filter, left out, would give
            suggestions=figures.suggestions() if not context["paginator"].count else [],
            corrections=figures.corrections,
            query_as_typed=figures.query_as_typed() if figures.corrections else "",
            ignored=figures.ignored
            + ([(_("Page"), self.page_notice)] if getattr(self, "page_notice", "") else []),
            search_query=filterset.search_query,
            sort_options=filterset.sort_options(),
            list_url=reverse("places:list"),
            map_query=figures.query(),
            origin=filterset.origin,
            radius=filterset.radius,
            radii=near.RADII,
            unlocated=figures.unlocated(),
            epcis=self.epcis(filterset),
        )
        if self.preset_values:
            context["partnership_total"] = cache.get_or_compute(
                "partnerships",
                figures.data_version,
                figures.cache_parts(),
                # the partnerships the page is about: on /partenariats/tig/, the TIG ones
                lambda: filterset.partnership_conditions(
                    Partnership.objects.filter(place__in=filterset.qs.order_by().values("pk"))
                ).count(),
            )
        return context

    def epcis(self, filterset) -> list[tuple[str, str]]:
        """(SIREN, name) of the intercommunalités of the départements asked for, to choose
        one; none without a département (about 1,250 in France)."""
        departments = filterset.form.cleaned_data.get("departement")
        if not departments:
            return []
        codes = sorted(department.code for department in departments)
        return cache.get_or_compute(
            "epcis",
            cache.request_version(self.request),
            tuple(codes),
            lambda: list(
                Commune.objects.filter(department_code__in=codes)
                .exclude(epci_siren="")
                .values_list("epci_siren", "epci_name")
                .distinct()
                .order_by("epci_name")
            ),
        )

    def hidden_facets(self, preset) -> set[str]:
        """Filters fixed by the page are not offered (a département page hides régions too)."""
        hidden = set(preset)
        if "departement" in preset:
            hidden.add("region")
        return hidden

    def get_template_names(self):
        htmx = self.request.htmx
        # htmx asks for the full page when it restores history it has not cached.
        if htmx and not htmx.boosted and not htmx.history_restore_request:
            return ["places/_directory.html"]
        return super().get_template_names()

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response


class RegionView(PlaceListView):
    template_name = "places/territory.html"

    def get_preset(self):
        self.region = get_object_or_404(Region, slug=self.kwargs["slug"])
        return {"region": self.region.slug}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            territory=self.region,
            heading=_("Tiers-lieux en %(region)s") % {"region": self.region.name},
            breadcrumbs=[],
            **kwargs,
        )


class DepartmentView(PlaceListView):
    template_name = "places/territory.html"

    def get(self, request, *args, **kwargs):
        code = self.kwargs["code"]
        if code != code.upper():  # /departements/2a/ → /departements/2A/, one address per page
            url = reverse("places:department", kwargs={"code": code.upper()})
            query = request.META.get("QUERY_STRING")
            return redirect(f"{url}?{query}" if query else url, permanent=True)
        return super().get(request, *args, **kwargs)

    def get_preset(self):
        self.department = get_object_or_404(
            Department.objects.select_related("region"), code=self.kwargs["code"]
        )
        return {"departement": self.department.code}

    def get_context_data(self, **kwargs):
        department = self.department
        return super().get_context_data(
            territory=department,
            heading=_("Tiers-lieux en %(department)s (%(code)s)")
            % {"department": department.name, "code": department.code},
            breadcrumbs=[(department.region.name, department.region.get_absolute_url())],
            **kwargs,
        )


class PartnershipKindView(PlaceListView):
    template_name = "places/territory.html"

    def get_preset(self):
        try:
            self.kind = PartnershipKind(self.kwargs["kind"])
        except ValueError:
            raise Http404(_("Nature de partenariat inconnue.")) from None
        return {"partenariat": self.kind.value}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            heading=_("Lieux ayant un partenariat : %(kind)s") % {"kind": self.kind.label},
            breadcrumbs=[],
            tig_hosts=self.kind == PartnershipKind.TIG,
            **kwargs,
        )


def former_address(request, slug: str, url_name: str = "places:detail"):
    """A permanent redirect from an address a place had (``FormerSlug``) to the same page at
    its current address, in the request's language and with its query string; else None."""
    former = FormerSlug.objects.filter(slug=slug).select_related("place").first()
    if former is None:
        return None
    url = reverse(url_name, kwargs={"slug": former.place.slug})
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    return HttpResponsePermanentRedirect(url)


@method_decorator(cache.cached_page, name="dispatch")
class PlaceDetailView(DetailView):
    template_name = "places/place_detail.html"
    context_object_name = "place"

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            moved = former_address(request, kwargs["slug"])
            if moved is None:
                raise
            return moved

    def get_queryset(self):
        places = Place.objects.all()
        if not self.request.user.has_perm("places.view_place"):
            places = places.published()
        # When a contribution about it was last accepted (contributions.Proposal), same query.
        accepted = Q(proposals__status="acceptee")
        places = places.annotate(last_contribution=Max("proposals__decided_at", filter=accepted))
        return places.with_territory().prefetch_related(
            Prefetch("spaces", queryset=Space.objects.order_by("name")),
            Prefetch(
                "partnerships",
                queryset=Partnership.objects.select_related("partner").order_by(
                    "partner__level", "-start_date", "partner__name"
                ),
            ),
            Prefetch(
                "activities",
                queryset=Activity.objects.select_related("partnership__partner").order_by(
                    "starts_at", "title"
                ),
            ),
            Prefetch("photos", queryset=Photo.objects.order_by("order", "pk")),
        )

    def get_context_data(self, **kwargs):
        place = self.object
        spaces = list(place.spaces.all())
        partnerships = list(place.partnerships.all())
        # the summary high on the page: the kinds running today (Place.partnership_badges)
        place.running_partnerships = [
            {"kind": p.kind, "provenance": p.provenance} for p in partnerships if p.is_active()
        ]
        levels = {}
        for partnership in partnerships:
            levels.setdefault(partnership.partner.get_level_display(), []).append(partnership)
        page_url = self.request.build_absolute_uri(place.get_absolute_url())
        accessibility = [
            (capfirst(Place._meta.get_field(name).verbose_name), getattr(place, name))
            for name in ("step_free_access", "accessible_toilets", "hearing_loop")
        ]
        return super().get_context_data(
            week=hours.week(place.opening_hours, timezone.localdate())
            if place.opening_hours
            else None,
            # shown when something is known
            accessibility=accessibility
            if any(value is not None for _label, value in accessibility)
            else [],
            spaces=spaces,
            total_surface=sum(s.surface for s in spaces if s.surface) or None,
            total_capacity=sum(s.capacity for s in spaces if s.capacity) or None,
            partnership_levels=list(levels.items()),
            activities=upcoming_first(place.activities.all()),
            photos=list(place.photos.all()),
            page_url=page_url,
            qr_code=sheet.qr_svg(page_url),
            mailto=sheet.mailto(place, page_url),
            **kwargs,
        )


def upcoming_first(activities) -> list[Activity]:
    """Recurring and upcoming activities first (soonest first), past ones last (latest first).
    A recurring one carries its rule in words and its next dates (places.agenda)."""
    now = datetime.datetime.now(datetime.UTC)
    upcoming, past = [], []
    for activity in activities:
        if activity.rule:
            activity.schedule = agenda.describe(activity)
            activity.next_dates = agenda.next_dates(activity, now)
            if activity.next_dates:
                upcoming.append(activity)
                continue
        end = activity.ends_at or activity.starts_at
        (past if end and end < now else upcoming).append(activity)
    past.sort(key=lambda a: a.starts_at, reverse=True)
    return upcoming + past


def _ics(request, activities, name: str, filename: str) -> HttpResponse:
    body = agenda.calendar(
        activities,
        name=name,
        url=request.build_absolute_uri(),
        page_url=exchange.page_urls(request.build_absolute_uri),
        host=request.get_host(),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@cache.cached_page
def place_agenda(request, slug: str):
    """A place's activities as an iCalendar feed (``/lieux/<slug>/agenda.ics``)."""
    place = get_object_or_404(Place.objects.published(), slug=slug)
    activities = place.activities.select_related("place").order_by("starts_at", "pk")
    name = _("Agenda de %(place)s") % {"place": place.name}
    return _ics(request, activities, name, f"agenda-{place.slug}.ics")


@cache.cached_page
def directory_agenda(request):
    """The activities of the places any query string of /lieux/ selects, as an iCalendar feed
    (``/agenda.ics?…``); at most ``agenda.MAX_EVENTS``."""
    filterset = PlaceFilter(request.GET, queryset=Place.objects.published())
    activities = (
        Activity.objects.filter(place__in=filterset.qs.order_by().values("pk"))
        .exclude(starts_at=None)
        .select_related("place")
        .order_by("starts_at", "pk")[: agenda.MAX_EVENTS]
    )
    return _ics(request, activities, _("Agenda des tiers-lieux"), "agenda-tiers-lieux.ics")


@method_decorator(cache.cached_page, name="dispatch")
class PartnerListView(ListView):
    template_name = "places/partner_list.html"
    context_object_name = "partners"

    def get_queryset(self):
        return Partner.objects.annotate(
            place_count=Count(
                "partnerships__place",
                filter=Q(partnerships__place__status="published"),
                distinct=True,
            )
        ).order_by("level", "name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        groups = {}
        for partner in context["partners"]:
            groups.setdefault(partner.get_level_display(), []).append(partner)
        context["levels"] = list(groups.items())
        return context


@method_decorator(cache.cached_page, name="dispatch")
class PartnerDetailView(DetailView):
    template_name = "places/partner_detail.html"
    context_object_name = "partner"

    def get_queryset(self):
        return Partner.objects.select_related("department", "region")

    def get_context_data(self, **kwargs):
        partnerships = list(
            Partnership.objects.filter(partner=self.object, place__status="published")
            .select_related("place__department__region")
            .order_by("place__name", "-start_date")
        )
        return super().get_context_data(
            partnerships=partnerships,
            place_count=len({p.place_id for p in partnerships}),
            active_count=sum(p.is_active() for p in partnerships),
            **kwargs,
        )


@method_decorator(cache.cached_page, name="dispatch")
class MapView(FilterView):
    """The map: the same filters as the directory; the markers come from /lieux.geojson."""

    filterset_class = PlaceFilter
    template_name = "places/map.html"
    strict = False

    def get_queryset(self):
        return Place.objects.published()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        figures = Figures(context["filter"], version=cache.request_version(self.request))
        context.update(
            total=figures.total,
            without_coordinates=figures.without_coordinates(),
            chips=figures.chips(),
            facets=figures.facets,
            hidden_facets=(),
            ignored=figures.ignored,
            query=figures.query(),
            territories=[(key, label) for key, label, *_box in clusters.TERRITORIES],
            bounds=json.dumps(
                cache.get_or_compute(
                    "map-bounds",
                    figures.data_version,
                    figures.cache_parts(),
                    lambda: clusters.bounds(figures.filterset.qs),
                )
            ),
            boxes=json.dumps({key: box for key, _label, *box in clusters.TERRITORIES}),
        )
        return context


@cache.cached_page
def map_points(request):
    """The map's markers for one view (``bbox``, ``zoom``): the matching places clustered on a
    grid (``places.clusters``), the first ones by name for the list beside the map. Cached per
    data version, query and view; a view that cannot be read gets a 400 that says why."""
    filterset = PlaceFilter(request.GET, queryset=Place.objects.published())
    figures = Figures(filterset, version=cache.request_version(request))
    try:
        view = clusters.View.parse(request.GET.get("bbox", ""), request.GET.get("zoom", ""))
    except clusters.InvalidView as error:
        return JsonResponse({"error": str(error)}, status=400)
    found = cache.get_or_compute(
        "map-points",
        figures.data_version,
        figures.cache_parts(*view.key),
        lambda: clusters.points(filterset.qs, view),
    )
    return JsonResponse(
        {**found, "total": figures.total}, json_dumps_params={"ensure_ascii": False}
    )


@cache.cached_page
def places_geojson(request):
    """Matching published places with coordinates as a GeoJSON FeatureCollection; ``total`` and
    ``without_coordinates`` (foreign members) say how many cannot be drawn. The encoded body is
    cached per data version and query (it holds no translated text)."""
    figures = Figures(
        PlaceFilter(request.GET, queryset=Place.objects.published()),
        version=cache.request_version(request),
    )
    body = cache.get_or_compute(
        "geojson", figures.data_version, figures.cache_parts(), lambda: _geojson(figures)
    )
    response = HttpResponse(body, content_type="application/geo+json")
    response["Access-Control-Allow-Origin"] = "*"  # open data
    return response


def _geojson(figures) -> bytes:
    places = figures.filterset.qs.order_by()
    rows = places.filter(latitude__isnull=False).values_list(
        "name", "slug", "commune", "latitude", "longitude"
    )
    detail = reverse("places:detail", kwargs={"slug": "SLUG"})
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
            "properties": {
                "name": name,
                "commune": commune,
                "url": detail.replace("SLUG", slug),
            },
        }
        for name, slug, commune, lat, lon in rows
    ]
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": features,
            "total": figures.total,
            "without_coordinates": figures.total - len(features),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


@method_decorator(cache.cached_page, name="dispatch")
class TigHostsView(TemplateView):
    """For probation services (SPIP, PJJ): the places with a TIG partnership active today, by
    département (or nearest first near a commune), with what each declared — posts, minors,
    tasks, supervision, the service to contact. Printable as a list. The directory's FilterSet
    chooses the places (``departement``, ``pres``, ``rayon`` as on /lieux/)."""

    template_name = "places/tig.html"
    KEPT = ("departement", "pres", "rayon")

    def get_context_data(self, **kwargs):
        data = QueryDict(mutable=True)
        for name in self.KEPT:
            data.setlist(name, self.request.GET.getlist(name))
        data.update({"partenariat": PartnershipKind.TIG, "partenariat_actif": "1"})
        filterset = PlaceFilter(data, queryset=Place.objects.published())
        figures = Figures(filterset, version=cache.request_version(self.request))
        places = list(filterset.qs.with_territory())
        active = Partnership.objects.filter(place__in=places, kind=PartnershipKind.TIG).active()
        by_place: dict[int, list[Partnership]] = {}
        for partnership in active.select_related("partner").order_by("partner__name", "pk"):
            by_place.setdefault(partnership.place_id, []).append(partnership)
        origin = filterset.origin  # near a commune, the places carry distance_km (places.near)
        rows = [(place, by_place.get(place.pk, [])) for place in places]
        if origin is None:  # by département, then by name
            rows.sort(key=lambda row: (row[0].department.code, row[0].name.casefold()))
            groups = [
                (department, list(members))
                for department, members in itertools.groupby(rows, lambda row: row[0].department)
            ]
        else:  # nearest first, as one list
            groups = [(None, rows)]
        # the départements of the current TIG partnerships, their ids read first (one plain
        # join, whatever the planner knows of freshly loaded tables)
        hosting = set(
            Partnership.objects.filter(
                kind=PartnershipKind.TIG, place__status=PublicationStatus.PUBLISHED
            )
            .active()
            .values_list("place__department_id", flat=True)
        )
        departments = Department.objects.filter(pk__in=hosting)
        return super().get_context_data(
            groups=groups,
            place_count=len(places),
            partnership_count=sum(len(partnerships) for _place, partnerships in rows),
            departments=departments.order_by("code"),
            selected=data.getlist("departement"),
            filter=filterset,
            origin=origin,
            radius=filterset.radius,
            radii=near.RADII,
            ignored=figures.ignored,
            **kwargs,
        )


@method_decorator(cache.cached_page, name="dispatch")
class SpaceFinderView(TemplateView):
    """Spaces across places (places.spaces): by kind, capacity, surface, bookable, territory
    and distance to a commune, each with its place."""

    template_name = "places/spaces.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        figures = SpaceFigures(self.request.GET)
        filterset = figures.filterset
        results = filterset.qs.select_related("place__department__region")
        paginator = Paginator(results, self.paginate_by)
        page = paginator.get_page(self.request.GET.get("page"))
        return super().get_context_data(
            filter=filterset,
            page_obj=page,
            paginator=paginator,
            spaces=page.object_list,
            facets=figures.facets(),
            chips=figures.chips(),
            ignored=figures.ignored(),
            sort_options=filterset.sort_options(),
            origin=filterset.origin,
            radius=filterset.radius,
            radii=near.RADII,
            **kwargs,
        )


def _scope(slug: str | None) -> statistics.Scope:
    """France (no slug), or the région / département a URL names (404 otherwise)."""
    if slug is None:
        return statistics.Scope()
    scope = statistics.find_scope(slug)
    if scope is None:
        raise Http404(_("Aucune région ni aucun département ne porte ce nom."))
    return scope


def geography(version: int) -> statistics.Geography:
    """The communes joined to the places, the same for every scope and language: kept per data
    version."""
    return cache.get_or_compute("geography", version, (), statistics.Geography.read)


def _statistics(request, scope: statistics.Scope) -> statistics.Statistics:
    """The scope's figures, kept per data version, day and language (their labels are written
    in it)."""
    version = cache.request_version(request)
    return cache.get_or_compute(
        "statistics",
        version,
        (scope.slug, timezone.localdate(), translation.get_language()),
        lambda: statistics.compute(scope, geography(version)),
    )


@method_decorator(cache.cached_page, name="dispatch")
class StatisticsView(TemplateView):
    """/statistiques/ (France), /statistiques/<région>/, /statistiques/<code>/: every figure as
    an SVG chart, the same figures as a table under it, and as CSV."""

    template_name = "places/statistics.html"

    def get(self, request, *args, **kwargs):
        slug = kwargs.get("scope")
        scope = _scope(slug)
        if slug is not None and slug != scope.slug:  # /statistiques/2a/ → /statistiques/2A/
            return redirect("places:statistics_scope", scope.slug, permanent=True)
        return super().get(request, *args, **{**kwargs, "scope": scope})

    def get_context_data(self, scope, **kwargs):
        figures = _statistics(self.request, scope)
        version = cache.request_version(self.request)
        drawn = []
        for table in figures.tables:
            chart = None
            if table.chart == "bars" and table.rows:
                chart = charts.bars(table)
            elif table.chart == "tiles":
                centres = cache.get_or_compute(
                    "department-centres", version, (), charts.department_centres
                )
                chart = charts.tiles(table, centres)
            csv_args = [scope.slug, table.slug] if scope.slug else [table.slug]
            drawn.append(
                {
                    "table": table,
                    "chart": chart,
                    "csv": reverse(
                        "places:statistics_scope_csv" if scope.slug else "places:statistics_csv",
                        args=csv_args,
                    ),
                }
            )
        breadcrumbs = [(_("France"), reverse("places:statistics"))]
        if scope.region:
            region_url = reverse("places:statistics_scope", args=[scope.region.slug])
            breadcrumbs.append((scope.region.name, region_url))
        if scope.department:
            breadcrumbs.append((scope.name, ""))
        return super().get_context_data(
            figures=figures,
            scope=scope,
            per=statistics.per_inhabitants(figures.total, figures.population),
            charts=drawn,
            breadcrumbs=breadcrumbs,
            regions=Region.objects.order_by("name"),
            **kwargs,
        )


def statistics_csv(request, table, scope=None):
    """One figure of the statistics page as CSV: the table's columns and rows, numbers
    unformatted (a point before decimals), for a spreadsheet."""
    figures = _statistics(request, _scope(scope))
    found = figures.table(table)
    if found is None:
        raise Http404(_("Ce tableau n'existe pas."))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.label for column in found.columns])
    writer.writerows(found.cells())
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"statistiques-{figures.scope.slug or 'france'}-{found.slug}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@method_decorator(cache.cached_page, name="dispatch")
class AboutView(TemplateView):
    template_name = "places/about.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            sources=Place.objects.published()
            .exclude(source_name="")
            .values("source_name", "source_licence", "source_date")
            .annotate(n=Count("pk"))
            .order_by("-n"),
            levels=PartnerLevel.choices,
            **kwargs,
        )


def communes_json(request):
    """The commune fields' autocomplete: ``?q=colomb`` (a name's beginning, accents and case
    ignored) or ``?q=14460`` (a postcode or INSEE code, or their beginning); ten at most, the
    most populous first. One indexed query; cacheable for a day (the communes change yearly)."""
    found = communes.search(request.GET.get("q", ""))
    response = JsonResponse(
        {
            "results": [
                {
                    "insee": commune.insee,
                    "name": commune.name,
                    "department": commune.department_code,
                    "postcodes": commune.postcodes,
                    "label": f"{commune.name} ({', '.join(commune.postcodes[:3])})",
                }
                for commune in found
            ],
            "credit": communes.CREDIT,
        }
    )
    response["Cache-Control"] = "public, max-age=86400"
    return response


def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /en/admin/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
