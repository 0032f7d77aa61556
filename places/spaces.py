"""The space finder (/espaces/): spaces across places — « a meeting room for 20 people in
Calvados » — by kind, capacity, surface, bookable, territory and distance to a commune, with
each option's count under the other filters and removable chips, as the directory has.

Spaces are counted in SQL (one ``GROUP BY`` per counted filter over the matching spaces): far
fewer rows than places once filtered, and the page is cached per data version and query."""

from functools import cached_property

import django_filters
from django import forms
from django.db.models import Count, F
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from places import near
from places.facets import Facet, Option
from places.filters import CommuneFilter, FlagFilter, NearMixin, territory_filters
from places.models import Department, Lifecycle, PublicationStatus, Region, Space, SpaceKind

SORTS = [
    ("distance", gettext_lazy("Distance")),
    ("capacite", gettext_lazy("Capacité (la plus grande d'abord)")),
    ("surface", gettext_lazy("Surface (la plus grande d'abord)")),
    ("lieu", gettext_lazy("Nom du lieu")),
]
SORT_ORDER = {
    "distance": ["distance_km", "place__name", "name", "pk"],
    "capacite": [F("capacity").desc(nulls_last=True), "place__name", "name", "pk"],
    "surface": [F("surface").desc(nulls_last=True), "place__name", "name", "pk"],
    "lieu": ["place__name", "name", "pk"],
}
# Counted filters: (parameter, the field its options count).
COUNTED = [
    ("espace", "kind"),
    ("region", "place__department__region__slug"),
    ("departement", "place__department__code"),
    ("reservable", "bookable"),
]


def listed_spaces():
    """The spaces of published places that are not closed."""
    return Space.objects.filter(place__status=PublicationStatus.PUBLISHED).exclude(
        place__lifecycle=Lifecycle.FERME
    )


class SpaceFilter(NearMixin, django_filters.FilterSet):
    near_prefix = "place__"  # near.within: the distance of each space's place
    espace = django_filters.MultipleChoiceFilter(
        label=gettext_lazy("Type d'espace"),
        field_name="kind",
        choices=SpaceKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    capacite = django_filters.NumberFilter(
        label=gettext_lazy("Capacité d'au moins (personnes)"),
        field_name="capacity",
        lookup_expr="gte",
        min_value=1,
        max_value=100_000,
        decimal_places=0,
    )
    surface = django_filters.NumberFilter(
        label=gettext_lazy("Surface d'au moins (m²)"),
        field_name="surface",
        lookup_expr="gte",
        min_value=1,
        max_value=10_000_000,
        decimal_places=0,
    )
    reservable = FlagFilter(label=gettext_lazy("Réservable"), method="filter_bookable")
    region, departement = territory_filters("place__")
    pres = CommuneFilter(label=gettext_lazy("Près de la commune"), method="filter_near")
    rayon = django_filters.TypedChoiceFilter(
        label=gettext_lazy("Dans un rayon de"),
        choices=[(str(km), f"{km} km") for km in near.RADII],
        coerce=int,
        empty_value=None,
        method="filter_near",
    )
    tri = django_filters.ChoiceFilter(
        label=gettext_lazy("Trier par"), choices=SORTS, method="filter_sort", empty_label=None
    )

    class Meta:
        model = Space
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(QueryDict() if data is None else data, *args, **kwargs)
        self.form.is_valid()

    def filter_bookable(self, queryset, name, value):
        return queryset.filter(bookable=True)

    def filter_sort(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset.order_by(*SORT_ORDER[self.sort])

    @property
    def sort(self) -> str:
        asked = self.form.cleaned_data.get("tri")
        if asked == "distance" and not self.origin:
            asked = None
        return asked or ("distance" if self.origin else "capacite")

    def sort_options(self) -> list[tuple[str, str, bool]]:
        return [
            (value, str(label), value == self.sort)
            for value, label in SORTS
            if value != "distance" or self.origin
        ]


class SpaceFigures:
    """What /espaces/ shows of a query: the filter's results, each counted filter's options
    with their counts under the other filters, the chips, what was ignored."""

    def __init__(self, data: QueryDict):
        self.data = data
        self.filterset = SpaceFilter(data, queryset=listed_spaces())
        self.form = self.filterset.form

    def valid_data(self) -> QueryDict:
        """The query string reduced to what was understood (no page, no ignored values)."""
        valid = QueryDict(mutable=True)
        for name in self.filterset.filters:
            if name in self.form.errors or name == "tri":
                continue
            for value in self.data.getlist(name):
                if value != "":
                    valid.appendlist(name, value)
        return valid

    @cached_property
    def labels(self) -> dict[str, dict[str, str]]:
        """The options' labels of the space kinds, régions and départements (read once for the
        facets and the chips)."""
        return {
            "espace": dict(SpaceKind.choices),
            "region": dict(Region.objects.values_list("slug", "name")),
            "departement": {d.code: str(d) for d in Department.objects.all()},
        }

    def facets(self) -> list[Facet]:
        data = self.valid_data()
        labels = self.labels
        facets = []
        for name, field in COUNTED:
            others = data.copy()
            others.pop(name, None)
            rows = (
                SpaceFilter(others, queryset=listed_spaces())
                .qs.order_by()
                .values_list(field)
                .annotate(n=Count("pk"))
            )
            counts = {("1" if value is True else value): n for value, n in rows}
            selected = set(data.getlist(name))
            if name == "reservable":
                options = [Option("1", str(_("oui")), counts.get("1", 0), "1" in selected)]
            else:
                options = [
                    Option(value, str(label), counts.get(value, 0), value in selected)
                    for value, label in labels[name].items()
                    if counts.get(value) or value in selected
                ]
            facets.append(Facet(name, str(self.form.fields[name].label), options))
        return facets

    def chips(self) -> list[tuple[str, str, str]]:
        """(filter label, value label, query string without it) of every active value."""
        data = self.valid_data()
        labels = self.labels
        chips = []
        for name in self.filterset.filters:
            if name == "rayon" and not self.filterset.origin:
                continue
            for value in data.getlist(name):
                remaining = data.copy()
                remaining.setlist(name, [v for v in data.getlist(name) if v != value])
                if name == "pres":
                    remaining.pop("rayon", None)
                    shown = str(self.filterset.origin)
                elif name in ("rayon", "surface", "capacite"):
                    unit = {"surface": "m²", "capacite": _("personnes")}.get(name, "km")
                    shown = f"{value} {unit}"
                elif name == "reservable":
                    shown = str(_("oui"))
                else:
                    shown = str(labels.get(name, {}).get(value, value))
                chips.append((str(self.form.fields[name].label), shown, remaining.urlencode()))
        return chips

    def ignored(self) -> list[tuple[str, str]]:
        return [
            (str(self.form.fields[name].label), " ".join(str(e) for e in errors))
            for name, errors in self.form.errors.items()
            if name in self.form.fields
        ]
