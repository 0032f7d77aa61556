"""The directory's places as files, for anyone: any list's query string selects the same places as
its page (the directory's one FilterSet), in CSV — one row per place, per space or per
partnership — or in JSON, nested. Streamed: the places are read by chunks of ids, so memory stays
flat whatever the number of places.

Column names are stable French keys, values are the vocabularies' keys (docs/schema.md). Each row
says its source and licence; the JSON says the directory's licence and credits once, at the top;
illustrative demo partnerships and activities say so (``illustratif``).
"""

import csv
import datetime
import json
from collections.abc import Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.text import slugify

from places.exchange import DirectoryFormat, page_urls, place_row
from places.importing import CREDIT
from places.models import Department, Place, Region
from places.reference_data import DEMO_PROVENANCE

LICENCE = "Licence Ouverte 2.0 (Etalab)"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
CHUNK = 500
BATCH = 64 * 1024  # characters a streamed file is written by

LEVELS = {"lieux", "espaces", "partenariats"}
SEPARATORS = {"virgule": ",", "point-virgule": ";"}

PLACE_COLUMNS = [
    *DirectoryFormat.columns,
    "code_region",
    "horaires",
    "accessible_fauteuil",
    "toilettes_adaptees",
    "boucle_magnetique",
    "fiche_acceslibre",
    "espaces",
    "partenariats",
    "activites",
]
PLACE_KEY = ["lieu_slug", "lieu_nom", "lieu_url", "code_departement", "code_region"]
SPACE_COLUMNS = [
    *PLACE_KEY,
    "espace_nom",
    "type",
    "surface",
    "capacite",
    "reservable",
    "description",
]
PARTNERSHIP_COLUMNS = [
    *PLACE_KEY,
    "partenaire",
    "partenaire_slug",
    "niveau",
    "nature",
    "debut",
    "fin",
    "en_cours",
    "description",
    "provenance",
    "illustratif",
    "postes_tig",
    "mineurs_acceptes",
    "taches",
    "encadrement",
    "publics_recus",
    "programme",
    "contact_service",
]


def places(ids: list[int]) -> Iterator[Place]:
    """The places of ``ids``, in that order, with their parts, read ``CHUNK`` at a time."""
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = Place.objects.filter(pk__in=chunk).with_parts().in_bulk()
        yield from (rows[pk] for pk in chunk if pk in rows)


def illustrative(record) -> bool:
    return record.provenance == DEMO_PROVENANCE


def yes_no(value) -> str:
    return {True: "oui", False: "non"}.get(value, "")


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    return str(value)


# CSV
# ---------------------------------------------------------------------------------------------


def place_rows(ids, absolute_url):
    yield PLACE_COLUMNS
    page_url = page_urls(absolute_url)
    for place in places(ids):
        yield [
            *place_row(place, page_url),
            place.department.region.code,
            place.opening_hours,
            yes_no(place.step_free_access),
            yes_no(place.accessible_toilets),
            yes_no(place.hearing_loop),
            place.acceslibre_url,
            "|".join(f"{space.name} ({space.kind})" for space in place.space_list),
            "|".join(_partnership_summary(p) for p in place.partnership_list),
            "|".join(f"{activity.title} ({activity.kind})" for activity in place.activity_list),
        ]


def _partnership_summary(partnership) -> str:
    period = f"{partnership.start_date}→{partnership.end_date or ''}"
    summary = (
        f"{partnership.partner.name} ({partnership.kind}, {partnership.partner.level}, {period})"
    )
    return summary + (" [illustratif]" if illustrative(partnership) else "")


def _place_key(place, page_url) -> list:
    return [
        place.slug,
        place.name,
        page_url(place),
        place.department.code,
        place.department.region.code,
    ]


def space_rows(ids, absolute_url):
    yield SPACE_COLUMNS
    page_url = page_urls(absolute_url)
    for place in places(ids):
        key = _place_key(place, page_url)
        for space in place.space_list:
            yield [
                *key,
                space.name,
                space.kind,
                text(space.surface),
                text(space.capacity),
                yes_no(space.bookable),
                space.description,
            ]


def partnership_rows(ids, absolute_url):
    yield PARTNERSHIP_COLUMNS
    page_url = page_urls(absolute_url)
    for place in places(ids):
        key = _place_key(place, page_url)
        for partnership in place.partnership_list:
            yield [*key, *_partnership_values(partnership).values()]


def _partnership_values(partnership) -> dict:
    return {
        "partenaire": partnership.partner.name,
        "partenaire_slug": partnership.partner.slug,
        "niveau": partnership.partner.level,
        "nature": partnership.kind,
        "debut": text(partnership.start_date),
        "fin": text(partnership.end_date),
        "en_cours": yes_no(partnership.is_active()),
        "description": partnership.description,
        "provenance": partnership.provenance,
        "illustratif": yes_no(illustrative(partnership)),
        "postes_tig": text(partnership.posts),
        "mineurs_acceptes": yes_no(partnership.minors_accepted),
        "taches": partnership.tasks,
        "encadrement": partnership.supervision,
        "publics_recus": "|".join(partnership.audiences_received),
        "programme": partnership.programme,
        "contact_service": partnership.service_contact,
    }


ROWS = {"lieux": place_rows, "espaces": space_rows, "partenariats": partnership_rows}


class _Echo:
    """A file whose write returns what it was given: csv.writer then yields lines."""

    def write(self, value):
        return value


def batched(pieces: Iterator[str], size: int = BATCH) -> Iterator[str]:
    """``pieces`` joined into blocks of about ``size`` characters: the server writes a block at
    a time (a write per row was a chunk, a system call and its framing per place)."""
    block, length = [], 0
    for piece in pieces:
        block.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(block)
            block, length = [], 0
    if block:
        yield "".join(block)


def csv_lines(rows, delimiter=",", bom=True) -> Iterator[str]:
    """UTF-8, with a byte order mark (``bom``) so that spreadsheets read the accents."""
    writer = csv.writer(_Echo(), delimiter=delimiter)

    def lines():
        if bom:
            yield "\ufeff"
        for row in rows:
            yield writer.writerow(row)

    return batched(lines())


# JSON
# ---------------------------------------------------------------------------------------------


def json_chunks(ids, request) -> Iterator[str]:
    """One JSON document, each place as the API gives it, written a block at a time."""
    return batched(_json_pieces(ids, request))


def _json_pieces(ids, request) -> Iterator[str]:
    from opendata.serializers import PlaceSerializer, compiled

    head = {
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "credits": [CREDIT],
        "illustration": DEMO_PROVENANCE,
        "genere_le": timezone.now().isoformat(timespec="seconds"),
        "requete": request.GET.urlencode(),
        "nombre": len(ids),
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "lieux": ['
    page_url = page_urls(request.build_absolute_uri)
    represent = compiled(PlaceSerializer(context={"request": request, "page_url": page_url}))
    for number, place in enumerate(places(ids)):
        data = represent(place)
        yield ("," if number else "") + json.dumps(data, ensure_ascii=False, cls=DjangoJSONEncoder)
    yield "]}"


# File names
# ---------------------------------------------------------------------------------------------


def filename(data, level: str, extension: str) -> str:
    """« tiers-lieux[-niveau][-territoires]-AAAA-MM-JJ.ext »: what the file holds, and when."""
    parts = ["tiers-lieux"]
    if level != "lieux":
        parts.append(level)
    regions = data.getlist("region")[:3]
    parts += sorted(Region.objects.filter(slug__in=regions).values_list("slug", flat=True))
    codes = data.getlist("departement")[:3]
    parts += sorted(Department.objects.filter(code__in=codes).values_list("code", flat=True))
    parts.append(timezone.localdate().isoformat())
    return slugify("-".join(parts)) + "." + extension
