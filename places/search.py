"""Full-text search over places, in French, blind to accents and case.

Each place stores two search columns, refreshed by ``refresh_search`` whenever the place or one
of its parts changes (places.signals) and after an import:

* ``search_vector``: a tsvector in the ``tierslieux_fr`` configuration (``unaccent`` then the
  French stemmer, created by migration 0004), weighted A name, B territory and families,
  C summary, spaces, partners and activities, D description and former use;
* ``search_text``: the same short fields unaccented and lower-cased: the source of the
  dictionary below (no index: nothing searches it directly since typos are corrected).

The dictionary (``SearchWord``) holds the words the published places contain (names, territory,
families, partners, summaries), unaccented, with how many places hold each, under a trigram
index: a few thousand rows, whatever the number of places.

A query is cut into words (letters and digits only, so tsquery syntax such as ``!(&:*`` cannot
reach PostgreSQL); every word must match, as a prefix of a stemmed word ("cowork" finds
"coworking"). A word that no published place holds is first corrected against the dictionary
("montpelier" → "montpellier", "coworkig" → "coworking"), then searched like any other word: a
typo costs what a correct word costs, never a scan of every place. French stop words ("le",
"de") are not required. Results are ranked by ``ts_rank``.
"""

import array
import functools
import json
import re
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
)
from django.core.exceptions import EmptyResultSet
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

from places.models import Family, PartnershipKind, Place, PublicationStatus, SearchWord
from tierslieux.routers import read_connection

CONFIG = "tierslieux_fr"
MAX_QUERY_CHARS = 200
MAX_WORDS = 8
# Shorter unknown words are not corrected (too many close words): they match nothing.
CORRECTION_MIN_LENGTH = 4
# How much the number of places holding a word weighs against its closeness (trigram
# similarity, 0 to 1) when correcting: near ties go to the common word.
FREQUENCY_WEIGHT = 0.02
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


@dataclass(frozen=True)
class Plan:
    """How the words of a query are searched: ``terms`` in full text (the words as typed, or
    corrected), ``corrections`` (typed → corrected), ``unknown`` (words found nowhere and
    without a correction: they match nothing). French stop words are not required."""

    terms: tuple[str, ...] = ()
    # every word, corrected, stop words included: to recognise a query that is a place's name
    words: tuple[str, ...] = ()
    corrections: tuple[tuple[str, str], ...] = ()
    unknown: tuple[str, ...] = ()


def plan(words, correct: bool = True, published: bool = True) -> Plan:
    """Decide, in one query, how each word matches: a stop word is dropped; a known word is
    searched as typed, as a prefix ("cowork" finds "coworking"); any other word of four letters
    or more is corrected against the dictionary (``SearchWord``: the words the places contain,
    with how many places hold each), when ``correct``. The dictionary is a few thousand rows
    whatever the number of places: a correction costs a few milliseconds.

    A word is known when some published place holds its stem ("colombeles" stems like
    Colombelles), or when it starts a word of the dictionary ("cowork"). A typo that merely
    starts some stem is not: "renes" (stem "ren") would find every "rencontre", it is corrected
    to "rennes". In the admin (``published`` false), a word is known when it starts a stem of
    any place, drafts included: staff find a draft by the start of its name."""
    if not words:
        return Plan()
    table, dictionary = Place._meta.db_table, SearchWord._meta.db_table
    scope = [PublicationStatus.PUBLISHED.value] if published else list(PublicationStatus.values)
    columns, params = [], []
    for word in words:
        tsquery = f"to_tsquery('{CONFIG}', %s)"
        holds = (
            f"EXISTS (SELECT 1 FROM {table} WHERE status = ANY(%s) AND search_vector @@ {tsquery})"
        )
        if published:
            found = f"({holds} OR EXISTS (SELECT 1 FROM {dictionary} WHERE word LIKE %s))"
            found_params = [scope, word, _plain(word) + "%"]
        else:
            found, found_params = holds, [scope, f"{word}:*"]
        columns.append(f"numnode({tsquery}) = 0, {found}")
        params += [f"{word}:*", *found_params]
        if correct and len(word) >= CORRECTION_MIN_LENGTH:
            # Only for a word found nowhere (CASE evaluates it then only): the closest words,
            # ties (and near ties) going to the word most places hold: "coworkig" is corrected
            # to "coworking" (70,000 places), not "coworkin" (2).
            columns.append(
                f"CASE WHEN NOT {found} THEN (SELECT w.word FROM {dictionary} AS w "
                "WHERE w.word %% %s ORDER BY similarity(w.word, %s) + %s * ln(1 + w.places) DESC, "
                "w.word LIMIT 1) END"
            )
            params += [*found_params, _plain(word), _plain(word), FREQUENCY_WEIGHT]
        else:
            columns.append("NULL")
    with read_connection().cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(columns), params)
        row = cursor.fetchone()
    terms, all_words, corrections, unknown = [], [], [], []
    for index, word in enumerate(words):
        is_stop, found, correction = row[3 * index : 3 * index + 3]
        if is_stop:
            all_words.append(word)
        elif found or len(word) < CORRECTION_MIN_LENGTH or not correct:
            terms.append(word)
            all_words.append(word)
        elif correction:
            terms.append(correction)
            all_words.append(correction)
            corrections.append((word, correction))
        else:
            unknown.append(word)
    return Plan(tuple(dict.fromkeys(terms)), tuple(all_words), tuple(corrections), tuple(unknown))


def search(queryset, plan: Plan):
    """``queryset`` narrowed to the places matching every word of the plan (an unknown word
    matches nothing), annotated with ``rank``."""
    if plan.unknown:
        queryset = queryset.none()
    terms = plan.terms
    for word in terms:
        queryset = queryset.filter(search_vector=_tsquery([word], ""))
    # Relevance: the weighted text rank (the name weighs most), once more for the words found
    # next to each other in order ("france travail"), plus one when the query is exactly the
    # place's name or commune.
    rank = Value(0.0)
    if terms:
        rank = SearchRank(F("search_vector"), _tsquery(terms, "|"))
        if len(terms) > 1:
            rank += SearchRank(F("search_vector"), _tsquery(terms, "<->"))
    key = "|" + " ".join(_plain(word) for word in plan.words) + "|"
    rank += Case(When(search_key__contains=key, then=Value(1.0)), default=Value(0.0))
    return queryset.annotate(rank=ExpressionWrapper(rank, output_field=FloatField()))


def with_snippet(queryset, plan: Plan):
    """Each place annotated with ``snippet``: its summary or description around the matched
    words (marked with MARK_START / MARK_STOP). For a page of results, never a whole set."""
    if not plan.terms:
        return queryset
    snippet = SearchHeadline(
        Func(Value(" "), F("summary"), F("description"), function="concat_ws"),
        _tsquery(plan.terms, "|"),
        config=CONFIG,
        start_sel=MARK_START,
        stop_sel=MARK_STOP,
        max_words=30,
        min_words=10,
        max_fragments=2,
        fragment_delimiter=" … ",
    )
    return queryset.annotate(snippet=ExpressionWrapper(snippet, output_field=TextField()))


# Equally relevant places: the most complete records first, then by name.
RELEVANCE_ORDER = [F("rank").desc(), F("search_quality").desc(), "name", "pk"]


def ranked_ids(plan: Plan) -> array.array:
    """The ids of every published place matching the plan, most relevant first, in one query
    (32-bit, as the bitmaps of places.facets hold them): what the directory's pages, counts and
    facets need of a search, whatever the filters. Cached per data version by the caller: a
    common word's list is computed once per data change, not once per combination of filters."""
    places = search(Place.objects.published(), plan).order_by(*RELEVANCE_ORDER)
    try:
        sql, params = places.values("pk").query.sql_with_params()
    except EmptyResultSet:  # a word that matches nothing
        return array.array("I")
    with read_connection().cursor() as cursor:
        # One row holding every id, in the subquery's order (PostgreSQL aggregates the rows of
        # an ordered subquery in that order): far faster to transfer than one row per place.
        cursor.execute(f"SELECT array_agg(ranked.id) FROM ({sql}) AS ranked(id)", params)
        ids = cursor.fetchone()[0]
    return array.array("I", ids or [])


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


# The words of a place that typos are corrected to (places.search.plan): its short fields.
DICTIONARY_DOCUMENT = (
    "to_tsvector('simple', concat_ws(' ', p.search_text, lower(unaccent(p.summary))))"
)
DICTIONARY_WORD = "w.word ~ '[a-z]' AND length(w.word) BETWEEN 2 AND 100"
# Above this many places changed, the dictionary is recomputed whole (with exact counts).
DICTIONARY_INCREMENTAL_MAX = 1000


def refresh_dictionary(place_ids=None):
    """Recompute the dictionary of words from every published place (``None``: a few seconds at
    100,000 places), or add the words of these places (their counts are set again by the next
    whole refresh; a word no longer held by any place then corrects to a search that finds
    nothing, honestly said)."""
    table, words = Place._meta.db_table, SearchWord._meta.db_table
    published = PublicationStatus.PUBLISHED.value
    with connection.cursor() as cursor:
        if place_ids is None:
            documents = f"SELECT {DICTIONARY_DOCUMENT} FROM {table} AS p WHERE p.status = %s"
            cursor.execute(f"DELETE FROM {words}")
            cursor.execute(
                f"INSERT INTO {words} (word, places) SELECT w.word, w.ndoc "
                f"FROM ts_stat(%s) AS w WHERE {DICTIONARY_WORD}",
                [documents.replace("%s", f"'{published}'")],
            )
        else:
            cursor.execute(
                f"INSERT INTO {words} (word, places) SELECT DISTINCT w.word, 1 "
                f"FROM {table} AS p, unnest(tsvector_to_array({DICTIONARY_DOCUMENT})) AS w(word) "
                f"WHERE p.id IN (SELECT unnest(%s::bigint[])) AND p.status = %s "
                f"AND {DICTIONARY_WORD} ON CONFLICT (word) DO NOTHING",
                [list(place_ids), published],
            )


def refresh_search(place_ids=None, *, missing=False) -> int:
    """Recompute the search columns of these places (all places when ``None``), then the
    dictionary; with ``missing``, also of every place that has none yet."""
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
        count = cursor.rowcount
    if place_ids is None or count > DICTIONARY_INCREMENTAL_MAX:
        refresh_dictionary()
    else:
        refresh_dictionary(place_ids)
    return count
