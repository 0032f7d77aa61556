"""The directory's data: territories, places and their parts, public partners and partnerships.

Vocabulary keys are the stable ASCII slugs of docs/domain vocabularies (they appear in URLs and
exports); labels are French through gettext so that English can be complete.
"""

import datetime
import re

from dateutil.rrule import rrulestr
from django import forms
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from opening_hours import OpeningHours, ParserError

from places.history import tracked

DEPARTMENT_CODE_RE = r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])$"
INSEE_COMMUNE_RE = r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B)[0-9]{3}$|^97[1-6][0-9]{2}$"
POSTCODE_RE = r"^[0-9]{5}$"
# Information verified longer ago than this is stale (the admin's freshness dashboard).
STALE_AFTER_DAYS = 365


class ChoiceArrayField(ArrayField):
    """An ArrayField of choices edited as checkboxes (the stock widget is a comma-separated text
    box)."""

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.TypedMultipleChoiceField,
            "choices": self.base_field.choices,
            "coerce": self.base_field.to_python,
            "widget": forms.CheckboxSelectMultiple,
        }
        defaults.update(kwargs)
        # Skip ArrayField.formfield, which would force SimpleArrayField.
        return super(ArrayField, self).formfield(**defaults)


# ---------------------------------------------------------------------------------------------
# Vocabularies
# ---------------------------------------------------------------------------------------------


class Family(models.TextChoices):
    COWORKING = "coworking", _("Coworking")
    FABLAB = "fablab", _("Fablab / atelier de fabrication numérique")
    ATELIERS_ARTISANAUX = "ateliers-artisanaux", _("Ateliers partagés / artisanaux")
    FOODLAB = "foodlab", _("Foodlab")
    LIVINGLAB = "livinglab", _("Living lab")
    NOURRICIER = "nourricier", _("Tiers-lieu nourricier / agricole")
    CULTUREL = "culturel", _("Tiers-lieu culturel")
    AUTRE = "autre", _("Autre")


class ManagementType(models.TextChoices):
    ASSOCIATION = "association", _("Association")
    COLLECTIF_CITOYEN = "collectif-citoyen", _("Collectif citoyen")
    SCIC = "scic", _("SCIC")
    SCOP = "scop", _("SCOP")
    SARL_SA_SAS = "sarl-sa-sas", _("SARL, SA, SAS")
    COLLECTIVITE = "collectivite", _("Collectivité")
    UNIVERSITE = "universite", _("Université")
    ETABLISSEMENT_SCOLAIRE = "etablissement-scolaire", _("Établissement scolaire")
    AUTRE = "autre", _("Autre")


class Lifecycle(models.TextChoices):
    PROJET = "projet", _("En projet")
    OUVERT = "ouvert", _("Ouvert")
    FERME = "ferme", _("Fermé")


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publié")
    ARCHIVED = "archived", _("Archivé")


class SpaceKind(models.TextChoices):
    EVENEMENTIEL = "evenementiel", _("Événementiel")
    RESTAURATION = "restauration", _("Restauration")
    MICRO_FOLIE = "micro-folie", _("Micro-Folie")
    CREATION_ARTISTIQUE = "creation-artistique", _("Espace de création artistique")
    ATELIER = "atelier", _("Atelier")
    FABLAB = "fablab", _("Fablab")
    COWORKING = "coworking", _("Bureaux partagés / coworking")
    SALLE_REUNION = "salle-reunion", _("Salle de réunion")
    EXTERIEUR = "exterieur", _("Espace extérieur / jardin")
    HEBERGEMENT = "hebergement", _("Hébergement")
    BOUTIQUE = "boutique", _("Boutique")
    AUTRE = "autre", _("Autre")


class PartnerLevel(models.TextChoices):
    ETAT = "etat", _("État (ministère, préfecture)")
    OPERATEUR = "operateur", _("Opérateur public national")
    JUSTICE = "justice", _("Justice (SPIP, PJJ, tribunal)")
    REGION = "region", _("Région")
    DEPARTEMENT = "departement", _("Département")
    INTERCOMMUNALITE = "intercommunalite", _("Intercommunalité")
    COMMUNE = "commune", _("Commune")
    AUTRE_PUBLIC = "autre-public", _("Autre organisme public")


class PartnershipKind(models.TextChoices):
    INSERTION = "insertion", _("Insertion et emploi")
    TIG = "tig", _("Travail d'intérêt général (TIG)")
    JUSTICE = "justice", _("Justice, autres mesures")
    FORMATION = "formation", _("Formation")
    SERVICES_PUBLICS = "services-publics", _("Services publics (France Services, permanences)")
    CULTURE = "culture", _("Culture (Micro-Folie, résidences)")
    FINANCEMENT = "financement", _("Financement / subvention")
    LABEL = "label", _("Label ou programme national")
    LOCAUX = "locaux", _("Mise à disposition de locaux ou de foncier")
    COMMANDE_PUBLIQUE = "commande-publique", _("Commande publique")
    AUTRE = "autre", _("Autre")


class ActivityKind(models.TextChoices):
    EVENEMENT = "evenement", _("Événement")
    ATELIER = "atelier", _("Atelier")
    FORMATION = "formation", _("Formation")
    PERMANENCE = "permanence", _("Permanence de service public")
    ACCOMPAGNEMENT = "accompagnement", _("Accompagnement (programme d'insertion)")
    CHANTIER = "chantier", _("Chantier d'insertion")
    RESIDENCE = "residence", _("Résidence artistique")
    MARCHE = "marche", _("Marché")
    AUTRE = "autre", _("Autre")


class Audience(models.TextChoices):
    """The data·inclusion "publics" vocabulary, keys unchanged."""

    TOUS_PUBLICS = "tous-publics", _("Tous publics")
    JEUNES = "jeunes", _("Jeunes")
    ETUDIANTS = "etudiants", _("Étudiants")
    # The same word titles the kinds of place: the context keeps the two apart.
    FAMILLES = "familles", pgettext_lazy("audience", "Familles")
    SENIORS = "seniors", _("Seniors")
    FEMMES = "femmes", _("Femmes")
    DEMANDEURS_EMPLOI = "demandeurs-emploi", _("Demandeurs d'emploi")
    ACTIFS = "actifs", _("Actifs")
    MINIMAS_SOCIAUX = "beneficiaires-des-minimas-sociaux", _("Bénéficiaires des minimas sociaux")
    HANDICAP = "personnes-en-situation-de-handicap", _("Personnes en situation de handicap")
    JURIDIQUE = (
        "personnes-en-situation-juridique-specifique",
        _("Personnes en situation juridique spécifique"),
    )
    EXILEES = "personnes-exilees", _("Personnes exilées")
    QPV_FRR = "residents-qpv-frr", _("Résidents QPV ou FRR")


def choice_labels(choices: type[models.TextChoices], keys: list[str]) -> list[str]:
    """Labels of an array of choice keys, in the active language (unknown keys as they are)."""
    # each key's own member, rather than the whole list of choices with every label translated
    labels = []
    for key in keys:
        try:
            labels.append(str(choices(key).label))
        except ValueError:
            labels.append(key)
    return labels


# ---------------------------------------------------------------------------------------------
# Territories
# ---------------------------------------------------------------------------------------------


# Database constraints with a message a person understands, on the field it is about
# ---------------------------------------------------------------------------------------------
# Django reports a failed CheckConstraint above the form by default, naming the constraint
# (« La contrainte « place_postcode_format » n'est pas respectée »). Each constraint here has
# its own message, and ``ConstraintMessages`` moves it onto its field, in the admin and in any
# ModelForm alike.

CONSTRAINT_FIELDS: dict[str, str] = {}
AREA_MESSAGE = _("Indiquez une surface en mètres carrés supérieure à zéro, ou laissez vide.")
CAPACITY_MESSAGE = _("Indiquez un nombre de personnes supérieur à zéro, ou laissez vide.")


def check(condition, name: str, field: str, message) -> models.CheckConstraint:
    """A CheckConstraint whose failure reads ``message`` on ``field``."""
    CONSTRAINT_FIELDS[name] = field
    return models.CheckConstraint(
        condition=condition, name=name, violation_error_code=name, violation_error_message=message
    )


class CannotEvaluate(Exception):
    """A condition uses a lookup ``condition_holds`` does not know: ask the database."""


_COMPARE = {
    "exact": lambda a, b: a == b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "regex": lambda a, b: re.search(b, a) is not None,
}


def condition_holds(condition, values: dict) -> bool | None:
    """A check constraint's condition evaluated on ``values`` (field name → value) in Python,
    with SQL's three-valued logic: True, False, or None (unknown: a CHECK passes). Saves the
    query per constraint that ``validate_constraints`` makes, when thousands of rows are checked
    (places.exchange). Raises CannotEvaluate for a lookup it does not know."""
    if isinstance(condition, Q):
        results = [condition_holds(child, values) for child in condition.children]
        if condition.connector == Q.OR:
            result = True if True in results else (None if None in results else False)
        else:
            result = False if False in results else (None if None in results else True)
        return result if result is None or not condition.negated else not result
    name, expected = condition
    field, _sep, lookup = name.partition("__")
    lookup = lookup or "exact"
    if field not in values or (lookup not in _COMPARE and lookup != "isnull"):
        raise CannotEvaluate(name)
    value = values[field]
    if lookup == "isnull":
        return (value is None) == expected
    if isinstance(expected, F):
        if expected.name not in values:
            raise CannotEvaluate(name)
        expected = values[expected.name]
    if value is None or expected is None:
        return None
    return _COMPARE[lookup](value, expected)


class ConstraintMessages(models.Model):
    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            moved: dict[str, list] = {}
            for field, errors in error.error_dict.items():
                for item in errors:
                    target = CONSTRAINT_FIELDS.get(item.code, field)
                    moved.setdefault(target, []).append(item)
            raise ValidationError(moved) from None


class PositiveCountField(models.PositiveIntegerField):
    """A count or an area that is either unknown or above zero: negative and zero values get the
    same message, in forms (before the database is asked) and in the model's validation."""

    def __init__(self, *args, message=AREA_MESSAGE, **kwargs):
        self.message = message
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, "django.db.models.PositiveIntegerField", args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(
            **{"min_value": 1, "error_messages": {"min_value": self.message}, **kwargs}
        )


class Region(ConstraintMessages):
    code = models.CharField(_("code INSEE"), max_length=2, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("région")
        verbose_name_plural = _("régions")
        constraints = [
            check(
                Q(code__regex=r"^[0-9]{2}$"),
                "region_code_insee",
                "code",
                _("Le code INSEE d'une région a deux chiffres (28 pour la Normandie)."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("places:region", kwargs={"slug": self.slug})


class Department(ConstraintMessages):
    code = models.CharField(_("code INSEE"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="departments", verbose_name=_("région")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("département")
        verbose_name_plural = _("départements")
        constraints = [
            check(
                Q(code__regex=DEPARTMENT_CODE_RE),
                "department_code_insee",
                "code",
                _("Code de département inconnu : deux chiffres, 2A, 2B ou 971 à 976."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def get_absolute_url(self):
        return reverse("places:department", kwargs={"code": self.code})


# ---------------------------------------------------------------------------------------------
# Places
# ---------------------------------------------------------------------------------------------


def validate_opening_hours(value: str):
    """Opening hours the OpenStreetMap syntax reads (the ``opening-hours-py`` parser)."""
    try:
        OpeningHours(value)
    except ParserError as error:
        where = str(error).strip().splitlines()
        raise ValidationError(
            _(
                "Horaires illisibles (syntaxe OpenStreetMap attendue, par exemple « Mo-Fr "
                "09:00-18:00; Sa 10:00-13:00 ») : %(detail)s"
            ),
            params={"detail": " ".join(line.strip() for line in where[1:4]) or where[0]},
        ) from None


def validate_acceslibre_url(value: str):
    if not re.match(r"^https://(www\.)?acceslibre\.beta\.gouv\.fr/", value):
        raise ValidationError(
            _("Une adresse de fiche acceslibre commence par https://acceslibre.beta.gouv.fr/.")
        )


def validate_rule(value: str):
    """A repetition rule python-dateutil reads, by the day, week, month or year."""
    try:
        rrulestr(f"RRULE:{value}", dtstart=datetime.datetime(2026, 1, 5))
    except (ValueError, TypeError) as error:
        raise ValidationError(
            _("Règle illisible (%(error)s) : par exemple « FREQ=WEEKLY;BYDAY=TU »."),
            params={"error": error},
        ) from None
    frequency = re.search(r"(?:^|;)FREQ=(\w+)", value.upper())
    if not frequency or frequency[1] not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
        raise ValidationError(_("Une activité revient par jour, semaine, mois ou année."))


# The fields a card shows (PlaceQuerySet.for_cards)
CARD_FIELDS = [
    "name",
    "slug",
    "commune",
    "families",
    "lifecycle",
    "summary",
    "department__name",
    "department__region__name",
    "latitude",
    "longitude",
]


# A card's first photo, and the kinds of its partnerships running on a day, as correlated
# subqueries of a page of places. In SQL: as ORM expressions (JSONObject in a Subquery and an
# ArraySubquery) they took longer to build and compile at every request (2 ms) than PostgreSQL
# takes to read a page of cards.
CARD_PHOTO_SQL = """
SELECT jsonb_build_object('card', ph.card, 'alt_text', ph.alt_text,
                          'width', ph.width, 'height', ph.height)
  FROM {photo} ph WHERE ph.place_id = {place}.id
 ORDER BY ph."order", ph.id LIMIT 1
"""


def running_sql(alias: str, day: str) -> str:
    """``PartnershipQuerySet.active`` in SQL, for the queries written by hand (the cards, the
    facet index) over the partnerships aliased ``alias``: ``day`` is the day's placeholder,
    used twice."""
    return (
        f"{alias}.start_date <= {day} AND ({alias}.end_date IS NULL OR {alias}.end_date >= {day})"
    )


RUNNING_PARTNERSHIPS_SQL = f"""
ARRAY(SELECT jsonb_build_object('kind', ps.kind, 'provenance', ps.provenance)
        FROM {{partnership}} ps
       WHERE ps.place_id = {{place}}.id AND {running_sql("ps", "%s")}
       ORDER BY ps.kind, ps.id)
"""


class PlaceQuerySet(models.QuerySet):
    def published(self) -> "PlaceQuerySet":
        return self.filter(status=PublicationStatus.PUBLISHED)

    def in_region(self, region: Region) -> "PlaceQuerySet":
        return self.filter(department__region=region)

    def in_department(self, department: Department) -> "PlaceQuerySet":
        return self.filter(department=department)

    def with_territory(self) -> "PlaceQuerySet":
        return self.select_related("department__region")

    def for_cards(self) -> "PlaceQuerySet":
        """What a card shows (``place_cards`` in places/templatetags/directory.py), never the
        search columns: its territory, its first photo (``card_photo_data``) and the kinds of
        its partnerships running today (``running_partnerships``), read in the same query as
        the places by two correlated subqueries over a page of rows: one round trip, no
        prefetch machinery."""
        tables = {
            "place": self.model._meta.db_table,
            "photo": Photo._meta.db_table,
            "partnership": Partnership._meta.db_table,
        }
        today = timezone.localdate()
        return (
            self.with_territory()
            .only(*CARD_FIELDS)
            .annotate(
                card_photo_data=RawSQL(
                    CARD_PHOTO_SQL.format(**tables), (), output_field=models.JSONField()
                ),
                running_partnerships=RawSQL(
                    RUNNING_PARTNERSHIPS_SQL.format(**tables),
                    (today, today),
                    output_field=ArrayField(models.JSONField()),
                ),
            )
        )

    def with_parts(self) -> "PlaceQuerySet":
        """The public record of each place, as the exports and the API give it: territory, and
        spaces, partnerships (with their partner) and activities as plain lists (``space_list``,
        ``partnership_list``, ``activity_list``), in six queries whatever the number of places.

        Built for thousands of places a second: lists rather than prefetched managers (a
        prefetched manager builds a queryset per place); the département, région and partner
        fetched once each, shared by their places, rather than joined to every row; the search
        columns and the import bookkeeping, most of a row, not read."""
        return self.defer(*self.model.INTERNAL_COLUMNS).prefetch_related(
            "department__region",
            models.Prefetch("spaces", to_attr="space_list"),
            models.Prefetch("partnerships", to_attr="partnership_list"),
            "partnership_list__partner",
            models.Prefetch("activities", to_attr="activity_list"),
        )


class Commune(models.Model):
    """A French commune (INSEE Code officiel géographique 2026), loaded from
    ``data/communes-2026.csv`` by ``manage.py load_communes``: names, postcodes, the
    intercommunalité (EPCI), population, and the town centre for the 8,102 communes the file
    locates. Reference data for contributions, "near a commune" and coverage statistics."""

    insee = models.CharField(_("code INSEE"), max_length=5, primary_key=True)
    name = models.CharField(_("nom"), max_length=100)
    # Lower case, accents and punctuation removed: what the autocomplete matches (prefix index).
    search_name = models.CharField(max_length=100, editable=False)
    department_code = models.CharField(_("code du département"), max_length=3)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communes",
        verbose_name=_("département"),
        help_text=_("Vide pour les collectivités d'outre-mer hors départements."),
    )
    epci_siren = models.CharField(_("SIREN de l'intercommunalité"), max_length=9, blank=True)
    epci_name = models.CharField(_("intercommunalité"), max_length=200, blank=True)
    postcodes = ArrayField(models.CharField(max_length=5), verbose_name=_("codes postaux"))
    population = models.PositiveIntegerField(_("population municipale"), default=0)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        indexes = [
            models.Index(
                fields=["search_name"],
                name="commune_search_name_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            GinIndex(fields=["postcodes"], name="commune_postcodes_gin"),
            models.Index(fields=["epci_siren"], name="commune_epci_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.department_code})"


class Place(ConstraintMessages):
    # Identity
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=220,
        unique=True,
        blank=True,
        help_text=_(
            "Adresse de la page du lieu, créée à partir du nom si vide. Stable : ne pas la "
            "changer une fois publiée."
        ),
    )
    summary = models.CharField(_("résumé"), max_length=280, blank=True)
    description = models.TextField(_("description"), blank=True)
    families = ChoiceArrayField(
        models.CharField(max_length=30, choices=Family.choices),
        verbose_name=_("familles"),
        default=list,
        blank=True,
        help_text=_("Typologie nationale de France Tiers-Lieux ; plusieurs possibles."),
    )
    management_type = models.CharField(
        _("type de gestion"), max_length=30, choices=ManagementType.choices, blank=True
    )
    lifecycle = models.CharField(
        _("cycle de vie"),
        max_length=10,
        choices=Lifecycle.choices,
        blank=True,
        help_text=_("Laisser vide quand la source ne le dit pas."),
    )
    opening_date = models.DateField(_("date d'ouverture"), null=True, blank=True)
    closing_date = models.DateField(_("date de fermeture"), null=True, blank=True)
    status = models.CharField(
        _("publication"),
        max_length=10,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
    )

    # Address and location
    street = models.CharField(_("adresse"), max_length=255, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    commune = models.CharField(_("commune"), max_length=150, blank=True)
    insee_code = models.CharField(_("code INSEE de la commune"), max_length=5, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="places", verbose_name=_("département")
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )

    # The site
    land_area = PositiveCountField(_("surface du terrain (m²)"), null=True, blank=True)
    built_area = PositiveCountField(_("surface bâtie (m²)"), null=True, blank=True)
    former_use = models.TextField(_("usage antérieur / histoire du site"), blank=True)
    open_to_public = models.BooleanField(
        _("ouvert au public"), null=True, blank=True, help_text=_("Vide : non renseigné.")
    )
    access_notes = models.TextField(_("conditions d'accès"), blank=True)
    # Opening hours in the OpenStreetMap syntax, the médiation numérique standard's format
    opening_hours = models.CharField(
        _("horaires d'ouverture"),
        max_length=255,
        blank=True,
        validators=[validate_opening_hours],
        help_text=_(
            "Syntaxe OpenStreetMap, par exemple « Mo-Fr 09:00-12:00,14:00-18:00; Sa 10:00-13:00; "
            "PH off » (jours : Mo Tu We Th Fr Sa Su ; PH : jours fériés)."
        ),
    )
    # Accessibility: yes / no / not said
    step_free_access = models.BooleanField(
        _("accessible en fauteuil roulant"),
        null=True,
        blank=True,
        help_text=_("Entrée de plain-pied ou rampe, circulation possible. Vide : non renseigné."),
    )
    accessible_toilets = models.BooleanField(
        _("toilettes adaptées"), null=True, blank=True, help_text=_("Vide : non renseigné.")
    )
    hearing_loop = models.BooleanField(
        _("boucle à induction magnétique"),
        null=True,
        blank=True,
        help_text=_("Pour les personnes malentendantes appareillées. Vide : non renseigné."),
    )
    acceslibre_url = models.URLField(
        _("fiche acceslibre"),
        max_length=300,
        blank=True,
        validators=[validate_acceslibre_url],
        help_text=_("L'adresse de la fiche du lieu sur acceslibre.beta.gouv.fr, si elle existe."),
    )

    # Contact (the organisation's, never a person's)
    website = models.URLField(_("site web"), max_length=500, blank=True)
    email = models.EmailField(
        _("e-mail de la structure"),
        blank=True,
        help_text=_("Adresse générique de la structure, jamais celle d'une personne."),
    )
    phone = models.CharField(_("téléphone de la structure"), max_length=30, blank=True)

    # Provenance
    source_name = models.CharField(_("source"), max_length=200, blank=True)
    source_id = models.CharField(_("identifiant dans la source"), max_length=50, blank=True)
    source_date = models.DateField(_("date de la source"), null=True, blank=True)
    source_licence = models.CharField(_("licence"), max_length=200, blank=True)
    source_url = models.URLField(_("adresse de la source"), max_length=500, blank=True)
    source_checksum = models.CharField(max_length=64, blank=True, editable=False)
    provenance_note = models.TextField(
        _("autres sources"),
        blank=True,
        help_text=_("Sources des informations ajoutées à la main (article, site officiel…)."),
    )
    last_verified = models.DateField(_("vérifié le"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vérifié par"),
    )
    # What each imported field held when an import last wrote it (field → value as JSON): a
    # field whose value differs since was changed by a person, and no import overwrites it.
    imported_values = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    # Search columns, computed from the place and its parts by places.search.refresh_search
    search_vector = SearchVectorField(null=True, editable=False)
    search_text = models.TextField(blank=True, default="", editable=False)
    # How useful the record is (website, contact and verification count double; summary,
    # description, street, site, photos once): among equally relevant results, the most useful
    # come first.
    search_quality = models.PositiveSmallIntegerField(default=0, editable=False)
    # "|name|commune|", unaccented, lower-case, punctuation as spaces: a query that is exactly a
    # place's name or commune ranks it first ("saint etienne" before Saint-Étienne-de-Montluc).
    search_key = models.TextField(blank=True, default="", editable=False)

    # Kept for the directory's own use, never published (PlaceQuerySet.with_parts skips them)
    INTERNAL_COLUMNS = (
        "search_vector",
        "search_text",
        "search_quality",
        "search_key",
        "source_checksum",
        "imported_values",
    )

    objects = PlaceQuerySet.as_manager()
    # Set on the places of a page when they have one (the distance from the commune asked for,
    # the search's highlighted excerpt), read by the cards: None and "" otherwise, so that a
    # template reading them does not fail a lookup (which costs a dir() of the whole model).
    distance_km = None
    snippet = ""
    history = tracked(
        excluded_fields=[
            "search_vector",
            "search_text",
            "search_quality",
            "search_key",
            "source_checksum",
            "updated_at",
        ]
    )

    class Meta:
        ordering = ["name", "commune"]
        verbose_name = _("lieu")
        verbose_name_plural = _("lieux")
        permissions = [("publish_place", _("Peut publier, dépublier et archiver un lieu"))]
        constraints = [
            models.UniqueConstraint(
                fields=["source_name", "source_id"],
                condition=~Q(source_id=""),
                name="place_unique_source_record",
            ),
            check(
                Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                "place_coordinates_in_range",
                "latitude",
                _(
                    "Indiquez la latitude (entre -90 et 90) et la longitude (entre -180 et 180) "
                    "ensemble, ou aucune des deux."
                ),
            ),
            check(
                Q(land_area__isnull=True) | Q(land_area__gt=0),
                "place_land_area_positive",
                "land_area",
                AREA_MESSAGE,
            ),
            check(
                Q(built_area__isnull=True) | Q(built_area__gt=0),
                "place_built_area_positive",
                "built_area",
                AREA_MESSAGE,
            ),
            check(
                Q(postcode="") | Q(postcode__regex=POSTCODE_RE),
                "place_postcode_format",
                "postcode",
                _("Un code postal a cinq chiffres (14460), ou laissez vide."),
            ),
            check(
                Q(insee_code="") | Q(insee_code__regex=INSEE_COMMUNE_RE),
                "place_insee_code_format",
                "insee_code",
                _("Code INSEE de commune : 5 caractères (14167, 2A004, 97411), ou vide."),
            ),
            check(
                Q(closing_date__isnull=True)
                | Q(opening_date__isnull=True)
                | Q(closing_date__gte=F("opening_date")),
                "place_closing_after_opening",
                "closing_date",
                _("La date de fermeture ne peut pas précéder la date d'ouverture."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "name"], name="place_status_name_idx"),
            models.Index(fields=["department", "status"], name="place_department_status_idx"),
            models.Index(fields=["-updated_at"], name="place_updated_idx"),
            models.Index(fields=["lifecycle"], name="place_lifecycle_idx"),
            models.Index(fields=["postcode"], name="place_postcode_idx"),
            # near a commune: the bounding box before any distance (places.near)
            models.Index(fields=["latitude", "longitude"], name="place_coordinates_idx"),
            GinIndex(fields=["families"], name="place_families_gin"),
            GinIndex(fields=["search_vector"], name="place_search_vector_gin"),
            # the statistics (places.statistics): every figure of a scope counted from this
            # index alone, never the wide rows (an index-only scan, a fifth of the time)
            models.Index(
                fields=["status", "department", "insee_code", "source_name"],
                include=["id", "management_type", "lifecycle", "last_verified", "families"],
                name="place_statistics_idx",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.commune})" if self.commune else self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            others = Place.objects.exclude(pk=self.pk)
            self.slug = self.unique_slug(
                self.name, self.commune, lambda slug: others.filter(slug=slug).exists()
            )
        previous = getattr(self, "_loaded_slug", None)
        super().save(*args, **kwargs)
        self._loaded_slug = self.slug
        if previous and previous != self.slug:
            # The old address keeps answering (a 301 to the new one): places.views.
            FormerSlug.objects.filter(slug=self.slug).delete()
            FormerSlug.objects.update_or_create(slug=previous, defaults={"place": self})

    def get_absolute_url(self):
        return reverse("places:detail", kwargs={"slug": self.slug})

    @classmethod
    def from_db(cls, db, field_names, values):
        place = super().from_db(db, field_names, values)
        # the slug as read, so that save() sees a change without asking the database again
        place._loaded_slug = place.__dict__.get("slug")
        return place

    @cached_property
    def commune_record(self) -> "Commune | None":
        """The commune of the official geography whose INSEE code the place carries."""
        if not self.insee_code:
            return None
        return Commune.objects.filter(insee=self.insee_code).first()

    @property
    def region(self) -> Region:
        return self.department.region

    @property
    def is_published(self) -> bool:
        return self.status == PublicationStatus.PUBLISHED

    @property
    def is_closed(self) -> bool:
        return self.lifecycle == Lifecycle.FERME

    @property
    def verification_is_stale(self) -> bool:
        """Verified longer than a year ago (never verified: see ``last_verified``)."""
        return (
            bool(self.last_verified)
            and (timezone.localdate() - self.last_verified).days > STALE_AFTER_DAYS
        )

    def family_labels(self) -> list[str]:
        return choice_labels(Family, self.families)

    @property
    def card_photo(self) -> "Photo | None":
        """The first photo (its card rendition, text and size), when the place was read
        ``for_cards``."""
        data = getattr(self, "card_photo_data", None)
        return Photo(place=self, **data) if data else None

    def partnership_badges(self) -> list[tuple[str, bool]]:
        """(nature, illustrative) of each kind of partnership running today, once, when the
        place was read ``for_cards``: illustrative when every one of that kind is."""
        from places.reference_data import DEMO_PROVENANCE

        kinds: dict[str, bool] = {}
        for partnership in getattr(self, "running_partnerships", None) or ():
            illustrative = partnership["provenance"] == DEMO_PROVENANCE
            kinds[partnership["kind"]] = kinds.get(partnership["kind"], True) and illustrative
        return [(PartnershipKind(kind).label, demo) for kind, demo in kinds.items()]

    @staticmethod
    def unique_slug(name: str, commune: str, is_taken) -> str:
        """A readable slug: the name, then name + commune on a collision, then a number."""
        base = slugify(name)[:180] or "lieu"
        candidates = [base]
        if commune:
            candidates.append(f"{base}-{slugify(commune)}"[:200])
        for candidate in candidates:
            if not is_taken(candidate):
                return candidate
        number = 2
        while is_taken(f"{candidates[-1]}-{number}"):
            number += 1
        return f"{candidates[-1]}-{number}"


class FormerSlug(models.Model):
    """An address a place had: its pages there answer with a permanent redirect to the place's
    current address, in both languages, whatever the number of renamings since."""

    slug = models.SlugField(_("ancien slug"), max_length=220, unique=True)
    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="former_slugs", verbose_name=_("lieu")
    )
    created_at = models.DateTimeField(_("remplacé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("ancienne adresse")
        verbose_name_plural = _("anciennes adresses")

    def __str__(self):
        return self.slug


class DuplicatePairQuerySet(models.QuerySet):
    def of(self, first: "Place", second: "Place") -> "DuplicatePairQuerySet":
        low, high = sorted([first.pk, second.pk])
        return self.filter(first_id=low, second_id=high)


class NotDuplicate(models.Model):
    """Two places a person said are distinct: the duplicate detector no longer proposes them."""

    first = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("décidé le"), auto_now_add=True)

    objects = DuplicatePairQuerySet.as_manager()

    class Meta:
        verbose_name = _("paire distincte")
        verbose_name_plural = _("paires distinctes")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="notduplicate_unique_pair"),
            models.CheckConstraint(
                condition=Q(first__lt=F("second")), name="notduplicate_ordered_pair"
            ),
        ]

    def __str__(self):
        return f"{self.first_id} ≠ {self.second_id}"


class Merge(models.Model):
    """One place merged into another (places.duplicates.merge): what moved, so that the merge
    can be undone, and the source record of the merged place, so that an import does not
    bring it back."""

    kept = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="merges", verbose_name=_("lieu conservé")
    )
    merged_id = models.BigIntegerField(_("identifiant du lieu fusionné"))
    merged_name = models.CharField(_("lieu fusionné"), max_length=200)
    merged_slug = models.SlugField(_("adresse du lieu fusionné"), max_length=220)
    merged_source_name = models.CharField(max_length=200, blank=True)
    merged_source_id = models.CharField(max_length=50, blank=True)
    filled_fields = models.JSONField(_("champs complétés"), default=list)
    # ids of what moved without a version of its own: proposals, former slugs, earlier merges
    moved = models.JSONField(default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("par"),
    )
    merged_at = models.DateTimeField(_("fusionné le"), auto_now_add=True)
    undone_at = models.DateTimeField(_("annulée le"), null=True, blank=True)

    class Meta:
        ordering = ["-merged_at"]
        verbose_name = _("fusion")
        verbose_name_plural = _("fusions")
        indexes = [models.Index(fields=["merged_source_id"], name="merge_source_idx")]

    def __str__(self):
        return f"{self.merged_name} → {self.kept}"

    @property
    def reason(self) -> str:
        """The change reason of every version the merge wrote (its undo finds them by it)."""
        return f"merge:{self.pk}"


class ImportFile(models.Model):
    """A file staff uploaded in the admin (places.exchange): kept from the preview to the
    confirmation, then as the record of what was imported, by whom and when."""

    filename = models.CharField(_("fichier"), max_length=255)
    file_format = models.CharField(_("format"), max_length=30)
    licence = models.CharField(_("licence"), max_length=200)
    content = models.TextField(editable=False)
    publish = models.BooleanField(_("publier les nouveaux lieux"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("par"),
    )
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    applied_at = models.DateTimeField(_("importé le"), null=True, blank=True)
    outcome = models.JSONField(_("résultat"), default=dict, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("fichier importé")
        verbose_name_plural = _("fichiers importés")
        default_permissions = ()

    def __str__(self):
        return self.filename


class Space(ConstraintMessages):
    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="spaces", verbose_name=_("lieu")
    )
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type d'espace"), max_length=30, choices=SpaceKind.choices)
    surface = PositiveCountField(_("surface (m²)"), null=True, blank=True)
    capacity = PositiveCountField(
        _("capacité (personnes)"), null=True, blank=True, message=CAPACITY_MESSAGE
    )
    description = models.TextField(_("description"), blank=True)
    bookable = models.BooleanField(_("réservable"), default=False)

    history = tracked()

    class Meta:
        ordering = ["place", "name"]
        verbose_name = _("espace")
        verbose_name_plural = _("espaces")
        constraints = [
            check(
                Q(surface__isnull=True) | Q(surface__gt=0),
                "space_surface_positive",
                "surface",
                AREA_MESSAGE,
            ),
            check(
                Q(capacity__isnull=True) | Q(capacity__gt=0),
                "space_capacity_positive",
                "capacity",
                CAPACITY_MESSAGE,
            ),
        ]
        indexes = [models.Index(fields=["kind"], name="space_kind_idx")]

    def __str__(self):
        return self.name


# ---------------------------------------------------------------------------------------------
# Public partners and partnerships
# ---------------------------------------------------------------------------------------------


class Partner(ConstraintMessages):
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    level = models.CharField(_("niveau"), max_length=20, choices=PartnerLevel.choices)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partners",
        verbose_name=_("département"),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partners",
        verbose_name=_("région"),
    )
    website = models.URLField(_("site web"), max_length=500, blank=True)

    history = tracked()

    class Meta:
        ordering = ["name"]
        verbose_name = _("partenaire public")
        verbose_name_plural = _("partenaires publics")
        constraints = [
            check(
                Q(department__isnull=True) | Q(region__isnull=True),
                "partner_one_territory",
                "department",
                _("Un partenaire a une région ou un département, pas les deux."),
            ),
        ]
        indexes = [models.Index(fields=["level"], name="partner_level_idx")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("places:partner", kwargs={"slug": self.slug})


class PartnershipQuerySet(models.QuerySet):
    def active(self, on=None) -> "PartnershipQuerySet":
        """Partnerships running on a day (today by default): started, and not ended before it
        (``running_sql`` says the same in SQL)."""
        on = on or timezone.localdate()
        return self.filter(start_date__lte=on).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=on)
        )


class InsertionProgramme(models.TextChoices):
    """The public programmes an insertion partnership belongs to."""

    PLIE = "plie", _("PLIE (plan local pour l'insertion et l'emploi)")
    IAE = "iae", _("Insertion par l'activité économique (IAE)")
    CEJ = "cej", _("Contrat d'engagement jeune (CEJ)")
    RSA = "rsa", _("Accompagnement des bénéficiaires du RSA")
    AUTRE = "autre", _("Autre programme")


# Words that make an address a service's, not a person's (« tig@… », « contact.spip@… »).
SERVICE_WORDS = {
    *("accueil", "administration", "asso", "association", "benevoles", "bonjour", "contact"),
    *("coordination", "direction", "emploi", "equipe", "hello", "info", "infos", "insertion"),
    *("lieu", "lieux", "pjj", "rh", "secretariat", "service", "spip", "tig", "tiers"),
}


def validate_service_contact(value: str):
    """An e-mail address of a service, never a person's: « prénom.nom@… » is refused (the
    directory publishes it), « tig@… » or « contact.insertion@… » accepted."""
    local = value.split("@", 1)[0].lower()
    words = [word for word in re.split(r"[._-]+", local) if word]
    looks_personal = len(words) == 2 and all(w.isalpha() and len(w) > 1 for w in words)
    if looks_personal and not SERVICE_WORDS.intersection(words):
        raise ValidationError(
            _(
                "Indiquez l'adresse d'un service (tig@…, contact@…), pas celle d'une personne : "
                "elle est publiée."
            )
        )


class Partnership(ConstraintMessages):
    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="partnerships", verbose_name=_("lieu")
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="partnerships", verbose_name=_("partenaire")
    )
    kind = models.CharField(_("nature"), max_length=30, choices=PartnershipKind.choices)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True, help_text=_("Vide : en cours."))
    description = models.TextField(_("description"), blank=True)
    provenance = models.CharField(
        _("provenance"),
        max_length=300,
        help_text=_("D'où vient l'information (convention, article, site officiel…)."),
    )
    # What a probation service (TIG) or an insertion adviser needs to orient someone: only for
    # partnerships of these kinds (``clean``).
    posts = models.PositiveSmallIntegerField(
        _("postes TIG offerts"),
        null=True,
        blank=True,
        help_text=_("Combien de personnes en TIG le lieu peut accueillir en même temps."),
    )
    minors_accepted = models.BooleanField(
        _("mineurs accueillis"), null=True, blank=True, help_text=_("Vide : non renseigné.")
    )
    tasks = models.CharField(
        _("types de tâches"),
        max_length=300,
        blank=True,
        help_text=_("Par exemple : entretien des espaces verts, accueil, manutention."),
    )
    supervision = models.CharField(
        _("encadrement"),
        max_length=300,
        blank=True,
        help_text=_("Qui encadre, et comment (un salarié référent, une équipe…)."),
    )
    service_contact = models.EmailField(
        _("contact du service"),
        blank=True,
        validators=[validate_service_contact],
        help_text=_(
            "L'adresse d'un service (tig@…), jamais celle d'une personne : elle est publiée."
        ),
    )
    audiences_received = ChoiceArrayField(
        models.CharField(max_length=60, choices=Audience.choices),
        verbose_name=_("publics reçus"),
        default=list,
        blank=True,
    )
    programme = models.CharField(
        _("programme"), max_length=10, choices=InsertionProgramme.choices, blank=True
    )

    TIG_FIELDS = ("posts", "minors_accepted", "tasks", "supervision", "service_contact")
    INSERTION_FIELDS = ("audiences_received", "programme", "service_contact")

    objects = PartnershipQuerySet.as_manager()

    history = tracked()

    class Meta:
        ordering = ["-start_date", "pk"]
        verbose_name = _("partenariat")
        verbose_name_plural = _("partenariats")
        constraints = [
            check(
                Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                "partnership_end_after_start",
                "end_date",
                _("La date de fin ne peut pas précéder la date de début."),
            ),
            models.UniqueConstraint(
                fields=["place", "partner", "kind", "start_date"],
                name="partnership_unique_place_partner_kind_start",
                violation_error_message=_(
                    "Ce partenariat (même lieu, partenaire, nature et date de début) existe déjà."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "place"], name="partnership_kind_place_idx"),
            models.Index(fields=["end_date"], name="partnership_end_idx"),
        ]

    def __str__(self):
        return f"{self.partner} · {self.get_kind_display()}"

    def clean(self):
        """TIG details on TIG partnerships, insertion details on insertion ones, nowhere else."""
        super().clean()
        allowed = {
            PartnershipKind.TIG: self.TIG_FIELDS,
            PartnershipKind.INSERTION: self.INSERTION_FIELDS,
        }.get(self.kind, ())
        errors = {}
        for name in dict.fromkeys(self.TIG_FIELDS + self.INSERTION_FIELDS):
            if name in allowed or getattr(self, name) in (None, "", []):
                continue
            if name in self.TIG_FIELDS and name in self.INSERTION_FIELDS:
                errors[name] = _("Ce détail ne vaut que pour un partenariat TIG ou d'insertion.")
            elif name in self.TIG_FIELDS:
                errors[name] = _("Ce détail ne vaut que pour un partenariat TIG.")
            else:
                errors[name] = _("Ce détail ne vaut que pour un partenariat d'insertion.")
        if errors:
            raise ValidationError(errors)

    @property
    def details(self) -> list[tuple[str, str, str]]:
        """(label, value, link) of the TIG or insertion details filled in, as a page shows them
        (the link: the contact's ``mailto:``)."""
        shown = []
        kind_fields = {
            PartnershipKind.TIG: self.TIG_FIELDS,
            PartnershipKind.INSERTION: self.INSERTION_FIELDS,
        }
        for name in kind_fields.get(self.kind, ()):
            value = getattr(self, name)
            if value in (None, "", []):
                continue
            field = self._meta.get_field(name)
            if name == "minors_accepted":
                value = _("oui") if value else _("non")
            elif name == "audiences_received":
                value = ", ".join(str(Audience(v).label) for v in value if v in Audience.values)
            elif name == "programme":
                value = self.get_programme_display()
            link = f"mailto:{value}" if name == "service_contact" else ""
            shown.append((capfirst(str(field.verbose_name)), str(value), link))
        return shown

    @property
    def state(self) -> str:
        """ "upcoming", "active" or "ended", today."""
        today = timezone.localdate()
        if self.start_date > today:
            return "upcoming"
        return "active" if self.is_active(today) else "ended"

    def is_active(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.start_date <= on and (self.end_date is None or self.end_date >= on)

    is_active.boolean = True
    is_active.short_description = _("en cours")


class Activity(ConstraintMessages):
    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="activities", verbose_name=_("lieu")
    )
    title = models.CharField(_("titre"), max_length=200)
    kind = models.CharField(_("type"), max_length=30, choices=ActivityKind.choices)
    audiences = ChoiceArrayField(
        models.CharField(max_length=60, choices=Audience.choices),
        verbose_name=_("publics"),
        default=list,
        blank=True,
    )
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("début"), null=True, blank=True)
    ends_at = models.DateTimeField(_("fin"), null=True, blank=True)
    recurrence = models.CharField(
        _("récurrence"), max_length=200, blank=True, help_text=_("Ex. : chaque mardi, 9 h – 12 h")
    )
    # A rule the calendars understand (RFC 5545), from the first date ``starts_at``
    rule = models.CharField(
        _("règle de répétition"),
        max_length=200,
        blank=True,
        validators=[validate_rule],
        help_text=_(
            "Pour une activité qui revient, la règle iCalendar (RFC 5545) à partir du début : "
            "« FREQ=WEEKLY;BYDAY=TU » chaque mardi, « FREQ=WEEKLY;INTERVAL=2;BYDAY=TH » un jeudi "
            "sur deux, « FREQ=MONTHLY;BYDAY=1MO » le premier lundi du mois ; « ;UNTIL=20270630 » "
            "pour finir."
        ),
    )
    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("dans le cadre du partenariat"),
    )
    is_free = models.BooleanField(_("gratuit"), default=True)
    registration_url = models.URLField(_("lien d'inscription"), max_length=500, blank=True)
    provenance = models.CharField(_("provenance"), max_length=300, blank=True)

    history = tracked()

    class Meta:
        ordering = ["place", "starts_at", "title"]
        verbose_name = _("activité")
        verbose_name_plural = _("activités")
        constraints = [
            check(
                Q(ends_at__isnull=True)
                | Q(starts_at__isnull=True)
                | Q(ends_at__gte=F("starts_at")),
                "activity_end_after_start",
                "ends_at",
                _("La fin ne peut pas précéder le début."),
            ),
        ]
        indexes = [
            models.Index(fields=["kind"], name="activity_kind_idx"),
            GinIndex(fields=["audiences"], name="activity_audiences_gin"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.rule and self.starts_at is None:
            raise ValidationError(
                {"starts_at": _("Une activité qui revient a besoin de sa première date.")}
            )

    def audience_labels(self) -> list[str]:
        return choice_labels(Audience, self.audiences)


def photo_upload_to(instance, filename):
    return f"photos/{timezone.now():%Y/%m}/{filename}"


class Photo(models.Model):
    """A photo of a place. Files are validated and re-encoded by places.images before storage."""

    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="photos", verbose_name=_("lieu")
    )
    image = models.ImageField(
        _("image"), upload_to=photo_upload_to, width_field="width", height_field="height"
    )
    card = models.ImageField(_("vignette"), upload_to=photo_upload_to, blank=True, editable=False)
    large = models.ImageField(
        _("grand format"), upload_to=photo_upload_to, blank=True, editable=False
    )
    width = models.PositiveIntegerField(null=True, editable=False)
    height = models.PositiveIntegerField(null=True, editable=False)
    alt_text = models.CharField(
        _("texte alternatif"),
        max_length=250,
        help_text=_("Ce que montre la photo, pour les personnes qui ne la voient pas."),
    )
    caption = models.CharField(_("légende"), max_length=300, blank=True)
    credit = models.CharField(
        _("crédit"),
        max_length=200,
        blank=True,
        help_text=_("Ex. : ©François Monnier – Septième Ciel"),
    )
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    created_at = models.DateTimeField(_("ajoutée le"), db_default=Now())

    history = tracked()

    class Meta:
        ordering = ["place", "order", "pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        constraints = [
            models.CheckConstraint(condition=~Q(alt_text=""), name="photo_alt_text_required"),
        ]

    def __str__(self):
        return self.alt_text

    @property
    def card_size(self) -> tuple[int, int] | None:
        """Width and height of the card rendition (the longest side at most 480 pixels), for
        the page to reserve its box before the file arrives."""
        if not self.width or not self.height:
            return None
        scale = min(1, 480 / max(self.width, self.height))
        return round(self.width * scale), round(self.height * scale)


class DataVersion(models.Model):
    """One row whose value PostgreSQL increments after any change to the directory's tables
    (statement triggers, migration 0006): cache keys include it, so a change, made by the admin,
    an import or plain SQL, makes every cached count and list stale at once."""

    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("version des données")
        default_permissions = ()

    def __str__(self):
        return str(self.value)


class SearchWord(models.Model):
    """A word the published places contain (unaccented, lower-case), with how many places hold
    it: the dictionary a search corrects typos against (places.search.plan), kept current by
    places.search.refresh_search."""

    word = models.CharField(_("mot"), max_length=100, primary_key=True)
    places = models.PositiveIntegerField(_("lieux"), default=0)

    class Meta:
        ordering = ["word"]
        verbose_name = _("mot du dictionnaire de recherche")
        verbose_name_plural = _("mots du dictionnaire de recherche")
        default_permissions = ()
        indexes = [
            GinIndex(fields=["word"], opclasses=["gin_trgm_ops"], name="searchword_word_trgm")
        ]

    def __str__(self):
        return self.word
