"""Import of the CGET/ANCT 2019 census of tiers-lieux (Licence Ouverte 2.0).

The file is as messy as the real world (see docs/data.md). Rules, in short:

* the source ``ID`` is the key: a second run changes nothing, a changed row updates its place;
* an import never overwrites what a person changed: each place remembers the value every
  imported field had when an import last wrote it (``Place.imported_values``); a field whose
  value differs since (the admin, an accepted proposal) is left alone, and the report lists it;
* a place merged into another (places.duplicates) is not brought back: its row is reported;
* every place created or changed gets a version saying "import" (places.history);
* the département is decided by a vote between four signals — the declared ``INSEEDEP``, the
  commune code ``INSEECOM``, the postcode ``CP`` and the coordinates (an overseas bounding box, or
  the commune found at the coordinates, ``INSEEMETRO``). Most votes win; a tie goes to the
  address (commune code, then postcode), which is what the place itself declared. Every
  disagreement is reported, with the winner and why;
* the région always derives from the département: the file's région names are not official;
* links get a scheme; what is not a link (a note, a person's name) is dropped and reported;
* the whole file is one transaction: a file that is not a UTF-8 CSV with the expected columns
  changes nothing.
"""

import csv
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from places.history import Source
from places.models import Department, Family, Merge, Place, PublicationStatus
from places.search import refresh_search

SOURCE_NAME = "CGET/ANCT, Mission Coworking"
SOURCE_DATE = date(2019, 6, 13)
SOURCE_LICENCE = "Licence Ouverte 2.0 (Etalab)"
CREDIT = "Source : CGET/ANCT, Mission Coworking, données du 13 juin 2019, Licence Ouverte 2.0"

REQUIRED_COLUMNS = [
    "ID",
    "NOM_TL",
    "ADRESSE",
    "CP",
    "COMINIT",
    "INSEECOM",
    "NOMCOM",
    "WEB",
    "TYPO",
    "LAT",
    "LONG",
    "INSEEREG",
    "NOMREG",
    "INSEEMETRO",
    "INSEEDEP",
    "NOMCOMMETRO",
]

TYPO_FAMILIES = {
    "tiers lieux à dominante coworking": [Family.COWORKING],
    "tiers lieux à dominante fablab": [Family.FABLAB],
}

# Rough bounding boxes (lat_min, lat_max, lon_min, lon_max): enough to tell the overseas
# départements apart, where the file's commune-at-coordinates is known to be wrong.
OVERSEAS_BOXES = {
    "971": (15.8, 16.6, -61.9, -60.9),
    "972": (14.3, 14.95, -61.3, -60.75),
    "973": (2.0, 6.0, -54.7, -51.5),
    "974": (-21.5, -20.8, 55.1, 55.9),
    "976": (-13.1, -12.6, 44.9, 45.35),
}
METROPOLE_BOX = (41.0, 51.2, -5.3, 9.7)

SIGNAL_LABELS = {
    "insee_commune": "code commune (INSEECOM)",
    "postcode": "code postal (CP)",
    "coordinates": "coordonnées",
    "declared": "département déclaré (INSEEDEP)",
}
# Tie-break order: the address the place declared first.
SIGNAL_PRIORITY = ["insee_commune", "postcode", "coordinates", "declared"]

DOMAIN_RE = re.compile(r"^(?:https?://)?[\w.-]+\.[a-z]{2,}(?:[/?#:]\S*)?$", re.IGNORECASE)
_url_validator = URLValidator(schemes=["http", "https"])


class ImportFileError(Exception):
    """The file as a whole cannot be imported; nothing was changed."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list = field(default_factory=list)  # (line, source id, reason)
    conflicts: list = field(default_factory=list)  # (line, source id, name, what was decided)
    fixes: Counter = field(default_factory=Counter)  # kind of repair -> count
    # (line, source id, place, field label, value kept, value of the file): a person's change
    kept: list = field(default_factory=list)
    merged: list = field(default_factory=list)  # (line, source id, place it was merged into)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.skipped)

    def as_text(self) -> str:
        lines = [
            f"Lignes lues : {self.total}",
            f"Créés : {self.created}",
            f"Mis à jour : {self.updated}",
            f"Inchangés : {self.unchanged}",
            f"Ignorés : {len(self.skipped)}",
        ]
        lines += [f"  ligne {n} (ID {sid or '?'}) : {why}" for n, sid, why in self.skipped]
        lines.append(f"Conflits résolus : {len(self.conflicts)}")
        lines += [
            f"  ligne {line} (ID {sid}, {name}) : {decision}"
            for line, sid, name, decision in self.conflicts
        ]
        lines.append(f"Champs modifiés par une personne, laissés tels quels : {len(self.kept)}")
        lines += [
            f"  ligne {line} (ID {sid}, {place}) : {label} garde « {kept} » "
            f"(le fichier dit « {new} »)"
            for line, sid, place, label, kept, new in self.kept
        ]
        lines.append(f"Lignes de lieux fusionnés, ignorées : {len(self.merged)}")
        lines += [
            f"  ligne {line} (ID {sid}) : fusionné dans « {kept} »"
            for line, sid, kept in self.merged
        ]
        lines.append("Réparations :")
        lines += [f"  {kind} : {count}" for kind, count in sorted(self.fixes.items())]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Field helpers
# ---------------------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    return " ".join((value or "").split())


def code_or_none(value: str) -> str | None:
    value = (value or "").strip().upper()
    return None if value in ("", "0") else value


def department_of_commune_code(code: str | None) -> str | None:
    if not code or not re.fullmatch(r"(\d{5}|2[AB]\d{3})", code):
        return None
    return code[:3] if code.startswith("97") else code[:2]


def department_of_postcode(postcode: str | None) -> str | None:
    if not postcode or not re.fullmatch(r"\d{5}", postcode):
        return None
    if postcode.startswith("97"):
        return postcode[:3]
    if postcode.startswith("20"):
        return "2A" if postcode[:3] in ("200", "201") else "2B"
    return postcode[:2]


def parse_coordinates(lat: str, lon: str) -> tuple[Decimal, Decimal] | None:
    try:
        latitude = Decimal(lat.strip()).quantize(Decimal("0.000001"))
        longitude = Decimal(lon.strip()).quantize(Decimal("0.000001"))
    except (InvalidOperation, AttributeError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if latitude == 0 and longitude == 0:
        return None
    return latitude, longitude


def department_of_coordinates(coords, commune_at_coordinates: str | None) -> str | None:
    if coords is None:
        return None
    lat, lon = float(coords[0]), float(coords[1])
    for code, (lat_min, lat_max, lon_min, lon_max) in OVERSEAS_BOXES.items():
        if lat_min <= lat <= lat_max and lon_min <= lon <= lon_max:
            return code
    lat_min, lat_max, lon_min, lon_max = METROPOLE_BOX
    if lat_min <= lat <= lat_max and lon_min <= lon <= lon_max:
        found = department_of_commune_code(commune_at_coordinates)
        if found and not found.startswith("97"):
            return found
    return None


def clean_url(value: str) -> tuple[str, str | None]:
    """Return (usable URL or "", repair kind or None)."""
    raw = (value or "").strip()
    if not raw:
        return "", None
    for token in re.split(r"[\s|,;]+", raw):
        token = token.strip("()[]<>\"'")
        if not DOMAIN_RE.match(token):
            continue
        url = token if re.match(r"^https?://", token, re.I) else f"https://{token}"
        try:
            _url_validator(url)
        except ValidationError:
            continue
        if url == raw:
            return url, None
        if token == raw:
            return url, "lien web sans schéma : https:// ajouté"
        return url, "lien web extrait d'un texte"
    return "", "lien web inutilisable écarté (ce n'est pas une adresse web)"


def row_checksum(row: dict) -> str:
    payload = "\x1f".join(f"{key}={row.get(key, '')}" for key in sorted(row))
    return hashlib.sha256(payload.encode()).hexdigest()


def unique_slug(name: str, commune: str, taken: set[str]) -> str:
    slug = Place.unique_slug(name, commune, is_taken=taken.__contains__)
    taken.add(slug)
    return slug


# ---------------------------------------------------------------------------------------------
# The import
# ---------------------------------------------------------------------------------------------


def read_rows(data: bytes) -> list[dict]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"Le fichier n'est pas encodé en UTF-8 (octet invalide en position {exc.start})."
        ) from None
    if "\x00" in text:
        raise ImportFileError("Le fichier contient des octets nuls : ce n'est pas un CSV texte.")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            raise ImportFileError(
                "Colonnes attendues absentes : "
                + ", ".join(missing)
                + ". Est-ce bien le CSV (séparé par des virgules) du recensement CGET 2019 ?"
            )
        rows = []
        for row in reader:
            if None in row:
                raise ImportFileError(
                    f"Ligne {reader.line_num} : plus de valeurs que de colonnes dans l'en-tête."
                )
            rows.append(row)
    except csv.Error as exc:
        raise ImportFileError(f"CSV illisible ligne {reader.line_num} : {exc}.") from None
    if not rows:
        raise ImportFileError("Le fichier ne contient aucune ligne de données.")
    return rows


def import_cget(data: bytes) -> ImportReport:
    """Import the census file's bytes. Raises ImportFileError, changing nothing, on a bad file."""
    rows = read_rows(data)
    report = ImportReport()
    departments = {d.code: d for d in Department.objects.select_related("region")}
    existing = {
        p.source_id: p for p in Place.objects.filter(source_name=SOURCE_NAME).exclude(source_id="")
    }
    merged = {
        merge.merged_source_id: merge.kept
        for merge in Merge.objects.filter(
            merged_source_name=SOURCE_NAME, undone_at__isnull=True
        ).select_related("kept")
    }
    taken_slugs = set(Place.objects.values_list("slug", flat=True))
    seen_ids: dict[str, int] = {}
    to_create, to_update, checksum_only = [], [], []
    now = timezone.now()

    for index, row in enumerate(rows):
        line = index + 2  # the header is line 1
        source_id = (row.get("ID") or "").strip()
        if not source_id.isdigit():
            report.skipped.append((line, source_id, "identifiant ID manquant ou non numérique"))
            continue
        if source_id in seen_ids:
            report.skipped.append(
                (line, source_id, f"identifiant en double (déjà lu ligne {seen_ids[source_id]})")
            )
            continue
        seen_ids[source_id] = line
        name = clean_text(row["NOM_TL"])
        if not name:
            report.skipped.append((line, source_id, "nom du lieu vide"))
            continue

        checksum = row_checksum(row)
        place = existing.get(source_id)
        if place is None and source_id in merged:
            report.merged.append((line, source_id, merged[source_id]))
            continue
        if place is not None and place.source_checksum == checksum:
            report.unchanged += 1
            continue

        fields = _place_fields(row, line, source_id, name, departments, report)
        if fields is None:
            continue
        problem = _invalid_fields(fields)
        if problem:
            report.skipped.append((line, source_id, problem))
            continue
        if place is None:
            place = Place(
                **fields,
                status=PublicationStatus.PUBLISHED,
                source_name=SOURCE_NAME,
                source_id=source_id,
                source_date=SOURCE_DATE,
                source_licence=SOURCE_LICENCE,
                source_checksum=checksum,
                imported_values={key: stored_value(value) for key, value in fields.items()},
            )
            place.slug = unique_slug(name, fields["commune"], taken_slugs)
            to_create.append(place)
            report.created += 1
            continue
        place.source_checksum = checksum
        changed, kept = update_imported(place, fields)
        report.kept += [(line, source_id, place.name, *field) for field in kept]
        if changed:
            place.updated_at = now
            to_update.append(place)
            report.updated += 1
        else:  # every difference was a person's change: only the checksum moves
            checksum_only.append(place)
            report.unchanged += 1

    history = {
        "default_change_reason": "Import du recensement CGET 2019",
        "custom_historical_attrs": {"history_source": Source.IMPORT},
        "batch_size": 500,
    }
    with transaction.atomic():
        bulk_create_with_history(to_create, Place, **history)
        if to_update:
            bulk_update_with_history(
                to_update, Place, IMPORTED_FIELDS + ["imported_values", "updated_at"], **history
            )
        Place.objects.bulk_update(checksum_only, ["source_checksum"], batch_size=500)
        refresh_search([place.pk for place in to_create + to_update], missing=True)
    return report


def stored_value(value):
    """A field's value as kept in ``Place.imported_values`` (JSON)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Department):
        return value.pk
    return value


def update_imported(place, fields: dict) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Set an import's ``fields`` on an existing place, but for the fields a person changed
    since the last import (a field no import ever wrote is a person's when it is filled).
    Returns the names of the fields changed, and (label, value kept,
    value offered) for each field left alone that the import would have changed."""
    changed, kept = [], []
    remembered = dict(place.imported_values)
    for key, value in fields.items():
        new = stored_value(value)
        current = stored_value(getattr(place, Place._meta.get_field(key).attname))
        # changed since the import wrote it, or never imported and filled by someone
        by_a_person = current != remembered[key] if key in remembered else not _blank(current)
        if by_a_person:
            if new != current:
                label = str(Place._meta.get_field(key).verbose_name)
                kept.append((label, shown(current), shown(new)))
            continue
        remembered[key] = new
        if new != current:
            setattr(place, key, value)
            changed.append(key)
    place.imported_values = remembered
    return changed, kept


def _blank(value) -> bool:
    return value in (None, "", [])


def shown(value) -> str:
    """A field's value as a report says it."""
    if isinstance(value, list):
        return ", ".join(value)
    return "" if value is None else str(value)


def _invalid_fields(fields: dict) -> str | None:
    """Field-level validation (lengths, URL, formats) for one row, as a reason or None."""
    try:
        Place(**fields).clean_fields(exclude=["slug", "department"])
    except ValidationError as exc:
        return "; ".join(f"{key} : {' '.join(msgs)}" for key, msgs in exc.message_dict.items())
    return None


IMPORTED_FIELDS = [
    "name",
    "street",
    "postcode",
    "commune",
    "insee_code",
    "department",
    "latitude",
    "longitude",
    "website",
    "families",
    "source_checksum",
]


def _place_fields(row, line, source_id, name, departments, report) -> dict | None:
    coords = parse_coordinates(row["LAT"], row["LONG"])
    if coords is None and (row["LAT"].strip() or row["LONG"].strip()):
        report.fixes["coordonnées invalides écartées"] += 1

    insee_commune = code_or_none(row["INSEECOM"])
    insee_at_coords = code_or_none(row["INSEEMETRO"])
    postcode = code_or_none(row["CP"])
    if postcode and re.fullmatch(r"\d{4}", postcode):
        postcode = postcode.zfill(5)
        report.fixes["code postal complété d'un zéro initial"] += 1
    if postcode and not re.fullmatch(r"\d{5}", postcode):
        postcode = None
        report.fixes["code postal invalide écarté"] += 1

    signals = {
        "insee_commune": department_of_commune_code(insee_commune),
        "postcode": department_of_postcode(postcode),
        "coordinates": department_of_coordinates(coords, insee_at_coords),
        "declared": code_or_none(row["INSEEDEP"]),
    }
    signals = {k: v for k, v in signals.items() if v in departments}
    if not signals:
        report.skipped.append((line, source_id, "aucun département déterminable"))
        return None
    votes = Counter(signals.values())
    best = max(votes.values())
    winners = [code for code, n in votes.items() if n == best]
    department_code = next(signals[s] for s in SIGNAL_PRIORITY if signals.get(s) in winners)
    department = departments[department_code]
    if len(votes) > 1:
        losers = ", ".join(
            f"{SIGNAL_LABELS[s]} → {code}" for s, code in signals.items() if code != department_code
        )
        backers = ", ".join(
            SIGNAL_LABELS[s] for s in SIGNAL_PRIORITY if signals.get(s) == department_code
        )
        why = "majorité" if len(winners) == 1 else "égalité départagée par l'adresse"
        report.conflicts.append(
            (
                line,
                source_id,
                name,
                f"département {department_code} ({department.name}) retenu ({why} : {backers}) "
                f"contre {losers}",
            )
        )

    # Commune: the address's, unless its code contradicts the département, then the commune at
    # the coordinates when that one agrees.
    commune = clean_text(row["NOMCOM"]) or clean_text(row["COMINIT"])
    insee_code = insee_commune if signals.get("insee_commune") == department_code else ""
    at_coords_ok = department_of_commune_code(insee_at_coords) == department_code
    address_contradicts = insee_commune and signals.get("insee_commune") != department_code
    if at_coords_ok and (not commune or address_contradicts):
        if commune:
            report.conflicts.append(
                (
                    line,
                    source_id,
                    name,
                    f"commune « {commune} » ({insee_commune}) hors du département retenu : "
                    f"remplacée par « {clean_text(row['NOMCOMMETRO'])} » ({insee_at_coords}), "
                    "commune aux coordonnées",
                )
            )
        else:
            report.fixes["commune vide : commune aux coordonnées"] += 1
        commune = clean_text(row["NOMCOMMETRO"])
        insee_code = insee_at_coords
    if insee_code and not re.fullmatch(r"(\d{5}|2[AB]\d{3})", insee_code):
        insee_code = ""

    region_code = code_or_none(row["INSEEREG"])
    if region_code is None:
        report.fixes["région vide : déduite du département"] += 1
    elif region_code != department.region.code:
        report.conflicts.append(
            (
                line,
                source_id,
                name,
                f"région {region_code} déclarée, mais le département {department_code} est en "
                f"{department.region.name} ({department.region.code}) : région du département",
            )
        )

    website, url_fix = clean_url(row["WEB"])
    if url_fix:
        report.fixes[url_fix] += 1

    typo = clean_text(row["TYPO"]).lower()
    families = list(TYPO_FAMILIES.get(typo, []))
    if not typo:
        report.fixes["typologie vide : famille non renseignée"] += 1
    elif not families:
        report.fixes["typologie inconnue : famille non renseignée"] += 1

    return {
        "name": name[:200],
        "street": clean_text(row["ADRESSE"])[:255],
        "postcode": postcode or "",
        "commune": commune[:150],
        "insee_code": insee_code or "",
        "department": department,
        "latitude": coords[0] if coords else None,
        "longitude": coords[1] if coords else None,
        "website": website,
        "families": families,
    }
