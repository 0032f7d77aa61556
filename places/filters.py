"""The directory's one FilterSet: the HTML list uses it, and the map and exports will reuse it so
that a query string means the same thing everywhere.

Several values of one parameter combine with OR, different parameters with AND. Conditions on
partnerships (kind, partner, partner level, active today) hold for one and the same partnership;
conditions on activities (kind, audience) for one and the same activity. A parameter with an
unknown value is ignored, and the form's errors say which and why.
"""

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef
from django.utils.translation import gettext_lazy as _

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
ACTIVITY_PARAMS = ["activite", "public"]


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


class PlaceFilter(django_filters.FilterSet):
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

    def filter_families(self, queryset, name, value):
        return queryset.filter(families__overlap=list(value)) if value else queryset

    def filter_spaces(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Exists(Space.objects.filter(place=OuterRef("pk"), kind__in=value)))

    def filter_open(self, queryset, name, value):
        return queryset.filter(open_to_public=True) if value else queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
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
        return queryset.order_by(*self.ordering())

    def ordering(self):
        return SORT_ORDER[self.form.cleaned_data.get("tri") or "nom"]

    @property
    def ignored(self) -> list[tuple[str, str]]:
        """(parameter label, reason) for every parameter whose value was not understood."""
        return [
            (str(self.form.fields[name].label), " ".join(str(e) for e in errors))
            for name, errors in self.form.errors.items()
            if name in self.form.fields
        ]
