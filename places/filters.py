"""The directory's one FilterSet: the HTML list, the map and its GeoJSON use it, so that a query
string means the same thing everywhere. It says what each parameter means; counting the options,
the chips and the cached figures live beside it, in places.facets.

Several values of one parameter combine with OR, different parameters with AND. Conditions on
partnerships (kind, partner, partner level, active today) hold for one and the same partnership;
conditions on activities (kind, audience) for one and the same activity. A parameter with an
unknown value is ignored, and the form's errors say which and why. Closed places are left out
unless ``fermes=1`` brings them back. ``pres`` and ``rayon`` keep the places within a distance
of a commune (places.near), nearest first unless another sort is asked for.
"""

import copy
import functools
import re
from dataclasses import dataclass
from functools import cached_property

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from places import hours, near, search
from places.facets import ACTIVITY_FACETS, PARTNERSHIP_FACETS
from places.models import (
    Activity,
    ActivityKind,
    Audience,
    Commune,
    Department,
    Family,
    Lifecycle,
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
    ("distance", _("Distance")),
    ("pertinence", _("Pertinence")),
    ("nom", _("Nom")),
    ("recent", _("Mis à jour récemment")),
    ("surface", _("Surface bâtie")),
]
SORT_ORDER = {
    "distance": ["distance_km", "name", "pk"],
    "pertinence": search.RELEVANCE_ORDER,
    "nom": ["name", "commune", "pk"],
    "recent": ["-updated_at", "pk"],
    # places without a known surface last
    "surface": [F("built_area").desc(nulls_last=True), "name", "pk"],
}


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


def checkboxes(label, choices, method):
    # Choices given as a callable: each request's FilterSet and form deep-copy their filters
    # and fields, and a list of choices with it (a few hundred tuples a request); a callable
    # is copied by reference.
    return django_filters.MultipleChoiceFilter(
        widget=forms.CheckboxSelectMultiple,
        label=label,
        choices=lambda: choices,
        method=method,
    )


class CommuneField(forms.CharField):
    """A commune (INSEE code, postcode, « Nom (code postal) » or name) → where distances are
    measured from (``places.near.Origin``)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        commune = near.find_commune(value)
        if commune is None:
            raise forms.ValidationError(
                _("commune inconnue « %(value)s »."), params={"value": value[:60]}
            )
        origin = near.origin(commune)
        if origin is None:
            raise forms.ValidationError(
                _("la position de %(commune)s n'est pas connue."), params={"commune": commune}
            )
        return origin


class CommuneFilter(django_filters.Filter):
    field_class = CommuneField


@dataclass(frozen=True)
class Epci:
    """An intercommunalité of data/communes-2026.csv."""

    siren: str
    name: str

    def __str__(self) -> str:
        return self.name

    def communes(self) -> list[str]:
        """Its communes' INSEE codes, read first: a list the planner cannot get wrong, where a
        subquery over 35,000 communes could be re-read for every place (no statistics yet
        right after a load)."""
        return list(Commune.objects.filter(epci_siren=self.siren).values_list("insee", flat=True))


class EpciField(forms.CharField):
    """An intercommunalité's SIREN (9 digits) → ``Epci``."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        value = value.strip()
        name = (
            Commune.objects.filter(epci_siren=value).values_list("epci_name", flat=True).first()
            if re.fullmatch(r"\d{9}", value)
            else None
        )
        if name is None:
            raise forms.ValidationError(
                _("intercommunalité inconnue « %(value)s » (son SIREN, 9 chiffres)."),
                params={"value": value[:30]},
            )
        return Epci(value, name)


class EpciFilter(django_filters.Filter):
    field_class = EpciField


class SortFilter(django_filters.ChoiceFilter):
    """Orders the results: by the sort asked for, else relevance when words are searched and
    name otherwise (``PlaceFilter.sort``). Declared last: relevance needs the search's rank."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, choices=SORTS, empty_label=None, **kwargs)

    def filter(self, qs, value):
        return qs.order_by(*self.parent.ordering())


class NearMixin:
    """What « près de » (``pres``, a commune) and ``rayon`` do, for a FilterSet of places
    (``near_prefix`` "") or of their parts (``near_prefix`` "place__"), which declares both
    filters with ``method="filter_near"``."""

    near_prefix = ""

    def filter_near(self, queryset, name, value):
        """Within the radius (20 km unless said) of the commune, with ``distance_km``; applied
        once, for ``pres`` (a radius alone means nothing)."""
        if name != "pres":
            return queryset
        return near.within(queryset, value, self.radius, place=self.near_prefix)

    @property
    def origin(self) -> near.Origin | None:
        return self.form.cleaned_data.get("pres")

    @property
    def radius(self) -> int:
        return self.form.cleaned_data.get("rayon") or near.DEFAULT_RADIUS


def territory_filters(place: str) -> tuple:
    """The « région » and « département » filters (several of each, by slug and code), for a
    FilterSet of places (``place`` "") or of their parts (``place`` "place__")."""
    region = django_filters.ModelMultipleChoiceFilter(
        label=_("Région"),
        field_name=f"{place}department__region__slug",
        to_field_name="slug",
        queryset=Region.objects.all(),
        distinct=False,
    )
    departement = django_filters.ModelMultipleChoiceFilter(
        label=_("Département"),
        field_name=f"{place}department__code",
        to_field_name="code",
        queryset=Department.objects.all(),
        distinct=False,
    )
    return region, departement


class PlaceFilter(NearMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Rechercher"), method="filter_search")
    # the words as typed, not corrected (the "search … instead" link of a corrected search)
    tel_quel = FlagFilter(label=_("Mots tels quels"), method="filter_search")
    region, departement = territory_filters("")
    famille = checkboxes(_("Famille"), Family.choices, "filter_families")
    partenariat = checkboxes(
        _("Nature du partenariat"), PartnershipKind.choices, "filter_partnerships"
    )
    partenaire = django_filters.ModelMultipleChoiceFilter(
        label=_("Partenaire"),
        to_field_name="slug",
        queryset=Partner.objects.all(),
        method="filter_partnerships",
    )
    niveau = checkboxes(_("Niveau du partenaire"), PartnerLevel.choices, "filter_partnerships")
    partenariat_actif = FlagFilter(
        label=_("Partenariat en cours aujourd'hui"), method="filter_partnerships"
    )
    activite = checkboxes(_("Type d'activité"), ActivityKind.choices, "filter_activities")
    public = checkboxes(_("Public"), Audience.choices, "filter_activities")
    espace = checkboxes(_("Type d'espace"), SpaceKind.choices, "filter_spaces")
    # "1": open to the public; "maintenant": open now, by its opening hours (places.hours)
    ouvert = django_filters.MultipleChoiceFilter(
        label=_("Ouvert au public"),
        choices=[("1", _("oui")), ("maintenant", _("Ouvert maintenant"))],
        widget=forms.CheckboxSelectMultiple,
        method="filter_open",
    )
    fauteuil = FlagFilter(label=_("Accessible en fauteuil roulant"), method="filter_wheelchair")
    epci = EpciFilter(label=_("Intercommunalité"), method="filter_epci")
    pres = CommuneFilter(label=_("Près de la commune"), method="filter_near")
    rayon = django_filters.TypedChoiceFilter(
        label=_("Dans un rayon de"),
        choices=[(str(km), _("%(km)d km") % {"km": km}) for km in near.RADII],
        coerce=int,
        empty_value=None,
        method="filter_near",
    )
    # Closed places are left out unless asked for (filter_queryset).
    fermes = FlagFilter(label=_("Inclure les lieux fermés"), method="filter_closed")
    tri = SortFilter(label=_("Trier par"))

    class Meta:
        model = Place
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        # Always bound: no query string means "no filter", and cleaned_data always exists.
        super().__init__(QueryDict() if data is None else data, *args, **kwargs)
        self.form.is_valid()

    def get_form_class(self):
        return self.form_class()

    @classmethod
    @functools.cache
    def form_class(cls) -> type[forms.Form]:
        """The form's class, built once as django-filter builds it: django-filter builds it
        again for every FilterSet, a new field for every filter, where a Django form declares
        its fields once (each form still gets its own copies of them)."""
        fields = {name: copy.deepcopy(filter_).field for name, filter_ in cls.base_filters.items()}
        return type(f"{cls.__name__}Form", (cls._meta.form,), fields)

    def filter_search(self, queryset, name, value):
        """The words (``q``), corrected unless ``tel_quel``: applied once, for ``q``."""
        if name != "q":
            return queryset
        return search.search(queryset, self.search_plan)

    def filter_families(self, queryset, name, value):
        return queryset.filter(families__overlap=list(value))

    def filter_partnerships(self, queryset, name, value):
        """Every partnership condition at once, on one and the same partnership (applied by the
        first active condition of the group)."""
        data = self.form.cleaned_data
        if not value or name != next(n for n in PARTNERSHIP_FACETS if data.get(n)):
            return queryset
        partnerships = self.partnership_conditions(Partnership.objects.filter(place=OuterRef("pk")))
        return queryset.filter(Exists(partnerships))

    def partnership_conditions(self, partnerships):
        """``partnerships`` narrowed to those meeting the query's partnership conditions (kind,
        partner, partner level, active today): the partnerships a list of places is about."""
        data = self.form.cleaned_data
        if data.get("partenariat"):
            partnerships = partnerships.filter(kind__in=data["partenariat"])
        if data.get("partenaire"):
            partnerships = partnerships.filter(partner__in=data["partenaire"])
        if data.get("niveau"):
            partnerships = partnerships.filter(partner__level__in=data["niveau"])
        if data.get("partenariat_actif"):
            partnerships = partnerships.active()
        return partnerships

    def filter_activities(self, queryset, name, value):
        """Every activity condition at once, on one and the same activity."""
        data = self.form.cleaned_data
        if not value or name != next(n for n in ACTIVITY_FACETS if data.get(n)):
            return queryset
        activities = Activity.objects.filter(place=OuterRef("pk"))
        if data.get("activite"):
            activities = activities.filter(kind__in=data["activite"])
        if data.get("public"):
            activities = activities.filter(audiences__overlap=list(data["public"]))
        return queryset.filter(Exists(activities))

    def filter_spaces(self, queryset, name, value):
        return queryset.filter(Exists(Space.objects.filter(place=OuterRef("pk"), kind__in=value)))

    def filter_open(self, queryset, name, value):
        """Open to the public, or open now (several values: either)."""
        condition = Q(pk__in=[])
        if "1" in value:
            condition |= Q(open_to_public=True)
        if "maintenant" in value:
            condition |= Q(pk__in=hours.open_now(hours.now()))
        return queryset.filter(condition)

    def filter_epci(self, queryset, name, value):
        return queryset.filter(insee_code__in=value.communes())

    def filter_wheelchair(self, queryset, name, value):
        return queryset.filter(step_free_access=True)

    def filter_closed(self, queryset, name, value):
        return queryset  # asked for: nothing left out

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("fermes"):
            queryset = queryset.exclude(lifecycle=Lifecycle.FERME)
        queryset = super().filter_queryset(queryset)
        if "tri" not in self.form.cleaned_data:  # an unknown sort: ignored, results still sorted
            queryset = self.filters["tri"].filter(queryset, None)
        return queryset

    # The search and the sort
    # -----------------------------------------------------------------------------------------

    @property
    def search_query(self) -> search.Query:
        return search.parse(self.form.cleaned_data.get("q", ""))

    @cached_property
    def search_plan(self) -> search.Plan:
        """How the words are searched (corrected unless ``tel_quel``): one query, once."""
        return search.plan(
            self.search_query.words, correct=not self.form.cleaned_data.get("tel_quel")
        )

    def ordering(self) -> list:
        """The ORDER BY of the sort in effect."""
        return SORT_ORDER[self.sort]

    @property
    def default_sort(self) -> str:
        """Distance near a commune, else relevance when words are searched, else name."""
        if self.origin:
            return "distance"
        return "pertinence" if self.search_query else "nom"

    def possible_sorts(self) -> set[str]:
        """Distance needs a commune, relevance words."""
        return {
            value
            for value, _label in SORTS
            if (value != "distance" or self.origin) and (value != "pertinence" or self.search_query)
        }

    @property
    def sort(self) -> str:
        """The sort in effect: the one asked for when it is possible, else the default."""
        sort = self.form.cleaned_data.get("tri")
        return sort if sort in self.possible_sorts() else self.default_sort

    def sort_options(self) -> list[tuple[str, str, bool]]:
        """(value, label, selected) for the sort menu. The default sort (distance near a
        commune, relevance with a search, name otherwise) is the empty value, so that a new
        search is ranked by relevance even when the menu was left on its default."""
        default = self.default_sort
        asked = self.form.cleaned_data.get("tri") or ""
        if asked == default:
            asked = ""
        possible = self.possible_sorts()
        options = [
            ("" if value == default else value, str(label))
            for value, label in SORTS
            if value in possible
        ]
        if asked not in {key for key, _ in options}:
            asked = ""
        options.sort(key=lambda option: option[0] != "")
        return [(key, label, key == asked) for key, label in options]
