from django.db.models import Prefetch
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from places.filters import PlaceFilter
from places.models import Activity, Partnership, Photo, Place, Region, Space


class HomeView(TemplateView):
    template_name = "places/home.html"

    def get_context_data(self, **kwargs):
        published = Place.objects.published()
        return super().get_context_data(
            place_count=published.count(),
            partnership_count=Partnership.objects.filter(place__in=published).count(),
            latest=published.with_territory().order_by("-updated_at")[:6],
            regions=Region.objects.all(),
            **kwargs,
        )


class PlaceListView(FilterView):
    """The directory: published places filtered by the query string (places.filters)."""

    filterset_class = PlaceFilter
    template_name = "places/place_list.html"
    context_object_name = "places"
    paginate_by = 50
    strict = False  # an unknown value is ignored (and said), never an empty page

    def get_queryset(self):
        return Place.objects.published().with_territory()


class PlaceDetailView(DetailView):
    template_name = "places/place_detail.html"
    context_object_name = "place"

    def get_queryset(self):
        places = Place.objects.all()
        if not self.request.user.has_perm("places.view_place"):
            places = places.published()
        return places.with_territory().prefetch_related(
            Prefetch("spaces", queryset=Space.objects.order_by("name")),
            Prefetch(
                "partnerships",
                queryset=Partnership.objects.select_related("partner").order_by(
                    "partner__level", "-start_date"
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
        return super().get_context_data(
            spaces=spaces,
            total_surface=sum(s.surface for s in spaces if s.surface) or None,
            partnerships=list(place.partnerships.all()),
            activities=list(place.activities.all()),
            photos=list(place.photos.all()),
            **kwargs,
        )
