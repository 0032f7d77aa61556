"""The directory in the national schemas.

* « lieux de médiation numérique » v1.0.2 (the Table Schema in data/schemas/mediation-numerique/):
  one row per published place whose address is known (the standard requires a street and a
  postcode), ``typologie`` = ``TIERS_LIEUX``, lists separated by ``|``, our directory as
  ``source``;
* data·inclusion v1 structures, and services for the activities that are services (the
  ``data-inclusion-schema`` package's models; tests only).

What a schema asks and the directory does not know is left empty, never invented (the SIRET
``pivot`` of the first is its « unknown » value)."""

import re

from opendata.exports import places
from places.exchange import page_urls
from places.models import POSTCODE_RE
from places.reference_data import DEMO_PROVENANCE

COLUMNS = [
    "id",
    "pivot",
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
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "itinerance",
    "structure_parente",
    "date_maj",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "fiche_acces_libre",
    "prise_rdv",
]
SOURCE = "Annuaire des tiers-lieux"
UNKNOWN_SIRET = "00000000000000"
# French overseas numbers keep their own country code (the standard's pattern lists them).
OVERSEAS_PREFIXES = {
    "0262": "+262",
    "0263": "+262",
    "0269": "+262",
    "0639": "+262",
    "0692": "+262",
    "0693": "+262",
    "0590": "+590",
    "0690": "+590",
    "0594": "+594",
    "0694": "+594",
    "0596": "+596",
    "0696": "+596",
}
PHONE_RE = re.compile(r"^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)(\d){6,9}$")


def international_phone(phone: str) -> str:
    """A French number in the standard's international form, or "" when it is not one."""
    digits = re.sub(r"[^\d+]", "", phone or "")
    if re.fullmatch(r"0\d{9}", digits):
        prefix = OVERSEAS_PREFIXES.get(digits[:4], "+33")
        digits = prefix + (digits[4:] if prefix != "+33" else digits[1:])
    return digits if PHONE_RE.match(digits) else ""


def exportable(place) -> bool:
    return bool(place.street and _has_postcode(place) and place.commune)


def rows(ids, absolute_url):
    """The header, then a row per exportable place."""
    yield COLUMNS
    for place in places(ids):
        if not exportable(place):
            continue
        values = {
            "id": f"annuaire-tiers-lieux-{place.pk}",
            "pivot": UNKNOWN_SIRET,
            "nom": place.name,
            "commune": place.commune,
            "code_postal": place.postcode,
            "code_insee": place.insee_code,
            "adresse": place.street,
            "latitude": "" if place.latitude is None else place.latitude,
            "longitude": "" if place.longitude is None else place.longitude,
            "typologie": "TIERS_LIEUX",
            "telephone": international_phone(place.phone),
            "courriels": place.email,
            "site_web": place.website,
            "presentation_resume": place.summary,
            "presentation_detail": place.description,
            "source": SOURCE,
            "date_maj": place.updated_at.date().isoformat(),
            "fiche_acces_libre": place.acceslibre_url,
            "horaires": place.opening_hours,
            "prise_rdv": "",
        }
        yield [values.get(column, "") for column in COLUMNS]


# data·inclusion v1: structures
# ---------------------------------------------------------------------------------------------

INCLUSION_SOURCE = "annuaire-tiers-lieux"


def _text_between(value: str, shortest: int, longest: int) -> str | None:
    value = (value or "").strip()
    return value if shortest <= len(value) <= longest else None


def _has_postcode(place) -> bool:
    return re.fullmatch(POSTCODE_RE, place.postcode or "") is not None


def _inclusion_address(place) -> dict:
    """Where a structure or a service is, as data·inclusion v1 says it."""
    return {
        "commune": place.commune or None,
        "code_postal": place.postcode if _has_postcode(place) else None,
        "code_insee": place.insee_code or None,
        "adresse": place.street or None,
        "longitude": None if place.longitude is None else float(place.longitude),
        "latitude": None if place.latitude is None else float(place.latitude),
    }


def inclusion_structures(ids, absolute_url):
    """Every published place as a data·inclusion v1 ``Structure`` (a dict): what the directory
    knows, nothing invented (no SIRET, no network it was not told of). Places whose name the
    schema refuses (under 3 or over 150 characters) are left out."""
    page_url = page_urls(absolute_url)
    for place in places(ids):
        name = _text_between(place.name, 3, 150)
        if name is None:
            continue
        yield {
            "source": INCLUSION_SOURCE,
            "id": f"{INCLUSION_SOURCE}--{place.pk}",
            "nom": name,
            "date_maj": place.updated_at.date().isoformat(),
            "description": _text_between(place.description or place.summary, 5, 10_000),
            "lien_source": page_url(place),
            "siret": None,
            **_inclusion_address(place),
            "complement_adresse": None,
            "telephone": place.phone or None,
            "courriel": place.email or None,
            "site_web": place.website or None,
            "horaires_accueil": place.opening_hours or None,
            "accessibilite_lieu": place.acceslibre_url or None,
            "reseaux_porteurs": None,
        }


# data·inclusion v1: services (the activities that are services)
# ---------------------------------------------------------------------------------------------

# Activity kind → data·inclusion service type; other kinds (events, markets…) are not services.
SERVICE_TYPES = {
    "permanence": "information",
    "accompagnement": "accompagnement",
    "formation": "formation",
}


def inclusion_services(ids, absolute_url):
    """Every permanence, accompaniment and training of the places as a data·inclusion v1
    ``Service``. Illustrative demo activities are never exported: they are not services."""
    page_url = page_urls(absolute_url)
    for place in places(ids):
        structure = f"{INCLUSION_SOURCE}--{place.pk}"
        for activity in place.activity_list:
            service_type = SERVICE_TYPES.get(activity.kind)
            title = _text_between(activity.title, 3, 150)
            if service_type is None or title is None or activity.provenance == DEMO_PROVENANCE:
                continue
            description = _text_between(activity.description, 5, 10_000)
            publics = sorted(activity.audiences)  # our audiences are data·inclusion's publics
            yield {
                "source": INCLUSION_SOURCE,
                "structure_id": structure,
                "id": f"{structure}--{activity.pk}",
                "nom": title,
                "description": description or f"{title} — {place.name}",
                "lien_source": page_url(place),
                "date_maj": place.updated_at.date().isoformat(),
                "type": service_type,
                "frais": "gratuit" if activity.is_free else "payant",
                "publics": publics or None,
                **_inclusion_address(place),
                "modes_accueil": ["en-presentiel"],
                "lien_mobilisation": activity.registration_url or None,
                "horaires_accueil": None,
            }
