"""Staff admin. Éditeurs add and change; only users with ``places.publish_place`` (Modérateurs)
publish, unpublish, archive or change the publication status; deleting needs the delete permission.

Every changelist and change page runs a bounded number of queries: list_select_related for foreign
keys, and inline select/autocomplete widgets whose labels are loaded once per formset.
"""

import csv
import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper
from simple_history.utils import bulk_update_with_history

from places import duplicates, exchange, hours, search
from places.forms import PhotoForm
from places.history import Source, count_deleted_parts, deleted_places, restore_place
from places.importing import stored_value
from places.models import (
    STALE_AFTER_DAYS,
    Activity,
    Audience,
    Department,
    Family,
    ImportFile,
    Merge,
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
from places.search import refresh_search

STALE_AFTER = datetime.timedelta(days=STALE_AFTER_DAYS)

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


class VerificationFilter(admin.SimpleListFilter):
    title = _("vérification")
    parameter_name = "verification"

    def lookups(self, request, model_admin):
        return [
            ("jamais", _("Jamais vérifiées")),
            ("ancienne", _("Vérifiées il y a plus de 12 mois")),
            ("recente", _("Vérifiées dans les 12 derniers mois")),
        ]

    def queryset(self, request, queryset):
        return queryset.filter(freshness_condition(self.value())) if self.value() else queryset


def freshness_condition(value: str) -> Q:
    limit = timezone.localdate() - STALE_AFTER
    return {
        "jamais": Q(last_verified__isnull=True),
        "ancienne": Q(last_verified__lt=limit),
        "recente": Q(last_verified__gte=limit),
    }.get(value, Q())


# ---------------------------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------------------------


class ReadableChanges(HistoricalRecordContextHelper):
    """Values as people read them: choice labels, « oui »/« non », lists joined, whole texts
    (a summary is read to decide whether to revert it)."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if value in (None, "", []):
            return ""
        if isinstance(value, bool):
            return _("oui") if value else _("non")
        if field.choices:
            labels = dict(field.flatchoices)
            return labels.get(value, value)
        base = getattr(field, "base_field", None)
        if isinstance(value, list):
            labels = dict(base.choices or ()) if base is not None else {}
            return ", ".join(str(labels.get(item, item)) for item in value)
        return super().prepare_delta_change_value(change, value)


class HistoryAdmin(SimpleHistoryAdmin):
    """Every version with who, when, from where (its source) and what changed, field by field;
    a version opens in the change form with a button to revert to it."""

    object_history_list_template = "admin/places/history_list.html"
    # bookkeeping, not information: left out of the diffs
    hidden_in_diff = ("imported_values",)

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChanges(
            self.model, historical_record, max_displayed_delta_change_chars=5_000
        )

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """Each version's changes against the previous version of the same record (a place's
        history also lists the places merged into it)."""
        newer: dict = {}
        for record in historical_records:  # newest first
            if record.id in newer:
                later = newer[record.id]
                delta = later.diff_against(
                    record,
                    excluded_fields=self.hidden_in_diff,
                    foreign_keys_are_objs=foreign_keys_are_objs,
                )
                helper = self.get_historical_record_context_helper(request, later)
                later.history_delta_changes = helper.context_for_delta_changes(delta)
            newer[record.id] = record


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
    show_change_link = True  # the TIG and insertion details are on the partnership's own form

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
        ("rule", "recurrence"),
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


class PlaceAdminForm(forms.ModelForm):
    verify_now = forms.BooleanField(
        label=_("J'ai vérifié ces informations aujourd'hui"),
        required=False,
        help_text=_("Enregistre la date du jour et votre nom comme vérification."),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier CSV"),
        help_text=_(
            "UTF-8, séparé par des virgules ou des points-virgules : le CSV de l'annuaire (son "
            "export) ou le standard des lieux de médiation numérique. 5 Mo au plus."
        ),
    )
    licence = forms.CharField(
        label=_("Licence des données"),
        max_length=200,
        initial="Licence Ouverte 2.0 (Etalab)",
        help_text=_(
            "Celle sous laquelle le fichier est publié : elle est affichée avec les lieux."
        ),
    )
    publish = forms.BooleanField(label=_("Publier les nouveaux lieux"), required=False)

    def __init__(self, *args, can_publish=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_publish:
            del self.fields["publish"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > exchange.MAX_BYTES:
            raise forms.ValidationError(_("Le fichier dépasse 5 Mo : découpez-le."))
        data = upload.read()
        try:
            self.plan = exchange.plan(data)
        except exchange.FileRefused as exc:
            raise forms.ValidationError(str(exc)) from None
        self.content = data.decode("utf-8-sig")
        return upload


@admin.register(Place)
class PlaceAdmin(HistoryAdmin):
    form = PlaceAdminForm
    # not admin/places/place/change_list.html, which every admin site (the bench's stock peer)
    # would pick up, with links to views only this one has
    change_list_template = "admin/places/place/place_change_list.html"
    formfield_overrides = HTTPS_URLS
    list_display = [
        "name",
        "commune",
        "department",
        "families_display",
        "lifecycle",
        "status",
        "last_verified",
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
        VerificationFilter,
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
    readonly_fields = [
        "region_display",
        "opening_hours_preview",
        "field_provenance",
        "last_verified",
        "verified_by",
        "created_at",
        "updated_at",
    ]
    date_hierarchy = "updated_at"
    list_per_page = 50
    inlines = [SpaceInline, PartnershipInline, ActivityInline, PhotoInline]
    actions = ["publish", "unpublish", "archive", "mark_verified", "export_csv"]
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
        (
            _("Horaires et accessibilité"),
            {
                "fields": [
                    "opening_hours",
                    "opening_hours_preview",
                    ("step_free_access", "accessible_toilets", "hearing_loop"),
                    "acceslibre_url",
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
                    "field_provenance",
                    "provenance_note",
                    ("last_verified", "verified_by"),
                    "verify_now",
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
        places = list(queryset)
        now = timezone.now()
        for place in places:
            place.status, place.updated_at = status, now
        self._save_with_history(request, places, ["status", "updated_at"])
        count = len(places)
        self.message_user(request, message(count) % {"count": count}, messages.SUCCESS)

    def _save_with_history(self, request, places, fields):
        """One UPDATE for the selection, and a version of each place saying who."""
        bulk_update_with_history(
            places,
            Place,
            fields,
            batch_size=500,
            default_user=request.user,
            custom_historical_attrs={"history_source": Source.ADMIN},
        )

    @admin.action(
        description=_("Marquer comme vérifiés aujourd'hui (par moi)"), permissions=["publish"]
    )
    def mark_verified(self, request, queryset):
        places = list(queryset)
        today, now = timezone.localdate(), timezone.now()
        for place in places:
            place.last_verified, place.verified_by, place.updated_at = today, request.user, now
        self._save_with_history(request, places, ["last_verified", "verified_by", "updated_at"])
        refresh_search([place.pk for place in places])  # verification counts in the ranking
        count = len(places)
        self.message_user(
            request,
            ngettext("%(count)d lieu marqué vérifié.", "%(count)d lieux marqués vérifiés.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_publish_permission(request):
            return fieldsets
        return [
            (title, {**options, "fields": [f for f in options["fields"] if f != "verify_now"]})
            for title, options in fieldsets
        ]

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("verify_now") and self.has_publish_permission(request):
            obj.last_verified, obj.verified_by = timezone.localdate(), request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("aperçu des horaires (cette semaine)"))
    def opening_hours_preview(self, obj):
        """The saved hours as the place's page shows them: a readable check of the syntax."""
        if not obj or not obj.opening_hours:
            return _("Aucun horaire enregistré.")
        return render_to_string(
            "includes/opening_hours.html",
            {"week": hours.week(obj.opening_hours, timezone.localdate())},
        )

    @admin.display(description=_("provenance des champs importés"))
    def field_provenance(self, obj):
        """For each field an import wrote: the import's value still, or a person's change."""
        if not obj or not obj.imported_values:
            return _("Aucun champ importé : tout a été saisi à la main.")
        rows = []
        for name, imported in obj.imported_values.items():
            field = Place._meta.get_field(name)
            if stored_value(getattr(obj, field.attname)) == imported:
                origin = _("import (%(source)s)") % {"source": obj.source_name}
            else:
                origin = _("modifié depuis par une personne : un import ne le remplace pas")
            rows.append((field.verbose_name, origin))
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} : {}</li>", rows))

    # History, deleted places, duplicates and freshness
    # -----------------------------------------------------------------------------------------

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        """A place's versions, and those of the places merged into it."""
        merged = Merge.objects.filter(kept_id=object_id, undone_at__isnull=True)
        ids = [object_id, *merged.values_list("merged_id", flat=True)]
        return (
            history_manager.filter(id__in=ids)
            .select_related("history_user")
            ._select_related_history_tracked_objs()
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "can_restore": self.has_delete_permission(request),
            "can_import": self.has_import_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("supprimes/", view(self.deleted_view), name="places_place_deleted"),
            path(
                "supprimes/<int:history_id>/restaurer/",
                view(require_POST(self.restore_view)),
                name="places_place_restore",
            ),
            path("doublons/", view(self.duplicates_view), name="places_place_duplicates"),
            path(
                "doublons/<int:first>/<int:second>/",
                view(self.merge_view),
                name="places_place_merge",
            ),
            path(
                "fusions/<int:pk>/annuler/",
                view(require_POST(self.undo_merge_view)),
                name="places_place_undo_merge",
            ),
            path("fraicheur/", view(self.freshness_view), name="places_place_freshness"),
            path("importer/", view(self.import_view), name="places_place_import"),
            path(
                "importer/<int:pk>/",
                view(self.import_preview_view),
                name="places_place_import_preview",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **extra,
        }

    def deleted_view(self, request):
        if not self.has_delete_permission(request):
            raise PermissionDenied
        deletions = list(deleted_places()[:200])
        count_deleted_parts(deletions)
        return TemplateResponse(
            request,
            "admin/places/place/deleted.html",
            self._context(request, _("Lieux supprimés"), deletions=deletions),
        )

    def restore_view(self, request, history_id):
        if not self.has_delete_permission(request):
            raise PermissionDenied
        deletion = get_object_or_404(deleted_places(), history_id=history_id)
        place = restore_place(deletion, request.user)
        self.message_user(
            request,
            _("« %(name)s » est restauré, avec ses espaces, partenariats, activités et photos.")
            % {"name": place.name},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:places_place_change", args=[place.pk]))

    def has_merge_permission(self, request):
        return self.has_change_permission(request) and self.has_delete_permission(request)

    def duplicates_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        pairs = duplicates.find_pairs(limit=200)
        return TemplateResponse(
            request,
            "admin/places/place/duplicates.html",
            self._context(
                request,
                _("Doublons probables"),
                pairs=pairs,
                can_merge=self.has_merge_permission(request),
                merges=Merge.objects.select_related("kept", "merged_by")[:20],
            ),
        )

    def merge_view(self, request, first, second):
        """Confirm a merge (choose the place kept), say "not a duplicate", or undo a merge."""
        if not self.has_merge_permission(request):
            raise PermissionDenied
        places = Place.objects.select_related("department").in_bulk([first, second])
        if len(places) != 2:
            self.message_user(request, _("L'un des deux lieux n'existe plus."), messages.WARNING)
            return HttpResponseRedirect(reverse("admin:places_place_duplicates"))
        pair = [places[first], places[second]]
        if request.method == "POST":
            if "not_duplicate" in request.POST:
                duplicates.not_duplicate(*pair, user=request.user)
                self.message_user(
                    request, _("Ces deux lieux ne seront plus proposés."), messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:places_place_duplicates"))
            kept_id = request.POST.get("kept")
            if kept_id in (str(first), str(second)):
                kept = places[int(kept_id)]
                other = pair[1] if kept is pair[0] else pair[0]
                duplicates.merge(kept, other, user=request.user)
                self.message_user(
                    request,
                    _("« %(other)s » est fusionné dans « %(kept)s » ; son adresse y redirige.")
                    % {"other": other.name, "kept": kept.name},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:places_place_change", args=[kept.pk]))
            self.message_user(request, _("Choisissez le lieu à conserver."), messages.ERROR)
        fields = [
            (field.verbose_name, [getattr(place, field.name) or "" for place in pair])
            for field in Place._meta.concrete_fields
            if field.editable and field.name not in ("slug",)
        ]
        return TemplateResponse(
            request,
            "admin/places/place/merge.html",
            self._context(
                request,
                _("Fusionner deux fiches"),
                pair=pair,
                fields=fields,
                parts=[
                    {
                        name: getattr(place, name).count()
                        for name in ("spaces", "partnerships", "activities", "photos")
                    }
                    for place in pair
                ],
            ),
        )

    def undo_merge_view(self, request, pk):
        if not self.has_merge_permission(request):
            raise PermissionDenied
        record = get_object_or_404(Merge, pk=pk, undone_at__isnull=True)
        place = duplicates.undo_merge(record, user=request.user)
        self.message_user(
            request,
            _("La fusion est annulée : « %(name)s » est rétabli.") % {"name": place.name},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:places_place_change", args=[place.pk]))

    @admin.action(description=_("Exporter en CSV (format de l'annuaire, réimportable)"))
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="lieux-annuaire.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerows(exchange.export_rows(queryset, request.build_absolute_uri))
        return response

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def import_view(self, request):
        """Upload a file: it is checked and planned, then previewed (nothing written yet)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        can_publish = self.has_publish_permission(request)
        form = ImportForm(request.POST or None, request.FILES or None, can_publish=can_publish)
        if request.method == "POST" and form.is_valid():
            staged = ImportFile.objects.create(
                filename=form.cleaned_data["file"].name[:255],
                file_format=form.plan.file_format.key,
                licence=form.cleaned_data["licence"],
                publish=form.cleaned_data.get("publish", False),
                content=form.content,
                uploaded_by=request.user,
            )
            return HttpResponseRedirect(
                reverse("admin:places_place_import_preview", args=[staged.pk])
            )
        return TemplateResponse(
            request,
            "admin/places/place/import.html",
            self._context(
                request,
                _("Importer des lieux"),
                form=form,
                imports=ImportFile.objects.select_related("uploaded_by")[:10],
            ),
        )

    def import_preview_view(self, request, pk):
        """What the file would do, row by row; confirmed, it is applied (all or nothing)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        staged = get_object_or_404(ImportFile, pk=pk)
        if request.method == "POST" and staged.applied_at is None:
            if staged.publish and not self.has_publish_permission(request):
                staged.publish = False  # only a moderator's confirmation publishes
            result = exchange.apply(staged, request.user)
            self.message_user(
                request,
                _(
                    "Import terminé : %(new)d nouveaux, %(changed)d modifiés, %(unchanged)d "
                    "inchangés, %(refused)d refusés."
                )
                % result.counts,
                messages.SUCCESS,
            )
            return HttpResponseRedirect(request.path)
        try:
            plan = exchange.plan(staged.content.encode())
        except exchange.FileRefused as exc:  # cannot happen for a stored file, unless edited
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:places_place_import"))
        return TemplateResponse(
            request,
            "admin/places/place/import_preview.html",
            self._context(
                request,
                _("Aperçu de l'import"),
                staged=staged,
                plan=plan,
                fates=exchange.FATES,
            ),
        )

    def freshness_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        limit = timezone.localdate() - STALE_AFTER
        regions = Region.objects.annotate(
            total=Count("departments__places"),
            never=Count(
                "departments__places", filter=Q(departments__places__last_verified__isnull=True)
            ),
            stale=Count(
                "departments__places", filter=Q(departments__places__last_verified__lt=limit)
            ),
        ).order_by("name")
        changelist = reverse("admin:places_place_changelist")
        return TemplateResponse(
            request,
            "admin/places/place/freshness.html",
            self._context(
                request,
                _("Fraîcheur des informations"),
                regions=regions,
                changelist=changelist,
                totals={
                    key: sum(getattr(region, key) for region in regions)
                    for key in ("total", "never", "stale")
                },
            ),
        )

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
class PartnerAdmin(HistoryAdmin):
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
class PartnershipAdmin(HistoryAdmin):
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "place",
                    "partner",
                    "kind",
                    ("start_date", "end_date"),
                    "description",
                    "provenance",
                ]
            },
        ),
        (
            _("Travail d'intérêt général (TIG)"),
            {
                "fields": [("posts", "minors_accepted"), "tasks", "supervision"],
                "description": _("Pour un partenariat TIG : ce qu'un SPIP doit savoir."),
            },
        ),
        (
            _("Insertion"),
            {
                "fields": ["audiences_received", "programme"],
                "description": _("Pour un partenariat d'insertion."),
            },
        ),
        (_("Contact"), {"fields": ["service_contact"]}),
    ]
    list_display = ["place", "partner", "kind", "start_date", "end_date", "is_active"]
    list_filter = ["kind", "partner__level", ActiveTodayFilter, "place__department__region"]
    list_select_related = ["place", "partner"]
    search_fields = ["place__name", "partner__name", "description"]
    autocomplete_fields = ["place", "partner"]
    date_hierarchy = "start_date"


@admin.register(Activity)
class ActivityAdmin(HistoryAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["title", "place", "kind", "starts_at", "recurrence", "is_free"]
    list_filter = ["kind", AudienceFilter, "is_free", "place__department__region"]
    list_select_related = ["place"]
    search_fields = ["title", "place__name", "description"]
    autocomplete_fields = ["place"]
    raw_id_fields = ["partnership"]
