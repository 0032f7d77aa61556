"""Full-text search over places, in French, blind to accents and case.

Each place stores two search columns, refreshed by ``refresh_search`` whenever the place or one
of its parts changes (places.signals) and after an import:

* ``search_vector``: a tsvector in the ``tierslieux_fr`` configuration (``unaccent`` then the
  French stemmer, created by migration 0004), weighted A name, B territory and families,
  C summary, spaces, partners and activities, D description and former use;
* ``search_text``: the same short fields unaccented and lower-cased, for the trigram fallback
  (``pg_trgm``) that lets typos still find a place ("colombeles", "fablab renes").

A query is cut into words (letters and digits only, so tsquery syntax such as ``!(&:*`` cannot
reach PostgreSQL); every word must match, either as a prefix of a stemmed word ("cowork" finds
"coworking") or, for words of four letters or more, by trigram word similarity. French stop
words ("le", "de") are not required. Results are ranked by ``ts_rank`` plus trigram similarity.
"""

import json
import re
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.models import (
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    TextField,
    Value,
)
from django.db.models.lookups import Exact
from django.utils import translation

from places.models import Family, PartnershipKind

CONFIG = "tierslieux_fr"
MAX_QUERY_CHARS = 200
MAX_WORDS = 8
TRIGRAM_MIN_LENGTH = 4
# Marks around matched words in a snippet; turned into <mark> after HTML escaping.
MARK_START, MARK_STOP = "\ue000", "\ue001"

_WORD_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Query:
    """What the search understood of ``q``: its words, and whether it was cut."""

    words: tuple[str, ...]
    truncated: bool

    def __bool__(self):
        return bool(self.words)


def parse(text: str) -> Query:
    text = text or ""
    words = _WORD_RE.findall(text[:MAX_QUERY_CHARS].lower())
    truncated = len(text) > MAX_QUERY_CHARS or len(words) > MAX_WORDS
    return Query(tuple(dict.fromkeys(words))[:MAX_WORDS], truncated)


def _plain(word: str) -> str:
    """The word without accents, as ``unaccent`` writes the stored ``search_text``."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _tsquery(words, operator) -> SearchQuery:
    text = f" {operator} ".join(f"{word}:*" for word in words)
    return SearchQuery(text, config=CONFIG, search_type="raw")


def search(queryset, query: Query):
    """``queryset`` narrowed to the places matching every word, annotated with ``rank`` and
    ``snippet`` (summary or description around the matched words)."""
    if not query:
        return queryset
    for word in query.words:
        word_query = _tsquery([word], "")
        # A stop word gives an empty tsquery (numnode = 0): it is not required. PostgreSQL
        # folds that test at plan time since to_tsquery(regconfig, text) is immutable.
        condition = Q(
            Exact(Func(word_query, function="numnode", output_field=IntegerField()), 0)
        ) | Q(search_vector=word_query)
        if len(word) >= TRIGRAM_MIN_LENGTH:
            condition |= Q(search_text__trigram_word_similar=_plain(word))
        queryset = queryset.filter(condition)
    any_word = _tsquery(query.words, "|")
    # Relevance: the weighted text rank, once more for the words found next to each other in
    # order ("france travail"), plus how closely each word is found (mean trigram word
    # similarity), which ranks a place named or located by the query words first.
    similarity = sum(
        (TrigramWordSimilarity(_plain(word), "search_text") for word in query.words),
        start=Value(0.0),
    ) / Value(float(len(query.words)))
    rank = (
        SearchRank(F("search_vector"), any_word)
        + SearchRank(F("search_vector"), _tsquery(query.words, "<->"))
        + similarity
    )
    snippet = SearchHeadline(
        Func(Value(" "), F("summary"), F("description"), function="concat_ws"),
        any_word,
        config=CONFIG,
        start_sel=MARK_START,
        stop_sel=MARK_STOP,
        max_words=30,
        min_words=10,
        max_fragments=2,
        fragment_delimiter=" … ",
    )
    return queryset.annotate(
        rank=ExpressionWrapper(rank, output_field=FloatField()),
        snippet=ExpressionWrapper(snippet, output_field=TextField()),
    )


def labels_json(choices) -> str:
    """Vocabulary keys mapped to their French and English labels, for the stored documents."""
    labels = {}
    for choice in choices:
        names = []
        for language in ("fr", "en"):
            with translation.override(language):
                names.append(str(choice.label))
        labels[choice.value] = " ".join(dict.fromkeys(names))
    return json.dumps(labels)


REFRESH_SQL = f"""
UPDATE places_place AS p SET (search_vector, search_text) = (
    SELECT
        setweight(to_tsvector('{CONFIG}', p.name), 'A')
        || setweight(to_tsvector('{CONFIG}', concat_ws(' ', p.commune, d.name, r.name,
                                                        fam.labels)), 'B')
        || setweight(to_tsvector('{CONFIG}', concat_ws(' ', p.summary, sp.names, pa.names,
                                                        pa.kinds, ac.titles)), 'C')
        || setweight(to_tsvector('{CONFIG}', concat_ws(' ', p.description, p.former_use)), 'D'),
        lower(unaccent(concat_ws(' ', p.name, p.commune, d.name, r.name, fam.labels, pa.names)))
    FROM places_department AS d
    JOIN places_region AS r ON r.id = d.region_id,
    LATERAL (SELECT string_agg(%(labels)s::jsonb ->> f, ' ') AS labels
             FROM unnest(p.families) AS f) AS fam,
    LATERAL (SELECT string_agg(s.name || ' ' || s.description, ' ') AS names
             FROM places_space s WHERE s.place_id = p.id) AS sp,
    LATERAL (SELECT string_agg(DISTINCT pr.name, ' ') AS names,
                    string_agg(DISTINCT %(kinds)s::jsonb ->> ps.kind, ' ') AS kinds
             FROM places_partnership ps JOIN places_partner pr ON pr.id = ps.partner_id
             WHERE ps.place_id = p.id) AS pa,
    LATERAL (SELECT string_agg(a.title, ' ') AS titles
             FROM places_activity a WHERE a.place_id = p.id) AS ac
    WHERE d.id = p.department_id
)
WHERE TRUE
"""


def refresh_search(place_ids=None, *, missing=False) -> int:
    """Recompute the search columns of these places (all places when ``None``); with
    ``missing``, also of every place that has none yet."""
    sql, params = (
        REFRESH_SQL,
        {
            "labels": labels_json(Family),
            "kinds": labels_json(PartnershipKind),
        },
    )
    if place_ids is not None:
        params["ids"] = list(place_ids)
        sql += " AND (p.id = ANY(%(ids)s)"
        sql += " OR p.search_vector IS NULL)" if missing else ")"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
