"""Search relevance on the real census: each query must bring the expected place(s) into the first
five results of /lieux/?q=… (names, communes with and without accents, typos, partial words,
family words, département and région names)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

# (query, expected place names, each in the first 5 results; a (name, commune) pair when the
# name alone is ambiguous)
RELEVANCE = [
    ("le wip", ["Le Wip"]),
    ("Le Wip", ["Le Wip"]),
    ("colombelles", ["Le Wip", "Forum Digital"]),
    ("colombeles", ["Le Wip"]),
    ("COLOMBELLES", ["Le Wip"]),
    ("wip colombelles", ["Le Wip"]),
    ("micro-folie", ["Fablab Micro-Folie Sevran", "Le Wip"]),
    ("friche", ["Friche Lamartine"]),
    ("fablab renes", ["TéléFab Rennes"]),
    ("fablab rennes", ["TéléFab Rennes"]),
    ("cowork", ["CoWork ETC"]),
    ("la ruche", [("La Ruche", "Paris")]),
    ("la ruche bordeaux", [("La Ruche", "Bordeaux")]),
    ("Marseile", ["Fablab Marseille"]),
    ("fablab marseille", ["Fablab Marseille"]),
    ("montpelier", ["Cowork'in Montpellier"]),
    ("Saint-Étienne", ["La Bricoleuse"]),
    ("saint etienne", ["La Bricoleuse"]),
    ("ecole ldlc", ["Ecole LDLC"]),
    ("école", ["Ecole LDLC"]),
    ("metz", ["Le Poulailler - Coworking Metz"]),
    ("poulailler", ["Le Poulailler - Coworking Metz"]),
    ("caen", ["Hey! Coworking", "Le Dôme"]),
    ("le dome caen", ["Le Dôme"]),
    ("dôme", ["Le Dôme"]),
    ("Réunion fablab", ["FabLab Réunion"]),
    ("reunion fablab", ["FabLab Réunion"]),
    ("guadeloupe", ["Le Fablab de Jarry"]),
    ("fablab ajaccio", ["Fab Lab Ajaccio"]),
    ("tiers-lieu gascogne", ["Tiers-Lieu de Gascogne"]),
    ("tiers lieux bigorre", ["La Câblerie - Tiers-Lieux en Bigorre"]),
    ("cablerie", ["La Câblerie - Tiers-Lieux en Bigorre"]),
    ("carrefour numerique", ["Carrefour Numérique²"]),
    ("numerifab", ["Numérifab"]),
    ("seine-saint-denis coopérative", ["Coopérative Pointcarré"]),
    ("lyon croix rousse", ["Coworking Croix Rousse"]),
    ("je travaille au vert orchies", ["Je travaille au vert - Orchies"]),
    ("montreuil", ["Le 71 Montreuil"]),
]


@pytest.mark.parametrize(("query", "expected"), RELEVANCE, ids=[q for q, _ in RELEVANCE])
def test_expected_places_in_the_first_five(client, census_reader, query, expected):
    response = client.get(reverse("places:list"), {"q": query})
    assert response.status_code == 200
    top = [(place.name, place.commune) for place in response.context["places"][:5]]
    for wanted in expected:
        if isinstance(wanted, tuple):
            assert wanted in top, (query, wanted, top)
        else:
            assert wanted in [name for name, _ in top], (query, wanted, top)


def test_the_relevance_set_is_large_enough():
    assert len(RELEVANCE) >= 30
