"""The search relevance set, written from the real census: each query must bring the expected
place(s) into the first five results (names, communes with and without accents, typos, partial
words, family words, département and région names). Checked by tests/test_relevance.py on the real
data and by `make bench` (bench/run.py) among 100,000 synthetic places."""

from places.filters import PlaceFilter
from places.models import Place

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


def top_five(query: str) -> list[tuple[str, str]]:
    """(name, commune) of the first five results of /lieux/?q=query (the directory's FilterSet)."""
    filterset = PlaceFilter({"q": query}, queryset=Place.objects.published())
    return list(filterset.qs.values_list("name", "commune")[:5])


def misses() -> list[str]:
    """Every expected place missing from the first five of its query, as a readable line."""
    found = []
    for query, expected in RELEVANCE:
        top = top_five(query)
        names = [name for name, _ in top]
        for wanted in expected:
            if (wanted not in top) if isinstance(wanted, tuple) else (wanted not in names):
                found.append(f"{query!r}: {wanted} not in {top}")
    return found
