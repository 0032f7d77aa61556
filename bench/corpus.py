"""The varied scenario's corpus: distinct query strings generated from the data, as a long tail
of visitors would type them (words of names and communes, typos of the commonest words, filter
combinations, words with filters, late pages). Every query string is distinct and no two share
their words and filters (late pages use combinations of their own), so that, on a fresh data
version, no request reads a figure another one computed: each is a cold request."""

import random
import string
from dataclasses import dataclass
from urllib.parse import urlencode

import psycopg

KINDS = ("word", "typo", "common", "filters", "word_filters", "late_page")


@dataclass(frozen=True)
class Request:
    kind: str
    path: str
    words: str = ""  # the words searched, for the peer (the stock admin searching them)


def _typo(word: str, rng: random.Random) -> str:
    """One slip of the keyboard: a letter dropped, doubled, swapped with the next, or replaced."""
    i = rng.randrange(1, len(word) - 1)
    slip = rng.choice(("drop", "double", "swap", "replace"))
    if slip == "drop":
        return word[:i] + word[i + 1 :]
    if slip == "double":
        return word[:i] + word[i] + word[i:]
    if slip == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1 :]


def _vocabulary(conninfo: str) -> dict:
    with psycopg.connect(conninfo) as connection:

        def column(sql: str) -> list:
            return [row[0] for row in connection.execute(sql).fetchall()]

        published = "status = 'published'"
        return {
            "common": column(
                "SELECT word FROM places_searchword WHERE length(word) >= 6 "
                "ORDER BY places DESC, word LIMIT 30"
            ),
            "words": column(
                "SELECT DISTINCT lower(w) FROM places_place, "
                "regexp_split_to_table(name || ' ' || commune, '[^[:alpha:]]+') AS w "
                f"WHERE {published} AND length(w) >= 5 ORDER BY 1"
            ),
            "regions": column("SELECT slug FROM places_region ORDER BY slug"),
            "departments": column("SELECT code FROM places_department ORDER BY code"),
            "partners": column("SELECT slug FROM places_partner ORDER BY slug"),
        }


FAMILIES = ["coworking", "fablab", "ateliers-artisanaux", "culturel", "foodlab", "nourricier"]
KINDS_OF_PARTNERSHIP = ["insertion", "tig", "formation", "culture", "label", "locaux"]
SPACES = ["atelier", "salle-reunion", "coworking", "evenementiel", "restauration"]
LEVELS = ["justice", "operateur", "region", "commune"]
ACTIVITIES = ["atelier", "permanence", "formation", "evenement"]
AUDIENCES = ["jeunes", "demandeurs-emploi", "seniors", "tous-publics"]


def generate(conninfo: str, count: int, seed: int = 2026) -> list[Request]:
    """``count`` distinct requests, mixed over KINDS, reproducible for a seed and data, from the
    database at ``conninfo`` (a URL or libpq key=value string)."""
    rng = random.Random(seed)
    vocabulary = _vocabulary(conninfo)
    words = vocabulary["words"][:]
    rng.shuffle(words)
    words = iter(words)
    seen_paths, seen_sets = set(), set()

    def filters() -> dict:
        choice = rng.random()
        params: dict[str, list[str]] = {}
        if choice < 0.5:
            params["region"] = [rng.choice(vocabulary["regions"])]
        else:
            params["departement"] = [rng.choice(vocabulary["departments"])]
        extra = rng.sample(
            ["famille", "partenariat", "espace", "ouvert", "niveau", "activite", "public"],
            rng.randint(1, 2),
        )
        for name in extra:
            params[name] = {
                "famille": lambda: rng.sample(FAMILIES, rng.randint(1, 2)),
                "partenariat": lambda: [rng.choice(KINDS_OF_PARTNERSHIP)],
                "espace": lambda: [rng.choice(SPACES)],
                "ouvert": lambda: ["1"],
                "niveau": lambda: [rng.choice(LEVELS)],
                "activite": lambda: [rng.choice(ACTIVITIES)],
                "public": lambda: [rng.choice(AUDIENCES)],
            }[name]()
        return params

    def add(kind: str, params: dict, words_searched: str = "") -> bool:
        key = tuple(sorted((k, tuple(v)) for k, v in params.items() if k != "page"))
        path = "/lieux/?" + urlencode(params, doseq=True)
        if path in seen_paths or key in seen_sets:
            return False
        seen_paths.add(path)
        seen_sets.add(key)
        requests.append(Request(kind, path, words_searched))
        return True

    requests: list[Request] = []
    weights = {
        "word": 25,
        "typo": 15,
        "common": 10,
        "filters": 25,
        "word_filters": 15,
        "late_page": 10,
    }
    attempts = 0
    while len(requests) < count and attempts < count * 50:
        attempts += 1
        kind = rng.choices(list(weights), weights=list(weights.values()))[0]
        if kind == "word":
            word = next(words, None)
            if word:
                add(kind, {"q": [word]}, word)
        elif kind == "typo":
            typo = _typo(rng.choice(vocabulary["common"]), rng)
            add(kind, {"q": [typo]}, typo)
        elif kind == "common":
            word = rng.choice(vocabulary["common"])
            params = {"q": [word]}
            if rng.random() < 0.7:  # a common word with one filter: a fresh result set
                params["famille"] = [rng.choice(FAMILIES)]
            add(kind, params, word)
        elif kind == "filters":
            add(kind, filters())
        elif kind == "word_filters":
            word = rng.choice(vocabulary["common"] + vocabulary["words"][:200])
            add(kind, {"q": [word], **filters()}, word)
        else:
            params = {"region": [rng.choice(vocabulary["regions"])]}
            params["famille"] = [rng.choice(FAMILIES)]
            params["tri"] = [rng.choice(["nom", "recent", "surface"])]
            params["page"] = [str(rng.randint(5, 60))]
            add(kind, params)
    return requests


def worst(conninfo: str, count: int = 3) -> list[Request]:
    """The worst searches: the ``count`` words that most places hold (six letters or more),
    each misspelt (its middle letter dropped), to be asked before anything has ranked them."""
    requests = []
    for word in _vocabulary(conninfo)["common"][:count]:
        middle = len(word) // 2
        typo = word[:middle] + word[middle + 1 :]
        requests.append(Request("typo", "/lieux/?" + urlencode({"q": typo}), typo))
    return requests
