"""The directory's one FilterSet: the HTML list uses it, and the map and exports will reuse it so
that a query string means the same thing everywhere.

Several values of one parameter combine with OR, different parameters with AND. Conditions on
partnerships (kind, partner, partner level, active today) hold for one and the same partnership;
conditions on activities (kind, audience) for one and the same activity. A parameter with an
unknown value is ignored, and the form's errors say which and why.

``facets`` counts, for every option of every filter, how many places it would give under the
other active filters (one query per filter, whatever the number of places or options), and
``chips()`` lists the active values with the URL that removes each.
"""

from dataclasses import dataclass
from functools import cached_property

import django_filters
from django import forms
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from places import cache, search
from places.models import (
    Activity,
    ActivityKind,
    Audience,
    Department,
    Family,
    Partner,
    PartnerLevel,
    Partnership,
    PartnershipKind,
    Place,
    Region,
    Space,
    SpaceKind,
)

SORTS = [
    ("pertinence", _("Pertinence")),
    ("nom", _("Nom")),
    ("recent", _("Mis à jour récemment")),
    ("surface", _("Surface bâtie")),
]
SORT_ORDER = {
    "nom": ["name", "commune", "pk"],
    "recent": ["-updated_at", "pk"],
    # places without a known surface last
    "surface": [F("built_area").desc(nulls_last=True), "name", "pk"],
}
PARTNERSHIP_PARAMS = ["partenariat", "partenaire", "niveau", "partenariat_actif"]
# Up to this many places matching the words, counts and facets reuse their ids.
SMALL_MATCH = 5000
ACTIVITY_PARAMS = ["activite", "public"]
# Filters shown with counts, in the order of the page.
FACETS = [
    "region",
    "departement",
    "famille",
    "partenariat",
    "partenaire",
    "niveau",
    "partenariat_actif",
    "activite",
    "public",
    "espace",
    "ouvert",
]


class FlagCheckbox(forms.CheckboxInput):
    """A checkbox sending ``1``; any other value reaches the field, which refuses it."""

    def __init__(self, attrs=None):
        super().__init__({"value": "1", **(attrs or {})}, check_test=lambda value: value == "1")

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class FlagFilter(django_filters.ChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("1", _("oui"))])
        kwargs.setdefault("widget", FlagCheckbox)
        super().__init__(*args, **kwargs)


def _noop(queryset, name, value):
    """Filters combined in PlaceFilter.filter_queryset (one partnership, one activity)."""
    return queryset


@dataclass
class Option:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    label: str
    options: list[Option]

    @property
    def selected_count(self) -> int:
        return sum(option.selected for option in self.options)


@dataclass
class Chip:
    name: str
    label: str
    value_label: str
    remove_query: str


class PlaceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Rechercher"), method=_noop)
    region = django_filters.ModelMultipleChoiceFilter(
        label=_("Région"),
        field_name="department__region__slug",
        to_field_name="slug",
        queryset=Region.objects.all(),
        distinct=False,
    )
    departement = django_filters.ModelMultipleChoiceFilter(
        label=_("Département"),
        field_name="department__code",
        to_field_name="code",
        queryset=Department.objects.all(),
        distinct=False,
    )
    famille = django_filters.MultipleChoiceFilter(
        widget=forms.CheckboxSelectMultiple,
        label=_("Famille"),
        choices=Family.choices,
        method="filter_families",
    )
    espace = django_filters.MultipleChoiceFilter(
        widget=forms.CheckboxSelectMultiple,
        label=_("Type d'espace"),
        choices=SpaceKind.choices,
        method="filter_spaces",
    )
    ouvert = FlagFilter(label=_("Ouvert au public"), method="filter_open")
    partenariat = django_filters.MultipleChoiceFilter(
        widget=forms.CheckboxSelectMultiple,
        label=_("Nature du partenariat"),
        choices=PartnershipKind.choices,
        method=_noop,
    )
    partenaire = django_filters.ModelMultipleChoiceFilter(
        label=_("Partenaire"), to_field_name="slug", queryset=Partner.objects.all(), method=_noop
    )
    niveau = django_filters.MultipleChoiceFilter(
        widget=forms.CheckboxSelectMultiple,
        label=_("Niveau du partenaire"),
        choices=PartnerLevel.choices,
        method=_noop,
    )
    partenariat_actif = FlagFilter(label=_("Partenariat en cours aujourd'hui"), method=_noop)
    activite = django_filters.MultipleChoiceFilter(
        widget=forms.CheckboxSelectMultiple,
        label=_("Type d'activité"),
        choices=ActivityKind.choices,
        method=_noop,
    )
    public = django_filters.MultipleChoiceFilter(
        widget=forms.CheckboxSelectMultiple,
        label=_("Public"),
        choices=Audience.choices,
        method=_noop,
    )
    tri = django_filters.ChoiceFilter(
        label=_("Trier par"), choices=SORTS, empty_label=None, method=_noop
    )

    class Meta:
        model = Place
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        # Always bound: no query string means "no filter", and cleaned_data always exists.
        super().__init__(QueryDict() if data is None else data, *args, **kwargs)
        self.form.is_valid()

    def filter_families(self, queryset, name, value):
        return queryset.filter(families__overlap=list(value)) if value else queryset

    def filter_spaces(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Exists(Space.objects.filter(place=OuterRef("pk"), kind__in=value)))

    def filter_open(self, queryset, name, value):
        return queryset.filter(open_to_public=True) if value else queryset

    @property
    def search_query(self) -> search.Query:
        return search.parse(self.form.cleaned_data.get("q", ""))

    @cached_property
    def search_plan(self) -> dict[str, str]:
        return search.word_plan(self.search_query.words)

    def filter_queryset(self, queryset):
        queryset = self.filter_without_sort(queryset, ranked=True)
        return queryset.order_by(*self.ordering())

    @cached_property
    def search_ids(self) -> list[int] | None:
        """The ids of the places matching the words alone, when there are at most SMALL_MATCH
        of them: counts and facets then select by id rather than evaluate the search again in
        each of their queries (a typo's trigram condition is the costly part)."""
        if not self.search_query:
            return None
        matching = search.search(self.queryset, self.search_query, self.search_plan)
        ids = list(matching.order_by().values_list("pk", flat=True)[: SMALL_MATCH + 1])
        return ids if len(ids) <= SMALL_MATCH else None

    def filter_without_sort(self, queryset, skip: str | None = None, ranked: bool = False):
        """The matching places, unordered; ``skip`` leaves one filter out (for its facet);
        ``ranked`` annotates the search's rank and snippet (for the list itself)."""
        data = {
            name: value
            for name, value in self.form.cleaned_data.items()
            if name != skip and name in self.filters
        }
        for name, value in data.items():
            queryset = self.filters[name].filter(queryset, value)
        if skip != "q" and self.search_query:
            if not ranked and self.search_ids is not None:
                queryset = queryset.filter(pk__in=self.search_ids)
            else:
                queryset = search.search(queryset, self.search_query, self.search_plan)
        partnerships = Partnership.objects.filter(place=OuterRef("pk"))
        if data.get("partenariat"):
            partnerships = partnerships.filter(kind__in=data["partenariat"])
        if data.get("partenaire"):
            partnerships = partnerships.filter(partner__in=data["partenaire"])
        if data.get("niveau"):
            partnerships = partnerships.filter(partner__level__in=data["niveau"])
        if data.get("partenariat_actif"):
            partnerships = partnerships.active()
        if any(data.get(p) for p in PARTNERSHIP_PARAMS):
            queryset = queryset.filter(Exists(partnerships))
        activities = Activity.objects.filter(place=OuterRef("pk"))
        if data.get("activite"):
            activities = activities.filter(kind__in=data["activite"])
        if data.get("public"):
            activities = activities.filter(audiences__overlap=list(data["public"]))
        if any(data.get(p) for p in ACTIVITY_PARAMS):
            queryset = queryset.filter(Exists(activities))
        return queryset

    @property
    def sort(self) -> str:
        """The sort in effect: relevance by default when words are searched, else name."""
        sort = self.form.cleaned_data.get("tri")
        if self.search_query:
            return sort or "pertinence"
        return "nom" if sort in (None, "", "pertinence") else sort

    def sort_options(self) -> list[tuple[str, str, bool]]:
        """(value, label, selected) for the sort menu. The default sort (relevance with a search,
        name without) is the empty value, so that a new search is ranked by relevance even
        when the menu was left on its default."""
        default = "pertinence" if self.search_query else "nom"
        asked = self.form.cleaned_data.get("tri") or ""
        if asked == default:
            asked = ""
        options = [
            ("" if value == default else value, str(label))
            for value, label in SORTS
            if value != "pertinence" or self.search_query
        ]
        if asked not in {key for key, _ in options}:
            asked = ""
        options.sort(key=lambda option: option[0] != "")
        return [(key, label, key == asked) for key, label in options]

    def ordering(self):
        if self.sort == "pertinence":
            # equally relevant: the most complete records first (places.search, search_quality)
            return [F("rank").desc(), F("search_quality").desc(), "name", "pk"]
        return SORT_ORDER[self.sort]

    @property
    def ignored(self) -> list[tuple[str, str]]:
        """(parameter label, reason) for every parameter whose value was not understood."""
        ignored = [
            (str(self.form.fields[name].label), " ".join(str(e) for e in errors))
            for name, errors in self.form.errors.items()
            if name in self.form.fields
        ]
        text = self.form.cleaned_data.get("q", "")
        query = self.search_query
        if text.strip() and not query:
            ignored.append((str(_("Rechercher")), str(_("aucun mot reconnu dans la recherche."))))
        elif query.truncated:
            ignored.append(
                (
                    str(_("Rechercher")),
                    ngettext(
                        "seul le premier mot (%(words)d) des %(chars)d premiers caractères "
                        "est cherché.",
                        "seuls les %(words)d premiers mots des %(chars)d premiers caractères "
                        "sont cherchés.",
                        search.MAX_WORDS,
                    )
                    % {"words": search.MAX_WORDS, "chars": search.MAX_QUERY_CHARS},
                )
            )
        if self.form.cleaned_data.get("tri") == "pertinence" and not query:
            ignored.append((str(_("Trier par")), str(_("la pertinence suppose une recherche."))))
        return ignored

    # Facets and chips
    # -----------------------------------------------------------------------------------------

    # Filters fixed by the page's URL (a territory page): not chips, not in the links' queries.
    fixed: frozenset[str] = frozenset()

    def _valid_data(self, with_fixed=False) -> QueryDict:
        """The query string reduced to what was understood (no page, no ignored values)."""
        data = QueryDict(mutable=True)
        for name in self.filters:
            if name in self.fixed and not with_fixed:
                continue
            if name in self.form.errors:
                continue
            for value in self.data.getlist(name):
                if value != "":
                    data.appendlist(name, value)
        return data

    # Cached figures (places.cache): keyed by the data version and the understood query
    # -----------------------------------------------------------------------------------------

    @cached_property
    def data_version(self) -> int:
        return cache.data_version()

    def cache_parts(self, *extra) -> tuple:
        """What identifies the result set: the model's base queryset and the valid filters."""
        data = self._valid_data(with_fixed=True)
        data.pop("tri", None)
        return (str(self.queryset.query), sorted(data.lists()), *extra)

    @cached_property
    def facet_counts(self) -> dict[str, dict[str, int]]:
        """Places per option of every filter, under the other filters: one query per filter,
        computed once per data version and query."""
        return cache.get_or_compute(
            "facets", self.data_version, self.cache_parts(), self._compute_facet_counts
        )

    def _compute_facet_counts(self) -> dict[str, dict[str, int]]:
        data = self.form.cleaned_data
        counts = {}
        for name in FACETS:
            others = self.filter_without_sort(self.queryset, skip=name) if data.get(name) else None
            counts[name] = self._count(name, others)
        return counts

    @cached_property
    def total(self) -> int:
        return cache.get_or_compute(
            "total",
            self.data_version,
            self.cache_parts(),
            lambda: self.filter_without_sort(self.queryset).count(),
        )

    def page_ids(self, bottom: int, top: int) -> list[int]:
        """The ids of one page of results, in order (cached): the rows are then fetched by id,
        so a late page costs no more than the first."""
        return cache.get_or_compute(
            "page",
            self.data_version,
            self.cache_parts(self.sort, bottom, top),
            lambda: list(self.qs.values_list("pk", flat=True)[bottom:top]),
        )

    @cached_property
    def facets(self) -> list[Facet]:
        """Every filter with its options, their counts and whether they are selected."""
        facets = []
        for name in FACETS:
            field = self.form.fields[name]
            counts = self.facet_counts[name]
            selected = self._selected_values(name)
            options = [
                Option(value, label, counts.get(value, 0), value in selected)
                for value, label in self._choices(name)
            ]
            facets.append(Facet(name, str(field.label), options))
        return facets

    def _choices(self, name: str) -> list[tuple[str, str]]:
        """(value in the URL, label) of every option of filter ``name``; one query at most."""
        memo = self.__dict__.setdefault("_choices_memo", {})
        if name not in memo:
            field = self.form.fields[name]
            keys = {"region": "slug", "departement": "code", "partenaire": "slug"}
            if name in keys:  # rows of the database: cached with the data version
                memo[name] = cache.get_or_compute(
                    "choices",
                    self.data_version,
                    (name,),
                    lambda: [(getattr(obj, keys[name]), str(obj)) for obj in field.queryset],
                )
            else:
                memo[name] = [(value, str(label)) for value, label in field.choices if value]
        return memo[name]

    def _selected_values(self, name) -> set[str]:
        return set(self._valid_data(with_fixed=True).getlist(name))

    def _count(self, name: str, places) -> dict[str, int]:
        """Places per option of filter ``name`` among ``places`` (the current results when
        ``None``), in one query."""
        if places is None:
            places = self.filter_without_sort(self.queryset)
        places = places.order_by()
        data = self.form.cleaned_data
        ids = places.values("pk")
        if name == "region":
            rows = places.values_list("department__region__slug").annotate(n=Count("pk"))
        elif name == "departement":
            rows = places.values_list("department__code").annotate(n=Count("pk"))
        elif name == "famille":
            return _unnest_counts(ids, "places_place", "families", "id")
        elif name == "espace":
            return _distinct_counts(Space.objects.filter(place__in=ids), "kind")
        elif name == "ouvert":
            return {"1": places.filter(open_to_public=True).count()}
        elif name in PARTNERSHIP_PARAMS:
            partnerships = Partnership.objects.filter(place__in=ids)
            if name != "partenariat" and data.get("partenariat"):
                partnerships = partnerships.filter(kind__in=data["partenariat"])
            if name != "partenaire" and data.get("partenaire"):
                partnerships = partnerships.filter(partner__in=data["partenaire"])
            if name != "niveau" and data.get("niveau"):
                partnerships = partnerships.filter(partner__level__in=data["niveau"])
            if name != "partenariat_actif" and data.get("partenariat_actif"):
                partnerships = partnerships.active()
            if name == "partenariat_actif":
                return {"1": partnerships.active().values("place").distinct().count()}
            column = {
                "partenariat": "kind",
                "partenaire": "partner__slug",
                "niveau": "partner__level",
            }
            return _distinct_counts(partnerships, column[name])
        else:  # activities
            activities = Activity.objects.filter(place__in=ids)
            if name == "public":
                if data.get("activite"):
                    activities = activities.filter(kind__in=data["activite"])
                return _unnest_counts(
                    activities.values("pk"), "places_activity", "audiences", "place_id"
                )
            if data.get("public"):
                activities = activities.filter(audiences__overlap=list(data["public"]))
            return _distinct_counts(activities, "kind")
        return dict(rows)

    def chips_query(self) -> str:
        """The understood filters as a query string, to carry them to the map or the list."""
        return self._valid_data(with_fixed=True).urlencode()

    def query_without(self, name: str) -> str:
        data = self._valid_data()
        data.pop(name, None)
        return data.urlencode()

    def chips(self) -> list[Chip]:
        """Every active value, with the query string that removes it (and the page)."""
        chips = []
        data = self._valid_data()
        labels = {name: dict(self._choices(name)) for name in FACETS if data.getlist(name)}
        for name in ["q", *FACETS]:
            for value in data.getlist(name):
                remaining = data.copy()
                remaining.setlist(name, [v for v in data.getlist(name) if v != value])
                if name == "q":
                    value_label = value
                elif name in ("ouvert", "partenariat_actif"):
                    value_label = str(_("oui"))
                else:
                    value_label = labels.get(name, {}).get(value, value)
                chips.append(
                    Chip(
                        name, str(self.form.fields[name].label), value_label, remaining.urlencode()
                    )
                )
        return chips


def _distinct_counts(rows, column: str) -> dict[str, int]:
    """Places per value of ``column`` among ``rows`` (spaces, partnerships, activities): the
    distinct (value, place) pairs, hashed, then counted; count(DISTINCT) would sort them."""
    try:
        sql, params = (
            rows.values_list(column, "place_id").distinct().order_by().query.sql_with_params()
        )
    except EmptyResultSet:  # nothing can match (no place id to select)
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT value, count(*) FROM ({sql}) AS pairs(value, place) GROUP BY 1", params
        )
        return dict(cursor.fetchall())


def _unnest_counts(ids, table: str, column: str, place_column: str) -> dict[str, int]:
    """Places per element of an array column, for the rows whose id is in ``ids``."""
    try:
        sql, params = ids.query.sql_with_params()
    except EmptyResultSet:  # nothing can match (no place id to select)
        return {}
    if place_column == "id":  # an array holds each element once: one row per place already
        query = (
            f"SELECT element, count(*) FROM {table} AS t, unnest(t.{column}) AS element "
            f"WHERE t.id IN ({sql}) GROUP BY element"
        )
    else:
        query = (
            f"SELECT element, count(*) FROM (SELECT DISTINCT element, t.{place_column} "
            f"FROM {table} AS t, unnest(t.{column}) AS element WHERE t.id IN ({sql})) AS pairs "
            "GROUP BY element"
        )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return dict(cursor.fetchall())
