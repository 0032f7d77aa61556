"""Synthetic places for load tests (`manage.py generate_places`), never loaded by `make run`.

Every row says it is synthetic: places carry SOURCE_NAME and a provenance note, partners a
"(fictif)" name and a ``synthetique-`` slug, partnerships and activities the SYNTHETIC provenance.
Names and communes are made up from a small French-looking vocabulary that avoids the words of
the real census used by the search relevance set, so that real places stay findable among them.
Proportions follow the real census where it has data (families: about three coworkings for one
fablab; every place has coordinates), and are set by hand where it has none (spaces,
partnerships, activities), high enough that every filter has work to do.
"""

import datetime
import random
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Avg
from django.utils import timezone
from django.utils.text import slugify

from places.models import (
    Activity,
    ActivityKind,
    Audience,
    Department,
    Partner,
    PartnerLevel,
    Partnership,
    PartnershipKind,
    Place,
    PublicationStatus,
    Space,
    SpaceKind,
)
from places.search import refresh_search

SOURCE_NAME = "Données synthétiques (banc d'essai)"
SYNTHETIC = "Donnée synthétique (banc d'essai), lieu fictif"
PARTNER_SLUG_PREFIX = "synthetique-"

ROOTS = [
    "Aubrac",
    "Bellefont",
    "Brumel",
    "Calmette",
    "Chanvrier",
    "Clairval",
    "Courtil",
    "Escalade",
    "Fontenelle",
    "Genêtière",
    "Haudricourt",
    "Jonquière",
    "Lavandière",
    "Marjolet",
    "Morvaille",
    "Noiseraie",
    "Orbigny",
    "Pervenche",
    "Quincerot",
    "Roseraie",
    "Sablonnière",
    "Tilleraie",
    "Valmorel",
    "Vernelle",
    "Yvrandes",
    "Ardoisière",
    "Bruyère",
    "Cerisaie",
    "Châtaigneraie",
    "Eglantine",
    "Fougeraie",
    "Houblonnière",
    "Luzerne",
    "Mirabelle",
    "Noisetier",
    "Oseraie",
]
COMMUNE_FORMS = [
    "{root}",
    "Saint-{root}",
    "Sainte-{root}",
    "{root}-sur-Loing",
    "{root}-les-Bois",
    "{root}-en-Vallée",
    "Le {root}",
    "La {root}",
    "{root}-le-Vieux",
    "Mont-{root}",
]
PLACE_FORMS = [
    ("coworking", "Espace de travail {root}"),
    ("coworking", "Les Bureaux du {root}"),
    ("coworking", "Cotravail {commune}"),
    ("coworking", "Le Quai {root}"),
    ("fablab", "Atelier numérique {root}"),
    ("fablab", "Labo de fabrication {commune}"),
    ("ateliers-artisanaux", "Les Établis {root}"),
    ("culturel", "La Halle {root}"),
    ("nourricier", "Jardin partagé {root}"),
    ("livinglab", "Laboratoire citoyen {root}"),
]
# Families drawn as in the real census (about 74 % coworking, 23 % fablab), with a few others.
FAMILY_WEIGHTS = {
    "coworking": 70,
    "fablab": 22,
    "ateliers-artisanaux": 3,
    "culturel": 2,
    "nourricier": 2,
    "livinglab": 1,
}
SHARE_WITH_SPACES = 0.4
SHARE_WITH_PARTNERSHIPS = 0.2
SHARE_WITH_ACTIVITIES = 0.1
PARTNER_COUNT = 150
BATCH = 5000


@dataclass
class Generated:
    places: int = 0
    spaces: int = 0
    partnerships: int = 0
    activities: int = 0
    partners: int = 0


def _centroids() -> dict[int, tuple[float, float]]:
    """Mean coordinates of the real places of each département (France's centre otherwise)."""
    rows = (
        Place.objects.exclude(source_name=SOURCE_NAME)
        .filter(latitude__isnull=False)
        .values("department")
        .annotate(lat=Avg("latitude"), lon=Avg("longitude"))
    )
    return {row["department"]: (float(row["lat"]), float(row["lon"])) for row in rows}


def _codes(department: Department, rng: random.Random) -> tuple[str, str]:
    """A postcode and INSEE code of the département's shape (they pass the model's checks)."""
    code = department.code
    if code in ("2A", "2B"):
        number = rng.randint(1, 366)
        return f"20{rng.randint(0, 2)}{rng.randint(0, 9)}0", f"{code}{number:03d}"
    if code.startswith("97"):
        number = rng.randint(1, 34)
        return f"{code}{number:02d}", f"{code}{number:02d}"
    number = rng.randint(1, 899)
    return f"{code}{number:03d}", f"{code}{number:03d}"


@transaction.atomic
def generate(count: int, seed: int = 2026) -> Generated:
    """Add ``count`` published synthetic places with their parts, in bulk, then their search
    columns. Idempotent per row number: a second run adds places after the existing ones."""
    rng = random.Random(seed + Place.objects.filter(source_name=SOURCE_NAME).count())
    start = Place.objects.filter(source_name=SOURCE_NAME).count()
    departments = list(Department.objects.all())
    centroids = _centroids()
    families, weights = zip(*FAMILY_WEIGHTS.items(), strict=True)
    today = timezone.localdate()
    result = Generated()

    partners = _partners(rng, departments)
    result.partners = len(partners)
    new_ids = []

    for offset in range(0, count, BATCH):
        places = []
        for number in range(start + offset, start + min(offset + BATCH, count)):
            department = rng.choice(departments)
            root = rng.choice(ROOTS)
            commune = rng.choice(COMMUNE_FORMS).format(root=rng.choice(ROOTS))
            family = rng.choices(families, weights)[0]
            forms = [form for fam, form in PLACE_FORMS if fam == family] or [PLACE_FORMS[0][1]]
            name = rng.choice(forms).format(root=root, commune=commune)
            lat, lon = centroids.get(department.pk, (46.6, 2.4))
            postcode, insee = _codes(department, rng)
            places.append(
                Place(
                    name=name,
                    slug=f"{slugify(name)}-{number}",
                    summary="Lieu fictif, généré pour les essais de charge de l'annuaire.",
                    families=[family],
                    status=PublicationStatus.PUBLISHED,
                    commune=commune,
                    postcode=postcode,
                    insee_code=insee,
                    department=department,
                    latitude=round(lat + rng.uniform(-0.3, 0.3), 6),
                    longitude=round(lon + rng.uniform(-0.3, 0.3), 6),
                    built_area=rng.choice([None, rng.randint(40, 4000)]),
                    open_to_public=rng.choice([None, True, False]),
                    source_name=SOURCE_NAME,
                    source_id=f"synthetique-{number}",
                    provenance_note=SYNTHETIC,
                )
            )
        Place.objects.bulk_create(places, batch_size=1000)
        result.places += len(places)
        spaces, partnerships, activities = [], [], []
        for place in places:
            if rng.random() < SHARE_WITH_SPACES:
                for _ in range(rng.randint(1, 4)):
                    kind = rng.choice(SpaceKind.values)
                    spaces.append(
                        Space(
                            place=place,
                            name=f"Espace {rng.randint(1, 40)}",
                            kind=kind,
                            surface=rng.randint(10, 600),
                            capacity=rng.randint(2, 120),
                            bookable=rng.random() < 0.5,
                        )
                    )
            if rng.random() < SHARE_WITH_PARTNERSHIPS:
                for partner in rng.sample(partners, rng.randint(1, 2)):
                    started = today - datetime.timedelta(days=rng.randint(0, 1800))
                    ended = rng.random() < 0.3
                    partnerships.append(
                        Partnership(
                            place=place,
                            partner=partner,
                            kind=rng.choice(PartnershipKind.values),
                            start_date=started,
                            end_date=started + datetime.timedelta(days=365) if ended else None,
                            provenance=SYNTHETIC,
                        )
                    )
            if rng.random() < SHARE_WITH_ACTIVITIES:
                for _ in range(rng.randint(1, 3)):
                    kind = rng.choice(ActivityKind.values)
                    activities.append(
                        Activity(
                            place=place,
                            title=f"Rendez-vous {rng.randint(1, 40)} ({place.commune})",
                            kind=kind,
                            audiences=rng.sample(Audience.values, rng.randint(1, 3)),
                            recurrence="chaque semaine",
                            provenance=SYNTHETIC,
                        )
                    )
        Space.objects.bulk_create(spaces, batch_size=2000)
        Partnership.objects.bulk_create(partnerships, batch_size=2000)
        Activity.objects.bulk_create(activities, batch_size=2000)
        result.spaces += len(spaces)
        result.partnerships += len(partnerships)
        result.activities += len(activities)
        new_ids += [place.pk for place in places]
    refresh_search(new_ids)  # one statement: far faster than one per batch
    return result


def vacuum_analyze():
    """Fresh statistics and visibility map after a bulk load (counts can then use index-only
    scans). VACUUM cannot run inside a transaction: there (tests), statistics only."""
    tables = "places_place, places_space, places_partnership, places_activity"
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute(f"ANALYZE {tables}")
        else:
            cursor.execute(f"VACUUM (ANALYZE) {tables}")


def _partners(rng: random.Random, departments) -> list[Partner]:
    existing = list(Partner.objects.filter(slug__startswith=PARTNER_SLUG_PREFIX))
    if existing:
        return existing
    partners = []
    for number in range(PARTNER_COUNT):
        level = rng.choice(PartnerLevel.values)
        department = rng.choice(departments)
        name = f"Partenaire fictif n° {number} ({PartnerLevel(level).label})"
        partners.append(
            Partner(
                name=name,
                slug=f"{PARTNER_SLUG_PREFIX}{slugify(name)}",
                level=level,
                department=department,
            )
        )
    return Partner.objects.bulk_create(partners)


@transaction.atomic
def delete_generated() -> int:
    """Remove every synthetic place, its parts and the synthetic partners (SQL, no signals)."""
    synthetic = "SELECT id FROM places_place WHERE source_name = %s"
    with connection.cursor() as cursor:
        for table in ("places_activity", "places_partnership", "places_space", "places_photo"):
            cursor.execute(f"DELETE FROM {table} WHERE place_id IN ({synthetic})", [SOURCE_NAME])
        cursor.execute("DELETE FROM places_place WHERE source_name = %s", [SOURCE_NAME])
        deleted = cursor.rowcount
        cursor.execute(
            "DELETE FROM places_partner p WHERE slug LIKE %s AND NOT EXISTS "
            "(SELECT 1 FROM places_partnership s WHERE s.partner_id = p.id)",
            [PARTNER_SLUG_PREFIX + "%"],
        )
    return deleted
