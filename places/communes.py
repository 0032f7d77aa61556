"""The French communes (``data/communes-2026.csv``): loading, and the accent- and case-blind
lookup the commune fields' autocomplete uses.

Source: INSEE, Code officiel géographique 2026 (Licence Ouverte 2.0), as published in
``@etalab/decoupage-administratif`` 6.0.0; town-centre coordinates from GeoNames (CC BY 4.0) for
8,102 communes. Credit: « Communes : INSEE, COG 2026 (Licence Ouverte 2.0) ; coordonnées :
GeoNames (CC BY 4.0) ».
"""

import csv
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from places.models import Commune, Department

CREDIT = "Communes : INSEE, COG 2026 (Licence Ouverte 2.0) ; coordonnées : GeoNames (CC BY 4.0)"
DEFAULT_PATH = Path(settings.BASE_DIR) / "data" / "communes-2026.csv"
COLUMNS = {"insee", "nom", "departement", "epci_siren", "epci_nom", "codes_postaux", "population"}
LIMIT = 10


def normalise(text: str) -> str:
    """« Saint-Étienne-du-Rouvray » → « saint etienne du rouvray »; « L'Haÿ » → « l hay »."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    plain = plain.replace("œ", "oe").replace("æ", "ae")
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def _fingerprint(communes) -> str:
    """A digest of what the table holds for these communes, to skip a load that changes nothing."""
    import hashlib

    digest = hashlib.sha256()
    for c in sorted(communes, key=lambda commune: commune.insee):
        latitude = "" if c.latitude is None else f"{Decimal(c.latitude):.6f}"
        longitude = "" if c.longitude is None else f"{Decimal(c.longitude):.6f}"
        row = (c.insee, c.name, c.department_code, c.epci_siren, c.epci_name)
        row += (str(c.population), "|".join(c.postcodes), latitude, longitude)
        digest.update("\x1f".join(row).encode() + b"\x1e")
    return digest.hexdigest()


@transaction.atomic
def load(path: Path = DEFAULT_PATH, force: bool = False) -> dict:
    """Create or update every commune of the file (idempotent); remove those it no longer has
    (merged communes). Returns counts; ``unchanged`` when the table already held the file."""
    with open(path, encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        missing = COLUMNS - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing columns {', '.join(sorted(missing))}")
        departments = dict(Department.objects.values_list("code", "pk"))
        communes = [
            Commune(
                insee=row["insee"],
                name=row["nom"],
                search_name=normalise(row["nom"]),
                department_code=row["departement"],
                department_id=departments.get(row["departement"]),
                epci_siren=row["epci_siren"],
                epci_name=row["epci_nom"],
                postcodes=[code for code in row["codes_postaux"].split("|") if code],
                population=int(row["population"] or 0),
                latitude=_decimal(row.get("latitude", "")),
                longitude=_decimal(row.get("longitude", "")),
            )
            for row in reader
        ]
    located = sum(1 for c in communes if c.latitude is not None)
    if not force and _fingerprint(communes) == _fingerprint(Commune.objects.all()):
        return {"communes": len(communes), "located": located, "removed": 0, "unchanged": True}
    fields = [
        "name",
        "search_name",
        "department_code",
        "department",
        "epci_siren",
        "epci_name",
        "postcodes",
        "population",
        "latitude",
        "longitude",
    ]
    Commune.objects.bulk_create(
        communes,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["insee"],
        update_fields=fields,
    )
    removed, _ = Commune.objects.exclude(insee__in=[c.insee for c in communes]).delete()
    # statistics now, not whenever autovacuum comes: the next queries' plans depend on them
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Commune._meta.db_table}")
    return {"communes": len(communes), "located": located, "removed": removed, "unchanged": False}


def search(text: str, limit: int = LIMIT) -> list[Commune]:
    """Communes whose name starts with the words typed (accents, case and hyphens ignored), or
    whose postcode or INSEE code starts with the digits typed; the most populous first."""
    text = text.strip()[:100]
    if re.fullmatch(r"\d{2,5}|2[abAB]\d{0,3}", text):
        if len(text) == 5:
            found = Commune.objects.filter(Q(postcodes__overlap=[text]) | Q(insee=text.upper()))
        else:  # a beginning: of an INSEE code, or of a commune's (first) postcode
            found = Commune.objects.filter(
                Q(insee__startswith=text.upper()) | Q(postcodes__0__startswith=text)
            )
        return list(found.order_by("-population", "name")[:limit])
    query = normalise(text)
    if len(query) < 2:
        return []
    return list(
        Commune.objects.filter(search_name__startswith=query).order_by("-population", "name")[
            :limit
        ]
    )
