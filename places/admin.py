"""Staff admin. Éditeurs add and change; only users with ``places.publish_place`` (Modérateurs)
publish, unpublish, archive or change the publication status; deleting needs the delete permission.

Every changelist and change page runs a bounded number of queries: list_select_related for foreign
keys, and inline select/autocomplete widgets whose labels are loaded once per formset.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import models
from django.db.models import Count, Exists, OuterRef
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from places import search
from places.forms import PhotoForm
from places.models import (
    Activity,
    Audience,
    Department,
    Family,
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

# Links typed without a scheme get https:// (Django 5.2 would still assume http://).
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}
# Tabular inline rows stay readable on a laptop screen with small text areas.
COMPACT_ROWS = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 32})}}

admin.site.site_header = _("Annuaire des tiers-lieux — administration")
admin.site.site_title = _("Annuaire des tiers-lieux")
admin.site.index_title = _("Gestion de l'annuaire")


# ---------------------------------------------------------------------------------------------
# Bounded-query helpers for inlines
# ---------------------------------------------------------------------------------------------


class PreloadedAutocompleteSelect(AutocompleteSelect):
    """Autocomplete whose selected labels come from a dict filled once per formset.

    The stock widget queries the database once per rendered row; ``labels`` is shared by every
    copy of the widget (Widget.__deepcopy__ copies shallowly), so one query serves the formset.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.labels = {}

    def optgroups(self, name, value, attr=None):
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        if not selected or not selected <= self.labels.keys():
            return super().optgroups(name, value, attr)
        default = (None, [], 0)
        if not self.is_required:
            default[1].append(self.create_option(name, "", "", False, 0))
        for key in selected:
            default[1].append(
                self.create_option(name, key, self.labels[key], selected, len(default[1]))
            )
        return [default]


def preload_autocomplete_labels(formset, field_name):
    """Fill the shared label cache of ``field_name``'s autocomplete for the formset's rows."""
    field = formset.form.base_fields.get(field_name)
    if field is None:
        return
    widget = getattr(field.widget, "widget", field.widget)
    if not isinstance(widget, PreloadedAutocompleteSelect):
        return
    ids = {getattr(obj, f"{field_name}_id") for obj in formset.get_queryset()}
    ids.discard(None)
    if ids:
        for obj in field.queryset.filter(pk__in=ids):
            widget.labels[str(obj.pk)] = field.label_from_instance(obj)


def freeze_choices(formfield):
    """Evaluate a ModelChoiceField's choices once, so each inline row does not query again."""
    if formfield is not None:
        formfield.choices = list(formfield.choices)
    return formfield


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------


class RegionFilter(admin.SimpleListFilter):
    title = _("région")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        return [(r.slug, r.name) for r in Region.objects.all()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(department__region__slug=self.value())
        return queryset


class FamilyFilter(admin.SimpleListFilter):
    title = _("famille")
    parameter_name = "famille"

    def lookups(self, request, model_admin):
        return Family.choices

    def queryset(self, request, queryset):
        if self.value() in Family.values:
            return queryset.filter(families__contains=[self.value()])
        return queryset


class PartnershipKindFilter(admin.SimpleListFilter):
    title = _("nature de partenariat")
    parameter_name = "partenariat"

    def lookups(self, request, model_admin):
        return PartnershipKind.choices

    def queryset(self, request, queryset):
        if self.value() in PartnershipKind.values:
            return queryset.filter(
                Exists(Partnership.objects.filter(place=OuterRef("pk"), kind=self.value()))
            )
        return queryset


class PartnerLevelFilter(admin.SimpleListFilter):
    title = _("niveau du partenaire")
    parameter_name = "niveau"

    def lookups(self, request, model_admin):
        return PartnerLevel.choices

    def queryset(self, request, queryset):
        if self.value() in PartnerLevel.values:
            return queryset.filter(
                Exists(
                    Partnership.objects.filter(place=OuterRef("pk"), partner__level=self.value())
                )
            )
        return queryset


class ActiveTodayFilter(admin.SimpleListFilter):
    title = _("en cours")
    parameter_name = "en_cours"

    def lookups(self, request, model_admin):
        return [("1", _("En cours aujourd'hui")), ("0", _("Terminé ou à venir"))]

    def queryset(self, request, queryset):
        active = Partnership.objects.active()
        if self.value() == "1":
            return queryset.filter(pk__in=active.values("pk"))
        if self.value() == "0":
            return queryset.exclude(pk__in=active.values("pk"))
        return queryset


class AudienceFilter(admin.SimpleListFilter):
    title = _("public")
    parameter_name = "public"

    def lookups(self, request, model_admin):
        return Audience.choices

    def queryset(self, request, queryset):
        if self.value() in Audience.values:
            return queryset.filter(audiences__contains=[self.value()])
        return queryset


# ---------------------------------------------------------------------------------------------
# Territories
# ---------------------------------------------------------------------------------------------


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    readonly_fields = ["code", "slug"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "region"]
    list_filter = ["region"]
    list_select_related = ["region"]
    search_fields = ["name", "code"]
    readonly_fields = ["code", "slug"]


# ---------------------------------------------------------------------------------------------
# Places and their parts
# ---------------------------------------------------------------------------------------------


class SpaceInline(admin.TabularInline):
    model = Space
    formfield_overrides = COMPACT_ROWS
    extra = 0
    fields = ["name", "kind", "surface", "capacity", "bookable", "description"]


class PartnershipFormSet(BaseInlineFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        preload_autocomplete_labels(self, "partner")


class PartnershipInline(admin.TabularInline):
    model = Partnership
    formfield_overrides = COMPACT_ROWS
    formset = PartnershipFormSet
    extra = 0
    fields = ["partner", "kind", "start_date", "end_date", "description", "provenance"]
    autocomplete_fields = ["partner"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "partner":
            kwargs["widget"] = PreloadedAutocompleteSelect(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partner")


class ActivityInline(admin.StackedInline):
    model = Activity
    formfield_overrides = HTTPS_URLS
    extra = 0
    classes = ["collapse"]
    fields = [
        ("title", "kind"),
        "audiences",
        "description",
        ("starts_at", "ends_at"),
        "recurrence",
        "partnership",
        ("is_free", "registration_url"),
        "provenance",
    ]

    def get_formset(self, request, obj=None, **kwargs):
        request._places_admin_place = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "partnership":
            place = getattr(request, "_places_admin_place", None)
            kwargs["queryset"] = (
                Partnership.objects.filter(place=place).select_related("partner")
                if place is not None
                else Partnership.objects.none()
            )
            return freeze_choices(super().formfield_for_foreignkey(db_field, request, **kwargs))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PhotoInline(admin.TabularInline):
    model = Photo
    form = PhotoForm
    extra = 0
    fields = ["thumbnail", "image", "alt_text", "caption", "credit", "order"]
    readonly_fields = ["thumbnail"]

    @admin.display(description=_("aperçu"))
    def thumbnail(self, obj):
        image = obj.card or obj.image
        if not image:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" style="max-height:80px">', image.url, obj.alt_text
        )


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = [
        "name",
        "commune",
        "department",
        "families_display",
        "lifecycle",
        "status",
        "updated_at",
    ]
    list_select_related = ["department"]
    list_filter = [
        RegionFilter,
        "department",
        FamilyFilter,
        PartnershipKindFilter,
        PartnerLevelFilter,
        "lifecycle",
        "status",
    ]
    # The search box searches like the directory (get_search_results): these fields only say
    # what the help text lists.
    search_fields = ["name", "commune", "postcode"]
    search_help_text = _(
        "Mots du nom, de la commune, du territoire, des partenaires… (fautes de frappe "
        "corrigées) ; un nombre cherche les codes postaux."
    )
    autocomplete_fields = ["department"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["region_display", "source_checksum", "created_at", "updated_at"]
    date_hierarchy = "updated_at"
    list_per_page = 50
    inlines = [SpaceInline, PartnershipInline, ActivityInline, PhotoInline]
    actions = ["publish", "unpublish", "archive"]
    fieldsets = [
        (
            _("Identité"),
            {
                "fields": [
                    "name",
                    "slug",
                    "summary",
                    "description",
                    "families",
                    "management_type",
                    ("lifecycle", "opening_date", "closing_date"),
                    "status",
                ]
            },
        ),
        (
            _("Adresse et localisation"),
            {
                "fields": [
                    "street",
                    ("postcode", "commune"),
                    "insee_code",
                    "department",
                    "region_display",
                    ("latitude", "longitude"),
                ]
            },
        ),
        (
            _("Le site"),
            {
                "fields": [
                    ("land_area", "built_area"),
                    "former_use",
                    "open_to_public",
                    "access_notes",
                ]
            },
        ),
        (_("Contact de la structure"), {"fields": ["website", "email", "phone"]}),
        (
            _("Provenance"),
            {
                "fields": [
                    ("source_name", "source_id"),
                    ("source_date", "source_licence"),
                    "source_url",
                    "provenance_note",
                    "last_verified",
                    ("created_at", "updated_at"),
                ]
            },
        ),
    ]

    def get_search_results(self, request, queryset, search_term):
        """The directory's own search (places.search: the full-text index, typos corrected
        against the dictionary), over every place, drafts included; numbers match the start of
        postcodes. One indexed query, and a cheap count, at 100,000 places."""
        words = search.parse(search_term).words
        for number in (word for word in words if word.isdigit()):
            queryset = queryset.filter(postcode__startswith=number)
        text = [word for word in words if not word.isdigit()]
        if text:
            queryset = search.search(queryset, search.plan(text, published=False))
        return queryset, False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "summary":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 3, "cols": 60, "maxlength": 280})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("familles"))
    def families_display(self, obj):
        return ", ".join(obj.family_labels()) or "—"

    @admin.display(description=_("région"))
    def region_display(self, obj):
        return obj.department.region if obj and obj.department_id else "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department__region")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            fields.append("status")
        return fields

    def has_publish_permission(self, request):
        return request.user.has_perm("places.publish_place")

    def _set_status(self, request, queryset, status, message):
        count = queryset.update(status=status, updated_at=timezone.now())
        self.message_user(request, message(count) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Publier les lieux sélectionnés"), permissions=["publish"])
    def publish(self, request, queryset):
        self._set_status(
            request,
            queryset,
            PublicationStatus.PUBLISHED,
            lambda n: ngettext("%(count)d lieu publié.", "%(count)d lieux publiés.", n),
        )

    @admin.action(description=_("Dépublier (repasser en brouillon)"), permissions=["publish"])
    def unpublish(self, request, queryset):
        self._set_status(
            request,
            queryset,
            PublicationStatus.DRAFT,
            lambda n: ngettext("%(count)d lieu dépublié.", "%(count)d lieux dépubliés.", n),
        )

    @admin.action(description=_("Archiver les lieux sélectionnés"), permissions=["publish"])
    def archive(self, request, queryset):
        self._set_status(
            request,
            queryset,
            PublicationStatus.ARCHIVED,
            lambda n: ngettext("%(count)d lieu archivé.", "%(count)d lieux archivés.", n),
        )


# ---------------------------------------------------------------------------------------------
# Partners, partnerships, activities
# ---------------------------------------------------------------------------------------------


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["name", "level", "territory", "place_count"]
    list_filter = ["level", "region", "department"]
    list_select_related = ["department", "region"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["department", "region"]
    fields = ["name", "slug", "level", "region", "department", "website", "places_worked_with"]
    readonly_fields = ["places_worked_with"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(place_count=Count("partnerships__place", distinct=True))
        )

    @admin.display(description=_("territoire"))
    def territory(self, obj):
        return obj.department or obj.region or "—"

    @admin.display(description=_("lieux"), ordering="place_count")
    def place_count(self, obj):
        return obj.place_count

    @admin.display(description=_("lieux avec lesquels il travaille"))
    def places_worked_with(self, obj):
        if not obj or not obj.pk:
            return "—"
        places = (
            Place.objects.filter(partnerships__partner=obj)
            .distinct()
            .order_by("name")
            .values_list("pk", "name", "commune")
        )
        if not places:
            return _("Aucun pour l'instant.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> ({})</li>',
                (
                    (reverse("admin:places_place_change", args=[pk]), name, commune or "—")
                    for pk, name, commune in places
                ),
            ),
        )


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["place", "partner", "kind", "start_date", "end_date", "is_active"]
    list_filter = ["kind", "partner__level", ActiveTodayFilter, "place__department__region"]
    list_select_related = ["place", "partner"]
    search_fields = ["place__name", "partner__name", "description"]
    autocomplete_fields = ["place", "partner"]
    date_hierarchy = "start_date"


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["title", "place", "kind", "starts_at", "recurrence", "is_free"]
    list_filter = ["kind", AudienceFilter, "is_free", "place__department__region"]
    list_select_related = ["place"]
    search_fields = ["title", "place__name", "description"]
    autocomplete_fields = ["place"]
    raw_id_fields = ["partnership"]
