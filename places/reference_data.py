"""Sourced facts about Le Wip, and illustrative demo partnerships and activities.

Le Wip's facts come from one article (cited in its provenance); nothing else is stated about it.
The demo rows are illustrations so that every page and filter has something to show: their
provenance says so, and pages show that provenance wherever they appear. The partners are real
public bodies; the relations with these places are not claims.
"""

from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from places.history import Source, recording
from places.importing import SOURCE_NAME
from places.models import (
    ActivityKind,
    Audience,
    Department,
    Family,
    Lifecycle,
    Partner,
    PartnerLevel,
    PartnershipKind,
    Place,
    Region,
    SpaceKind,
)

# Stored in French with the rows (exports carry it as is); pages translate it
DEMO_PROVENANCE = gettext_noop("Donnée d'illustration (fictive), pas une information sur ce lieu")

LE_WIP_SOURCE_ID = "1500"
LE_WIP_ARTICLE = (
    "Horizons publics, dossier « Quand l'action publique entre en synergie avec la dynamique des "
    "tiers-lieux », 4 avril 2022 : friche de l'ancien atelier électrique de la Société "
    "Métallurgique de Normandie, deux hectares, 3 000 m² d'espaces, ouvert à tous."
)
LE_WIP = {
    "name": "Le Wip",
    "summary": (
        "Sur la friche de l'ancien atelier électrique de la Société Métallurgique de Normandie, "
        "3 000 m² d'espaces ouverts à tous : événementiel, restauration, Micro-Folie, création "
        "artistique, ateliers."
    ),
    "families": [Family.CULTUREL],
    "lifecycle": Lifecycle.OUVERT,
    "former_use": (
        "Ancien atelier électrique de la Société Métallurgique de Normandie (friche industrielle)."
    ),
    "land_area": 20_000,
    "built_area": 3_000,
    "open_to_public": True,
    "access_notes": "Ouvert à tous.",
    "provenance_note": LE_WIP_ARTICLE,
}
LE_WIP_SPACES = [
    ("Espace événementiel", SpaceKind.EVENEMENTIEL),
    ("Restaurant", SpaceKind.RESTAURATION),
    ("Micro-Folie", SpaceKind.MICRO_FOLIE),
    ("Espaces de création artistique", SpaceKind.CREATION_ARTISTIQUE),
    ("Ateliers", SpaceKind.ATELIER),
]

# Real public bodies: (slug, name, level, département code, région code, website)
PARTNERS = [
    ("france-travail", "France Travail", PartnerLevel.OPERATEUR, None, None, "https://www.francetravail.fr/"),
    ("anct", "Agence nationale de la cohésion des territoires (ANCT)", PartnerLevel.OPERATEUR, None, None, "https://agence-cohesion-territoires.gouv.fr/"),
    ("ministere-de-la-culture", "Ministère de la Culture", PartnerLevel.ETAT, None, None, "https://www.culture.gouv.fr/"),
    ("spip-du-calvados", "SPIP du Calvados", PartnerLevel.JUSTICE, "14", None, ""),
    ("spip-de-loire-atlantique", "SPIP de Loire-Atlantique", PartnerLevel.JUSTICE, "44", None, ""),
    ("region-normandie", "Région Normandie", PartnerLevel.REGION, None, "28", "https://www.normandie.fr/"),
    ("departement-du-calvados", "Département du Calvados", PartnerLevel.DEPARTEMENT, "14", None, "https://www.calvados.fr/"),
    ("nantes-metropole", "Nantes Métropole", PartnerLevel.INTERCOMMUNALITE, "44", None, "https://metropole.nantes.fr/"),
    ("ville-de-grenoble", "Ville de Grenoble", PartnerLevel.COMMUNE, "38", None, "https://www.grenoble.fr/"),
    ("region-hauts-de-france", "Région Hauts-de-France", PartnerLevel.REGION, None, "32", "https://www.hautsdefrance.fr/"),
    ("caf-de-paris", "Caf de Paris", PartnerLevel.AUTRE_PUBLIC, "75", None, ""),
]  # fmt: skip

# (place source id, partner slug, kind, start, end)
PARTNERSHIPS = [
    (LE_WIP_SOURCE_ID, "france-travail", PartnershipKind.INSERTION, date(2022, 1, 10), None),
    (LE_WIP_SOURCE_ID, "spip-du-calvados", PartnershipKind.TIG, date(2021, 9, 1), None),
    (LE_WIP_SOURCE_ID, "ministere-de-la-culture", PartnershipKind.CULTURE, date(2020, 6, 1), None),
    (LE_WIP_SOURCE_ID, "anct", PartnershipKind.LABEL, date(2020, 1, 1), None),
    (LE_WIP_SOURCE_ID, "region-normandie", PartnershipKind.FINANCEMENT, date(2019, 3, 1), date(2021, 12, 31)),
    (LE_WIP_SOURCE_ID, "departement-du-calvados", PartnershipKind.LOCAUX, date(2023, 2, 1), None),
    ("1", "nantes-metropole", PartnershipKind.COMMANDE_PUBLIQUE, date(2022, 5, 1), None),
    ("1", "spip-de-loire-atlantique", PartnershipKind.TIG, date(2023, 1, 15), None),
    ("1", "france-travail", PartnershipKind.FORMATION, date(2021, 10, 1), date(2022, 6, 30)),
    ("2", "caf-de-paris", PartnershipKind.SERVICES_PUBLICS, date(2022, 9, 1), None),
    ("3", "region-hauts-de-france", PartnershipKind.FINANCEMENT, date(2020, 4, 1), None),
    ("3", "france-travail", PartnershipKind.INSERTION, date(2023, 3, 1), None),
    ("4", "ville-de-grenoble", PartnershipKind.JUSTICE, date(2022, 11, 1), None),
    ("4", "anct", PartnershipKind.AUTRE, date(2021, 2, 1), None),
]  # fmt: skip

# What the TIG and insertion demo partnerships would tell an agent (illustrative, like them; no
# contact address: an invented one on a real place would mislead).
DETAILS = {
    (LE_WIP_SOURCE_ID, "spip-du-calvados"): {
        "posts": 2,
        "minors_accepted": False,
        "tasks": "Entretien des espaces extérieurs, manutention lors des événements",
        "supervision": "Un salarié référent, formé à l'accueil des personnes en TIG",
    },
    (LE_WIP_SOURCE_ID, "france-travail"): {
        "audiences_received": [Audience.DEMANDEURS_EMPLOI, Audience.JEUNES],
        "programme": "cej",
    },
    ("1", "spip-de-loire-atlantique"): {"posts": 1, "minors_accepted": True},
}

# (place source id, title, kind, audiences, recurrence, partner slug of its partnership or None)
ACTIVITIES = [
    (LE_WIP_SOURCE_ID, "Accueil de personnes en TIG", ActivityKind.ACCOMPAGNEMENT, [Audience.JURIDIQUE], "Sur convention, toute l'année", "spip-du-calvados"),
    (LE_WIP_SOURCE_ID, "Permanence emploi", ActivityKind.PERMANENCE, [Audience.DEMANDEURS_EMPLOI, Audience.JEUNES], "Chaque mardi, 9 h – 12 h", "france-travail"),
    (LE_WIP_SOURCE_ID, "Visite de la Micro-Folie", ActivityKind.EVENEMENT, [Audience.TOUS_PUBLICS, Audience.FAMILLES], "Le premier samedi du mois", "ministere-de-la-culture"),
    (LE_WIP_SOURCE_ID, "Chantier de rénovation des ateliers", ActivityKind.CHANTIER, [Audience.MINIMAS_SOCIAUX], "", None),
    ("1", "Atelier numérique pour seniors", ActivityKind.ATELIER, [Audience.SENIORS], "Chaque jeudi, 14 h – 16 h", None),
    ("2", "Permanence d'accès aux droits", ActivityKind.PERMANENCE, [Audience.FAMILLES, Audience.EXILEES], "Un mercredi sur deux", "caf-de-paris"),
    ("3", "Formation découverte des métiers du numérique", ActivityKind.FORMATION, [Audience.DEMANDEURS_EMPLOI, Audience.FEMMES], "", "france-travail"),
    ("4", "Résidence d'artistes", ActivityKind.RESIDENCE, [Audience.TOUS_PUBLICS, Audience.ETUDIANTS], "", None),
    ("4", "Marché de producteurs", ActivityKind.MARCHE, [Audience.TOUS_PUBLICS, Audience.ACTIFS, Audience.HANDICAP, Audience.QPV_FRR], "Le dernier vendredi du mois", None),
    ("1", "Soirée de présentation", ActivityKind.AUTRE, [Audience.TOUS_PUBLICS], "", None),
]  # fmt: skip


def census_place(source_id: str) -> Place | None:
    return Place.objects.filter(source_name=SOURCE_NAME, source_id=source_id).first()


@transaction.atomic
def enrich_le_wip() -> Place | None:
    """Add the article's facts to the census row of Le Wip (ID 1500); idempotent."""
    place = census_place(LE_WIP_SOURCE_ID)
    if place is None:
        return None
    with recording(Source.COMMAND, "Faits sourcés (Horizons publics, 2022)"):
        if any(getattr(place, key) != value for key, value in LE_WIP.items()):
            for key, value in LE_WIP.items():
                setattr(place, key, value)
            place.save()
        for name, kind in LE_WIP_SPACES:
            place.spaces.get_or_create(name=name, defaults={"kind": kind})
    return place


@transaction.atomic
def load_demo() -> dict:
    """Create the illustrative partners, partnerships and activities; idempotent."""
    counts = {"partners": 0, "partnerships": 0, "activities": 0}
    partners = {}
    for slug, name, level, dept, region, website in PARTNERS:
        partners[slug], created = Partner.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "level": level,
                "department": Department.objects.get(code=dept) if dept else None,
                "region": Region.objects.get(code=region) if region else None,
                "website": website,
            },
        )
        counts["partners"] += created
    places = {sid: census_place(sid) for sid in {row[0] for row in PARTNERSHIPS + ACTIVITIES}}
    partnerships = {}
    for sid, partner, kind, start, end in PARTNERSHIPS:
        if places[sid] is None:
            continue
        partnership, created = places[sid].partnerships.get_or_create(
            partner=partners[partner],
            kind=kind,
            start_date=start,
            defaults={
                "end_date": end,
                "provenance": DEMO_PROVENANCE,
                **DETAILS.get((sid, partner), {}),
            },
        )
        partnerships[(sid, partner)] = partnership
        counts["partnerships"] += created
    year = timezone.localdate().year
    for index, (sid, title, kind, audiences, recurrence, partner) in enumerate(ACTIVITIES):
        if places[sid] is None:
            continue
        starts_at = None
        if not recurrence:  # one-off activities get a date next year, so that one is upcoming
            day = date(year + 1, 1 + index % 12, 15)
            starts_at = timezone.make_aware(datetime.combine(day, time(14, 0)))
        _, created = places[sid].activities.get_or_create(
            title=title,
            defaults={
                "kind": kind,
                "audiences": audiences,
                "recurrence": recurrence,
                "starts_at": starts_at,
                "partnership": partnerships.get((sid, partner)),
                "provenance": DEMO_PROVENANCE,
            },
        )
        counts["activities"] += created
    return counts
