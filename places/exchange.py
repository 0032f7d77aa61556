"""Files of places in and out, for staff: the directory's own CSV (what the admin exports) and the
national « lieux de médiation numérique » standard v1.0.2 (its rows whose ``typologie`` holds
``TIERS_LIEUX``; ../shared/data/schemas/mediation-numerique/, copied in docs/data.md).

An upload is first *planned*, nothing written: each row's fate — new, changed (which fields),
unchanged, or refused with the reason. A row is matched to a place by its address in the
directory (own format), then by its source and identifier, then by the duplicate detector (a
name alike within a few hundred metres, or the same website, in the same département). Confirmed,
the plan is applied in one transaction: all or nothing. A field a person changed since the last
import is left alone and listed (places.importing.update_imported), as for the census.
"""

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from places import duplicates
from places.history import Source, recording
from places.importing import (
    department_of_commune_code,
    department_of_postcode,
    shown,
    stored_value,
    update_imported,
)
from places.models import (
    CannotEvaluate,
    Commune,
    Department,
    Family,
    FormerSlug,
    Lifecycle,
    ManagementType,
    Place,
    PublicationStatus,
    condition_holds,
)
from places.search import refresh_search

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 1_000
# Coordinates farther than this from their commune's centre are a mistake of the file.
MAX_KM_FROM_COMMUNE = 50


class FileRefused(Exception):
    """The file as a whole cannot be read; nothing was changed."""


class RowRefused(Exception):
    """One row cannot be imported: the message says why."""


@dataclass
class Row:
    line: int
    name: str
    fate: str = ""  # "new", "changed", "unchanged" or "refused"
    reason: str = ""
    place: Place | None = None
    changes: list = field(default_factory=list)  # (field label, old, new)
    kept: list = field(default_factory=list)  # (field label, value kept, value of the file)
    notes: list = field(default_factory=list)


FATES = {
    "new": gettext_lazy("nouveau"),
    "changed": gettext_lazy("modifié"),
    "unchanged": gettext_lazy("inchangé"),
    "refused": gettext_lazy("refusé"),
}


@dataclass
class Plan:
    file_format: "Format"
    rows: list[Row]
    ignored_columns: list[str]

    def count(self, fate: str) -> int:
        return sum(row.fate == fate for row in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        return {fate: self.count(fate) for fate in FATES}


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def read_csv(data: bytes) -> tuple[list[str], list[tuple[int, dict]]]:
    """(header, [(line number, row)]) of a UTF-8 CSV separated by commas or semicolons."""
    if len(data) > MAX_BYTES:
        raise FileRefused(_("Le fichier dépasse 5 Mo : découpez-le."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            _("Le fichier n'est pas encodé en UTF-8 (octet invalide en position %(position)d).")
            % {"position": exc.start}
        ) from None
    if "\x00" in text:
        raise FileRefused(_("Le fichier contient des octets nuls : ce n'est pas un CSV texte."))
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        header = [name.strip() for name in reader.fieldnames or []]
        reader.fieldnames = header
        for row in reader:
            if None in row:
                raise FileRefused(
                    _("Ligne %(line)d : plus de valeurs que de colonnes dans l'en-tête.")
                    % {"line": reader.line_num}
                )
            rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
            if len(rows) > MAX_ROWS:
                raise FileRefused(
                    _("Plus de %(max)d lignes : découpez le fichier.") % {"max": MAX_ROWS}
                )
    except csv.Error as exc:
        raise FileRefused(
            _("CSV illisible ligne %(line)d : %(error)s.") % {"line": reader.line_num, "error": exc}
        ) from None
    if not rows:
        raise FileRefused(_("Le fichier ne contient aucune ligne de données."))
    return header, rows


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


def listed(value: str) -> list[str]:
    return [item.strip() for item in value.split("|") if item.strip()]


def choice(value: str, choices, label: str) -> str:
    if value and value not in choices.values:
        raise RowRefused(
            _("%(label)s « %(value)s » inconnu (attendu : %(expected)s)")
            % {"label": label, "value": value, "expected": ", ".join(choices.values)}
        )
    return value


def date_or_none(value: str, label: str):
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise RowRefused(
            _("%(label)s « %(value)s » n'est pas une date AAAA-MM-JJ")
            % {"label": label, "value": value}
        ) from None


def number_or_none(value: str, label: str, places: int = 6):
    if not value:
        return None
    try:
        number = Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise RowRefused(
            _("%(label)s « %(value)s » n'est pas un nombre") % {"label": label, "value": value}
        ) from None
    return number.quantize(Decimal(1).scaleb(-places)) if places else int(number)


class Lookups:
    """What a file's rows are checked and matched against, read in a few queries for the whole
    file: départements, the communes it names, the places its slugs and identifiers name."""

    def __init__(self, rows: list[dict], file_format: "Format"):
        self.departments = {d.code: d for d in Department.objects.all()}
        codes = {row.get("code_insee", "") for row in rows} - {""}
        self.communes = Commune.objects.in_bulk(codes)
        slugs = {row.get("slug", "") for row in rows} - {""}
        self.by_slug = Place.objects.in_bulk(slugs, field_name="slug")
        for former in FormerSlug.objects.filter(slug__in=slugs - set(self.by_slug)).select_related(
            "place"
        ):
            self.by_slug[former.slug] = former.place
        sources = {file_format.source(row) for row in rows}
        ids = {source_id for _name, source_id in sources if source_id}
        self.by_source = {
            (place.source_name, place.source_id): place
            for place in Place.objects.filter(source_id__in=ids)
        }

    def department(self, insee_code: str, postcode: str, declared: str = "") -> Department:
        code = (
            declared or department_of_commune_code(insee_code) or department_of_postcode(postcode)
        )
        department = self.departments.get(code or "")
        if department is None:
            raise RowRefused(_("aucun département déterminable (code INSEE, code postal)"))
        return department


def checked_coordinates(fields: dict, notes: list, lookups: Lookups):
    """Drop coordinates that are out of range or far from the row's commune (said in notes)."""
    lat, lon = fields.get("latitude"), fields.get("longitude")
    if lat is None or lon is None:
        fields["latitude"] = fields["longitude"] = None
        return
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        notes.append(_("coordonnées hors limites écartées"))
        fields["latitude"] = fields["longitude"] = None
        return
    commune = lookups.communes.get(fields.get("insee_code") or "")
    if commune and commune.latitude is not None:
        km = duplicates.metres_between(lat, lon, commune.latitude, commune.longitude) / 1000
        if km > MAX_KM_FROM_COMMUNE:
            notes.append(
                _("coordonnées écartées : à %(km)d km de %(commune)s")
                % {"km": km, "commune": commune.name}
            )
            fields["latitude"] = fields["longitude"] = None


# ---------------------------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------------------------


class Format:
    key = ""
    label = ""
    columns: list[str] = []
    required: set[str] = set()

    @classmethod
    def recognises(cls, header: list[str]) -> bool:
        return cls.required <= set(header)

    def fields(self, row: dict, notes: list, lookups: Lookups) -> dict:
        raise NotImplementedError

    def source(self, row: dict) -> tuple[str, str]:
        """(source name, identifier in the source) of a row, when it has one."""
        return "", ""

    def find(self, row: dict, fields: dict, lookups: Lookups) -> Place | None:
        """The place a row names by its identifier in the source (None: ask the duplicate
        detector, for all such rows at once)."""
        return lookups.by_source.get(self.source(row))


YES_NO = {"oui": True, "non": False, "": None}


class DirectoryFormat(Format):
    """The directory's own CSV of places (the admin's export): one row per place."""

    key = "annuaire"
    label = gettext_lazy("CSV de l'annuaire")
    columns = [
        "slug",
        "nom",
        "resume",
        "description",
        "familles",
        "type_gestion",
        "cycle_de_vie",
        "date_ouverture",
        "date_fermeture",
        "adresse",
        "code_postal",
        "commune",
        "code_insee",
        "departement",
        "latitude",
        "longitude",
        "ouvert_au_public",
        "conditions_acces",
        "site_web",
        "courriel",
        "telephone",
        "surface_terrain",
        "surface_batie",
        "usage_anterieur",
        "source",
        "source_id",
        "source_date",
        "source_licence",
        # read-only: written by the export, ignored by the import
        "region",
        "verifie_le",
        "url",
    ]
    required = {"slug", "nom", "departement", "code_postal", "commune"}

    def fields(self, row, notes, lookups):
        name = row.get("nom", "")
        if not name:
            raise RowRefused(_("nom du lieu vide"))
        open_to_public = row.get("ouvert_au_public", "").lower()
        if open_to_public not in YES_NO:
            raise RowRefused(_("ouvert_au_public : « oui », « non » ou vide"))
        families = listed(row.get("familles", ""))
        for family in families:
            choice(family, Family, _("famille"))
        return {
            "name": name,
            "summary": row.get("resume", ""),
            "description": row.get("description", ""),
            "families": families,
            "management_type": choice(row.get("type_gestion", ""), ManagementType, _("type")),
            "lifecycle": choice(row.get("cycle_de_vie", ""), Lifecycle, _("cycle de vie")),
            "opening_date": date_or_none(row.get("date_ouverture", ""), "date_ouverture"),
            "closing_date": date_or_none(row.get("date_fermeture", ""), "date_fermeture"),
            "street": row.get("adresse", ""),
            "postcode": row.get("code_postal", ""),
            "commune": row.get("commune", ""),
            "insee_code": row.get("code_insee", ""),
            "department": lookups.department(
                row.get("code_insee", ""), row.get("code_postal", ""), row.get("departement", "")
            ),
            "latitude": number_or_none(row.get("latitude", ""), "latitude"),
            "longitude": number_or_none(row.get("longitude", ""), "longitude"),
            "open_to_public": YES_NO[open_to_public],
            "access_notes": row.get("conditions_acces", ""),
            "website": row.get("site_web", ""),
            "email": row.get("courriel", ""),
            "phone": row.get("telephone", ""),
            "land_area": number_or_none(row.get("surface_terrain", ""), "surface_terrain", 0),
            "built_area": number_or_none(row.get("surface_batie", ""), "surface_batie", 0),
            "former_use": row.get("usage_anterieur", ""),
        }

    def source(self, row):
        return row.get("source", ""), row.get("source_id", "")

    def find(self, row, fields, lookups):
        place = lookups.by_slug.get(row.get("slug", ""))
        return place if place is not None else super().find(row, fields, lookups)


class MediationFormat(Format):
    """« Lieux de médiation numérique » v1.0.2: only the rows whose typologie holds
    TIERS_LIEUX are tiers-lieux."""

    key = "mediation-numerique"
    label = gettext_lazy("Lieux de médiation numérique (standard national v1.0.2)")
    required = {"id", "pivot", "nom", "commune", "code_postal", "adresse", "typologie"}
    used = {
        "id",
        "nom",
        "commune",
        "code_postal",
        "code_insee",
        "adresse",
        "complement_adresse",
        "latitude",
        "longitude",
        "typologie",
        "telephone",
        "courriels",
        "site_web",
        "presentation_resume",
        "presentation_detail",
        "source",
        "date_maj",
        "pivot",
    }

    def fields(self, row, notes, lookups):
        if "TIERS_LIEUX" not in listed(row.get("typologie", "")):
            raise RowRefused(_("pas un tiers-lieu : la typologie ne contient pas TIERS_LIEUX"))
        name = row.get("nom", "")
        if not name:
            raise RowRefused(_("nom du lieu vide"))
        websites, emails = listed(row.get("site_web", "")), listed(row.get("courriels", ""))
        if len(websites) > 1:
            notes.append(_("premier site web seul repris"))
        street = ", ".join(filter(None, [row.get("adresse", ""), row.get("complement_adresse")]))
        return {
            "name": name,
            "summary": row.get("presentation_resume", "")[:280],
            "description": row.get("presentation_detail", ""),
            "street": street[:255],
            "postcode": row.get("code_postal", ""),
            "commune": row.get("commune", ""),
            "insee_code": row.get("code_insee", ""),
            "department": lookups.department(row.get("code_insee", ""), row.get("code_postal", "")),
            "latitude": number_or_none(row.get("latitude", ""), "latitude"),
            "longitude": number_or_none(row.get("longitude", ""), "longitude"),
            "website": websites[0] if websites else "",
            # the structure's address only: the standard's list may name people after it
            "email": emails[0] if emails else "",
            "phone": row.get("telephone", ""),
        }

    def source(self, row):
        source = row.get("source", "")
        name = _("Médiation numérique : %(source)s") % {"source": source} if source else ""
        return name or str(_("Médiation numérique")), row.get("id", "")


FORMATS = [DirectoryFormat, MediationFormat]


def recognise(header: list[str]) -> Format:
    for candidate in FORMATS:
        if candidate.recognises(header):
            return candidate()
    expected = " ; ".join(
        f"{candidate.label} : {', '.join(sorted(candidate.required))}" for candidate in FORMATS
    )
    raise FileRefused(
        _("Format non reconnu : colonnes attendues — %(expected)s.") % {"expected": expected}
    )


# ---------------------------------------------------------------------------------------------
# Plan and apply
# ---------------------------------------------------------------------------------------------


def plan(data: bytes) -> Plan:
    """Every row's fate, nothing written. Raises FileRefused for a file that cannot be read."""
    header, rows = read_csv(data)
    file_format = recognise(header)
    known = set(getattr(file_format, "used", file_format.columns))
    ignored = [name for name in header if name and name not in known]
    lookups = Lookups([row for _line, row in rows], file_format)
    planned, found = [], {}
    for line, row in rows:
        result = Row(line=line, name=row.get("nom", ""))
        planned.append(result)
        try:
            fields = file_format.fields(row, result.notes, lookups)
            checked_coordinates(fields, result.notes, lookups)
            problem = _invalid(fields)
            if problem:
                raise RowRefused(problem)
        except RowRefused as exc:
            result.fate, result.reason = "refused", str(exc)
            continue
        found[line] = (row, fields, file_format.find(row, fields, lookups))
    # rows no identifier names: the duplicate detector, one query for all
    matches = duplicates.probable_matches(
        {
            line: duplicates.Candidate(
                fields["name"],
                fields["department"].pk,
                fields.get("latitude"),
                fields.get("longitude"),
                fields.get("website", ""),
            )
            for line, (_row, fields, place) in found.items()
            if place is None
        }
    )
    seen = {}
    for result in planned:
        if result.fate == "refused":
            continue
        row, fields, place = found[result.line]
        place = place or matches.get(result.line)
        key = place.pk if place is not None else file_format.source(row)
        if key in seen and key != ("", ""):
            result.fate = "refused"
            result.reason = _("même lieu que la ligne %(line)d") % {"line": seen[key]}
            continue
        seen[key] = result.line
        _plan_row(file_format, row, fields, place, result)
    return Plan(file_format, planned, ignored)


def _plan_row(file_format: Format, row: dict, fields: dict, place, result: Row):
    if place is None:
        source_name, source_id = file_format.source(row)
        result.place = Place(
            **fields,
            source_name=source_name,
            source_id=source_id,
            source_date=_source_date(row),
            imported_values={key: stored_value(value) for key, value in fields.items()},
        )
        result.fate = "new"
        return
    before = {key: getattr(place, Place._meta.get_field(key).attname) for key in fields}
    changed, result.kept = update_imported(place, fields)
    result.changes = [
        (str(Place._meta.get_field(key).verbose_name), shown(before[key]), shown(fields[key]))
        for key in changed
    ]
    result.place, result.fate = place, ("changed" if changed else "unchanged")


def _source_date(row: dict):
    try:
        return date_or_none(row.get("date_maj", "") or row.get("source_date", ""), "date")
    except RowRefused:
        return None


def _invalid(fields: dict) -> str | None:
    """The model's own rules for one row, as a reason or None: its fields' validation and its
    check constraints (evaluated in Python: no query per row; uniqueness is the matching's)."""
    place = Place(**fields)
    try:
        place.clean_fields(exclude=["slug", "department"])
    except ValidationError as exc:
        return "; ".join(
            f"{Place._meta.get_field(key).verbose_name} : {' '.join(messages)}"
            for key, messages in exc.message_dict.items()
        )
    values = {f.name: getattr(place, f.attname) for f in Place._meta.concrete_fields}
    for constraint in Place._meta.constraints:
        if not isinstance(constraint, models.CheckConstraint):
            continue
        try:
            holds = condition_holds(constraint.condition, values)
        except CannotEvaluate:
            holds = _holds_in_database(constraint, place)
        if holds is False:
            return str(constraint.get_violation_error_message())
    return None


def _holds_in_database(constraint, place) -> bool:
    try:
        constraint.validate(Place, place)
    except ValidationError:
        return False
    return True


def apply(import_file, user=None) -> Plan:
    """Plan the stored file again and write it, in one transaction. Returns the plan."""
    data = import_file.content.encode()
    result = plan(data)
    reason = _("Import du fichier « %(name)s » (n° %(number)d)") % {
        "name": import_file.filename,
        "number": import_file.pk,
    }
    status = PublicationStatus.PUBLISHED if import_file.publish else PublicationStatus.DRAFT
    with transaction.atomic(), recording(Source.IMPORT, reason, user):
        new = []
        taken = set(Place.objects.values_list("slug", flat=True))
        for row in result.rows:
            if row.fate == "new":
                row.place.status = status
                row.place.source_licence = import_file.licence
                row.place.source_name = row.place.source_name or _("Fichier « %(name)s »") % {
                    "name": import_file.filename
                }
                row.place.slug = Place.unique_slug(
                    row.place.name, row.place.commune, taken.__contains__
                )
                taken.add(row.place.slug)
                new.append(row.place)
            elif row.fate == "changed":
                row.place._history_user = user
                row.place.save()
        bulk_create_with_history(
            new,
            Place,
            batch_size=500,
            default_user=user,
            default_change_reason=reason,
            custom_historical_attrs={"history_source": Source.IMPORT},
        )
        refresh_search([row.place.pk for row in result.rows if row.fate == "new"])
        import_file.applied_at = timezone.now()
        import_file.outcome = result.counts
        import_file.save(update_fields=["applied_at", "outcome"])
    return result


# ---------------------------------------------------------------------------------------------
# Export (the directory's own format)
# ---------------------------------------------------------------------------------------------


def export_rows(places, absolute_url):
    """The header, then one row per place, in the directory's own format."""
    yield DirectoryFormat.columns
    page_url = page_urls(absolute_url)
    for place in places.select_related("department__region"):
        yield place_row(place, page_url)


def page_urls(absolute_url):
    """place → the absolute address of its page (``absolute_url`` makes a path absolute), the
    URL pattern reversed once: a ``reverse()`` per place was a sixth of an export's time."""
    marker = "slug-of-the-place"
    head, tail = absolute_url(Place(slug=marker).get_absolute_url()).split(marker)
    return lambda place: head + place.slug + tail


def place_row(place, page_url) -> list:
    """One place in the directory's own format (``DirectoryFormat.columns``); ``page_url`` gives
    its page's absolute address (``page_urls``)."""
    return [
        place.slug,
        place.name,
        place.summary,
        place.description,
        "|".join(place.families),
        place.management_type,
        place.lifecycle,
        place.opening_date or "",
        place.closing_date or "",
        place.street,
        place.postcode,
        place.commune,
        place.insee_code,
        place.department.code,
        "" if place.latitude is None else place.latitude,
        "" if place.longitude is None else place.longitude,
        {True: "oui", False: "non"}.get(place.open_to_public, ""),
        place.access_notes,
        place.website,
        place.email,
        place.phone,
        place.land_area or "",
        place.built_area or "",
        place.former_use,
        place.source_name,
        place.source_id,
        place.source_date or "",
        place.source_licence,
        place.department.region.name,
        place.last_verified or "",
        page_url(place),
    ]
