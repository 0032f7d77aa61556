"""Full-text search over places, in French, blind to accents and case.

Each place stores two search columns, refreshed by ``refresh_search`` whenever the place or one
of its parts changes (places.signals) and after an import:

* ``search_vector``: a tsvector in the ``tierslieux_fr`` configuration (``unaccent`` then the
  French stemmer, created by migration 0004), weighted A name, B territory and families,
  C summary, spaces, partners and activities, D description and former use;
* ``search_text``: the same short fields unaccented and lower-cased, for the trigram fallback
  (``pg_trgm``) that lets typos still find a place ("colombeles", "fablab renes").

A query is cut into words (letters and digits only, so tsquery syntax such as ``!(&:*`` cannot
reach PostgreSQL); every word must match: as a prefix of a stemmed word ("cowork" finds
"coworking") when some published place has it, otherwise, for words of four letters or more, by
trigram word similarity (a typo). French stop words ("le", "de") are not required. Results are
ranked by ``ts_rank`` (plus trigram similarity for the words matched despite a typo).
"""

import functools
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
    Case,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    TextField,
    Value,
    When,
)
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


def word_plan(words) -> dict[str, str]:
    """How each word will match, decided in one query: ``stop`` (a French stop word, not
    required), ``text`` (found as a prefix of a stemmed word of some published place: full-text
    match), ``typo`` (not found, four letters or more: trigram word similarity), or ``text`` again
    for a short word found nowhere (it then matches nothing, honestly)."""
    checks, params = [], []
    for word in words:
        tsquery = f"to_tsquery('{CONFIG}', %s)"
        checks.append(
            f"numnode({tsquery}) = 0, EXISTS (SELECT 1 FROM places_place WHERE status = "
            f"'published' AND search_vector @@ {tsquery})"
        )
        params += [f"{word}:*", f"{word}:*"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(checks), params)
        row = cursor.fetchone()
    plan = {}
    for index, word in enumerate(words):
        is_stop, found = row[2 * index], row[2 * index + 1]
        if is_stop:
            plan[word] = "stop"
        elif found or len(word) < TRIGRAM_MIN_LENGTH:
            plan[word] = "text"
        else:
            plan[word] = "typo"
    return plan


def search(queryset, query: Query, plan: dict[str, str] | None = None):
    """``queryset`` narrowed to the places matching every word, annotated with ``rank`` and
    ``snippet`` (summary or description around the matched words). One query decides how each
    word matches (``word_plan``, pass it to reuse it); the search itself is part of the
    queryset's own query."""
    if not query:
        return queryset
    plan = plan or word_plan(query.words)
    text_words = [word for word in query.words if plan[word] == "text"]
    typo_words = [word for word in query.words if plan[word] == "typo"]
    for word in text_words:
        queryset = queryset.filter(search_vector=_tsquery([word], ""))
    for word in typo_words:
        queryset = queryset.filter(search_text__trigram_word_similar=_plain(word))
    # Relevance: the weighted text rank (the name weighs most), once more for the words found
    # next to each other in order ("france travail"), plus, for words matched despite a typo,
    # how closely they were found.
    rank = Value(0.0)
    if text_words:
        rank = SearchRank(F("search_vector"), _tsquery(text_words, "|"))
        if len(text_words) > 1:
            rank += SearchRank(F("search_vector"), _tsquery(text_words, "<->"))
    for word in typo_words:
        rank += TrigramWordSimilarity(_plain(word), "search_text")
    key = "|" + " ".join(_plain(word) for word in query.words) + "|"
    rank += Case(When(search_key__contains=key, then=Value(1.0)), default=Value(0.0))
    highlighted = _tsquery(text_words or query.words, "|")
    snippet = SearchHeadline(
        Func(Value(" "), F("summary"), F("description"), function="concat_ws"),
        highlighted,
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


@functools.cache
def labels_json(choices) -> str:
    """Vocabulary keys mapped to their French and English labels, for the stored documents
    (the vocabularies are fixed: computed once per process)."""
    labels = {}
    for choice in choices:
        names = []
        for language in ("fr", "en"):
            with translation.override(language):
                names.append(str(choice.label))
        labels[choice.value] = " ".join(dict.fromkeys(names))
    return json.dumps(labels)


REFRESH_SQL = f"""
UPDATE places_place AS p SET (search_vector, search_text, search_quality, search_key) = (
    SELECT
        setweight(to_tsvector('{CONFIG}', p.name), 'A')
        || setweight(to_tsvector('{CONFIG}', concat_ws(' ', p.commune, d.name, r.name,
                                                        fam.labels)), 'B')
        || setweight(to_tsvector('{CONFIG}', concat_ws(' ', p.summary, sp.names, pa.names,
                                                        pa.kinds, ac.titles)), 'C')
        || setweight(to_tsvector('{CONFIG}', concat_ws(' ', p.description, p.former_use)), 'D'),
        lower(unaccent(concat_ws(' ', p.name, p.commune, d.name, r.name, fam.labels, pa.names))),
        -- how useful the record is to someone who wants to go there or get in touch
        (p.summary <> '')::int + (p.description <> '')::int + (p.street <> '')::int
        + 2 * (p.website <> '')::int + 2 * (p.email <> '' OR p.phone <> '')::int
        + (p.built_area IS NOT NULL OR p.land_area IS NOT NULL)::int
        + 2 * (p.last_verified IS NOT NULL)::int
        + (EXISTS (SELECT 1 FROM places_photo ph WHERE ph.place_id = p.id))::int,
        '|' || trim(regexp_replace(lower(unaccent(p.name)), '[^a-z0-9]+', ' ', 'g'))
        || '|' || trim(regexp_replace(lower(unaccent(p.commune)), '[^a-z0-9]+', ' ', 'g')) || '|'
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
        # a hashed semi-join: "= ANY(array)" would scan the array once per row
        sql += " AND (p.id IN (SELECT unnest(%(ids)s::bigint[]))"
        sql += " OR p.search_vector IS NULL)" if missing else ")"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
