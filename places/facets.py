"""Facet counts in one pass, the way search engines count them: with bitmaps of place ids.

``FacetIndex`` holds, for every option of every filter of the directory, the set of published
places it selects, as a compressed bitmap (pyroaring). It is built in seven queries once per data
version (and per day: "partnership active today" moves with the date), kept in each process and
shared between processes through the cache. A request then intersects bitmaps:

* the places matching the words (one query, ``places.search``) and the selected options give the
  result set and its count;
* each option's count, under the *other* active filters (today's semantics), is the size of an
  intersection: microseconds, whatever the number of places.

Conditions on partnerships (kind, partner, partner level, active today) hold for one and the same
partnership, conditions on activities (kind, audience) for one and the same activity: the index
keeps the places of each distinct combination of a partnership's (resp. activity's) values, and
unions the combinations that satisfy the other conditions of the group.

Why bitmaps rather than one SQL pass over a per-place array of facet keys: docs/performance.md
("Facet counts: two designs measured").
"""

import array
import dataclasses
import datetime
import functools
import itertools
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connections
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from pyroaring import BitMap

from places import cache, hours, near, search
from places.models import (
    Activity,
    Department,
    Lifecycle,
    Partner,
    Partnership,
    Place,
    PublicationStatus,
    Region,
    SearchWord,
    Space,
    running_sql,
)
from tierslieux.routers import read_connection

logger = logging.getLogger(__name__)

# Filters whose options are counted, in the order of the page.
FACETS = [
    "region",
    "departement",
    "famille",
    "partenariat",
    "partenaire",
    "niveau",
    "partenariat_actif",
    "activite",
    "public",
    "espace",
    "ouvert",
    "fauteuil",
    "fermes",
]
PLACE_FACETS = ("region", "departement", "famille", "espace", "ouvert", "fauteuil")
# Not a narrowing filter: closed places are left out of every result unless it is selected.
CLOSED = "fermes"
# Values of one partnership: (kind, partner slug, partner level, "1" when active today, else "").
PARTNERSHIP_FACETS = ("partenariat", "partenaire", "niveau", "partenariat_actif")
# Values of one activity: (kind, audience); an activity gives one combination per audience, and
# one with the audience "" (it exists, whatever its audiences).
ACTIVITY_FACETS = ("activite", "public")
GROUPS = (PARTNERSHIP_FACETS, ACTIVITY_FACETS)
# Near a commune (places.near): not counted, a set of places like the words'.
NEAR = ("pres", "rayon")
# A result of at most this many places is sorted among its ids (which the bitmaps know); a
# larger one by walking the sort's index with the filters. Walking visits about
# page end ÷ share of places matching rows: the whole table when two places match (184 ms at
# 100,000); sorting among 1,000 ids takes about 4 ms (measured on PostgreSQL 15).
SORT_AMONG_IDS = 1000


@dataclass
class FacetIndex:
    """The published places selected by every option, as bitmaps of ids."""

    published: BitMap
    with_coordinates: BitMap
    with_hours: BitMap  # places whose opening hours are known (« ouvert maintenant »)
    # facet name → option value → places (place facets, and each group's facets taken alone)
    options: dict[str, dict[str, BitMap]]
    # group (PARTNERSHIP_FACETS or ACTIVITY_FACETS) → [(values, places)], one per combination
    combinations: dict[tuple[str, ...], list[tuple[tuple[str, ...], BitMap]]]
    # the options that are rows of the database: facet name → [(value in the URL, label)]
    labels: dict[str, list[tuple[str, str]]]


def _tables() -> dict[str, str]:
    return {
        "place": Place._meta.db_table,
        "department": Department._meta.db_table,
        "region": Region._meta.db_table,
        "space": Space._meta.db_table,
        "partnership": Partnership._meta.db_table,
        "partner": Partner._meta.db_table,
        "activity": Activity._meta.db_table,
    }


# The published places grouped by what they hold (one scan): every place option is a union of
# these groups. Spaces, partnerships and activities are read without joining the places: the
# published bitmap narrows them.
PLACE_GROUPS_SQL = """
SELECT p.department_id, p.open_to_public IS TRUE, p.latitude IS NOT NULL, p.families,
       p.lifecycle = %(closed)s, p.step_free_access IS TRUE, p.opening_hours <> '',
       array_agg(p.id)
  FROM {place} p WHERE p.status = %(published)s
 GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
SPACES_SQL = """
SELECT s.kind, array_agg(DISTINCT s.place_id) FROM {space} s GROUP BY s.kind
"""
PARTNERSHIP_COMBINATIONS_SQL = f"""
SELECT ps.kind, pr.slug, pr.level,
       CASE WHEN {running_sql("ps", "%(today)s")} THEN '1' ELSE '' END,
       array_agg(DISTINCT ps.place_id)
  FROM {{partnership}} ps JOIN {{partner}} pr ON pr.id = ps.partner_id
 GROUP BY 1, 2, 3, 4
"""
ACTIVITY_COMBINATIONS_SQL = """
SELECT a.kind, coalesce(audience, ''), array_agg(DISTINCT a.place_id)
  FROM {activity} a, unnest(array_append(a.audiences, NULL)) AS audience
 GROUP BY 1, 2
"""


def build_index(today: datetime.date) -> FacetIndex:
    """Seven queries: the published places grouped by territory, families, opening and
    coordinates; the places of every space kind, of every partnership combination and of every
    activity combination; the régions, départements and partners (their labels)."""
    tables = _tables()
    params = {
        "published": PublicationStatus.PUBLISHED.value,
        "closed": Lifecycle.FERME.value,
        "today": today,
    }
    options: dict[str, dict[str, BitMap]] = {name: {} for name in FACETS}
    regions = list(Region.objects.all())
    departments = list(Department.objects.select_related("region"))
    partners = list(Partner.objects.all())
    territory = {d.pk: (d.code, d.region.slug) for d in departments}
    published, with_coordinates, with_hours = BitMap(), BitMap(), BitMap()

    def add(name: str, value: str, places: BitMap):
        options[name].setdefault(value, BitMap()).update(places)

    with read_connection().cursor() as cursor:
        cursor.execute(PLACE_GROUPS_SQL.format(**tables), params)
        rows = cursor.fetchall()
        for department, open_to_public, located, families, closed, wheelchair, timed, ids in rows:
            places = BitMap(ids)
            published.update(places)
            code, region = territory[department]
            add("departement", code, places)
            add("region", region, places)
            for family in families:
                add("famille", family, places)
            if open_to_public:
                add("ouvert", "1", places)
            if closed:
                add(CLOSED, "1", places)
            if wheelchair:
                add("fauteuil", "1", places)
            if timed:
                with_hours.update(places)
            if located:
                with_coordinates.update(places)
        cursor.execute(SPACES_SQL.format(**tables), params)
        for kind, ids in cursor.fetchall():
            if places := BitMap(ids) & published:
                options["espace"][kind] = places
        combinations = {}
        for group, sql in (
            (PARTNERSHIP_FACETS, PARTNERSHIP_COMBINATIONS_SQL),
            (ACTIVITY_FACETS, ACTIVITY_COMBINATIONS_SQL),
        ):
            cursor.execute(sql.format(**tables), params)
            rows = ((tuple(row[:-1]), BitMap(row[-1]) & published) for row in cursor.fetchall())
            combinations[group] = [(values, places) for values, places in rows if places]
    for group, rows in combinations.items():
        for position, name in enumerate(group):
            for values, places in rows:
                if values[position]:
                    add(name, values[position], places)
    for values in options.values():
        for bitmap in values.values():
            bitmap.run_optimize()
    return FacetIndex(
        published=published,
        with_coordinates=with_coordinates,
        with_hours=with_hours,
        options=options,
        combinations=combinations,
        labels={
            "region": [(region.slug, str(region)) for region in regions],
            "departement": [(department.code, str(department)) for department in departments],
            "partenaire": [(partner.slug, str(partner)) for partner in partners],
        },
    )


_memo: dict = {}
_lock = threading.Lock()


@functools.cache
def vocabulary(form_class, name: str, language: str) -> list[tuple[str, str]]:
    """(value, label) of a filter's fixed choices in a language: translated once, not at every
    request."""
    return [(value, str(label)) for value, label in form_class.base_fields[name].choices if value]


def current_index(version: int) -> FacetIndex:
    """The index for this data version and today's date: from this process's memory, else from
    the shared cache (another worker built it, or is building it: then wait for it), else built
    and shared."""
    today = timezone.localdate()
    key = (version, today)
    with _lock:
        if _memo.get("key") == key:
            return _memo["index"]
    built = []

    def build():
        built.append(True)
        return build_index(today)

    index = cache.get_or_compute_once("facet-index", version, (today,), build)
    with _lock:
        _memo.update(key=key, index=index)
    if built:
        # the process that built the index for a new data version ranks the commonest words
        warm_in_background(version)
    return index


def ranked_ids(version: int, plan: search.Plan) -> array.array:
    """Every published place matching the plan, most relevant first: ``search.ranked_ids``,
    kept per data version and plan (words as searched, not filters): every query with the same
    words, whatever its filters and page, reads the same list."""
    stored = cache.get_or_compute(
        "ranked",
        version,
        (plan.terms, plan.words, plan.unknown),
        lambda: search.ranked_ids(plan).tobytes(),
    )
    return array.array("I", stored)


def warm_common_searches(version: int, count: int) -> list[str]:
    """Rank the ``count`` words that most places hold (stop words aside), as a visitor
    searching each would, and keep their lists for this data version: the words whose ranking
    costs most (``coworking``, 70,000 places at 100,000: about 150 ms) are ready before anyone
    asks, and so are their typos, corrected to them. Stops as soon as the data changes again.
    Returns the words ranked."""
    words = SearchWord.objects.using(read_connection().alias).order_by("-places", "word")
    ranked = []
    # stop words ("de", "la": among the commonest) are not searched: skipped
    for word in words.values_list("word", flat=True)[: 2 * count]:
        if len(ranked) == count or cache.data_version() != version:
            break
        plan = search.plan(search.parse(word).words)
        if plan.terms:
            ranked_ids(version, plan)
            ranked.append(word)
    return ranked


def warm_in_background(version: int):
    """``warm_common_searches`` in a thread of its own (its own database connection, closed
    when done), so that the request that built the index answers at once.
    ``DIRECTORY_WARM_SEARCHES`` words (0: never)."""
    count = settings.DIRECTORY_WARM_SEARCHES
    if count <= 0:
        return

    def run():
        try:
            warm_common_searches(version, count)
        except Exception:  # a failed warm-up only means visitors rank the words themselves
            logger.exception("Ranking the commonest words failed")
        finally:
            connections.close_all()

    threading.Thread(target=run, name="warm-searches", daemon=True).start()


def forget_index():
    """Drop this process's copy (the next request reads the shared cache or builds anew)."""
    with _lock:
        _memo.clear()


def _union(bitmaps: Iterable[BitMap]) -> BitMap:
    return BitMap.union(BitMap(), *bitmaps)


class FacetCounter:
    """Counts for one result set: ``matching`` are the places matching the words (None: no
    words), ``selected`` the understood values of each filter (facet name → list of values)."""

    def __init__(self, index: FacetIndex, selected: dict[str, list[str]], matching=None):
        self.index = index
        self.selected = {name: list(values) for name, values in selected.items() if values}
        # every published place matching the words, the closed ones included
        self.with_closed = index.published if matching is None else index.published & matching
        closed = index.options[CLOSED].get("1", BitMap())
        self.base = self.with_closed if CLOSED in self.selected else self.with_closed - closed

    # The sets each active filter keeps
    # -----------------------------------------------------------------------------------------

    def _place_set(self, name: str) -> BitMap:
        values = self.index.options[name]
        return _union(values[v] for v in self.selected[name] if v in values)

    def _group_set(self, group: tuple[str, ...], skip: str | None = None) -> BitMap | None:
        """Places with one partnership (activity) satisfying every active condition of the
        group but ``skip``; None when no condition is active."""
        active = [(i, set(self.selected[n])) for i, n in enumerate(group) if n in self.selected]
        active = [(i, values) for i, values in active if group[i] != skip]
        if not active:
            return None
        if len(active) == 1:  # one condition alone: the per-option unions already exist
            position, values = active[0]
            options = self.index.options[group[position]]
            return _union(options[v] for v in values if v in options)
        return _union(
            places
            for combination, places in self.index.combinations[group]
            if all(combination[i] in values for i, values in active)
        )

    def _others(self, skip: str | None) -> BitMap:
        """The places satisfying every active filter but ``skip`` (and the words)."""
        places = self.with_closed if skip == CLOSED else self.base
        for name in PLACE_FACETS:
            if name in self.selected and name != skip:
                places = places & self._place_set(name)
        for group in GROUPS:
            kept = self._group_set(group, skip=skip if skip in group else None)
            if kept is not None:
                places = places & kept
        return places

    # Results
    # -----------------------------------------------------------------------------------------

    @cached_property
    def result(self) -> BitMap:
        return self._others(skip=None)

    @property
    def total(self) -> int:
        return len(self.result)

    def total_without(self, name: str) -> int:
        """How many places the results would hold without filter ``name``."""
        return len(self._others(skip=name))

    def counts(self) -> dict[str, dict[str, int]]:
        """Places per option of every filter, each under the other active filters."""
        counts = {}
        for name in FACETS:
            selected = name in self.selected or name == CLOSED  # closed: counted as if asked
            places = self._others(skip=name) if selected else self.result
            counts[name] = {
                value: count
                for value, bitmap in self._option_sets(name).items()
                if (count := places.intersection_cardinality(bitmap))
            }
        return counts

    def _option_sets(self, name: str) -> dict[str, BitMap]:
        """Each option's places; for a group's filter, restricted to the combinations that
        satisfy the group's other active conditions (one and the same partnership)."""
        group = next((g for g in GROUPS if name in g), None)
        others = [n for n in group or () if n != name and n in self.selected]
        if not others:
            return self.index.options[name]
        position = group.index(name)
        conditions = [(group.index(n), set(self.selected[n])) for n in others]
        sets: dict[str, BitMap] = {}
        for combination, places in self.index.combinations[group]:
            value = combination[position]
            if value and all(combination[i] in values for i, values in conditions):
                sets.setdefault(value, BitMap()).update(places)
        return sets


# The figures of one FilterSet's results: counts, pages, facets and chips
# ---------------------------------------------------------------------------------------------


@dataclass
class Option:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    label: str
    options: list[Option]

    @property
    def selected_count(self) -> int:
        return sum(option.selected for option in self.options)


@dataclass
class Chip:
    name: str
    label: str
    value_label: str
    remove_query: str


FLAGS = ("ouvert", "fauteuil", "partenariat_actif", CLOSED)


class Figures:
    """What a page shows about the results of ``filterset``: their count, each page's ids, every
    filter's options with their counts, the active filters as removable chips, what was ignored.
    ``fixed`` names the filters set by the page's own URL (a territory page): neither chips nor
    carried in the links; ``version``, the data version when the request already read it.
    Costly figures are cached per data version and understood query."""

    def __init__(self, filterset, fixed: frozenset[str] = frozenset(), version: int | None = None):
        self.filterset = filterset
        self.form = filterset.form
        self.fixed = fixed
        self.version = version

    @cached_property
    def data_version(self) -> int:
        """The version given (the one the page cache read for the request), else read now."""
        return cache.data_version() if self.version is None else self.version

    def valid_data(self, with_fixed: bool = False) -> QueryDict:
        """The query string reduced to what was understood (no page, no ignored values)."""
        data = QueryDict(mutable=True)
        for name in self.filterset.filters:
            if (name in self.fixed and not with_fixed) or name in self.form.errors:
                continue
            for value in self.filterset.data.getlist(name):
                if value != "":
                    data.appendlist(name, value)
        return data

    def cache_parts(self, *extra) -> tuple:
        """What identifies the result set: the base queryset and the understood filters."""
        data = self.valid_data(with_fixed=True)
        data.pop("tri", None)
        # the places open now change with the minute
        moment = (
            hours.now().strftime("%Y%m%d%H%M") if "maintenant" in data.getlist("ouvert") else ""
        )
        return (str(self.filterset.queryset.query), sorted(data.lists()), moment, *extra)

    @cached_property
    def ranked(self) -> array.array | None:
        """Every published place matching the words, most relevant first (None: no words).
        Kept per data version and plan (words as searched, not filters): every query with the
        same words, whatever its filters and page, reads the same list."""
        if not self.filterset.search_query:
            return None
        return ranked_ids(self.data_version, self.filterset.search_plan)

    @cached_property
    def near(self) -> array.array | None:
        """Every published place within the radius of the commune, nearest first (None: no
        commune). Kept per data version, centre and radius, whatever the other filters."""
        origin = self.filterset.origin
        if origin is None:
            return None
        radius = self.filterset.radius
        stored = cache.get_or_compute(
            "near",
            self.data_version,
            (origin.latitude, origin.longitude, radius),
            lambda: near.ids_by_distance(origin, radius).tobytes(),
        )
        return array.array("I", stored)

    @cached_property
    def epci(self) -> BitMap | None:
        """The published places of the intercommunalité asked for (None: none asked), kept
        per data version."""
        epci = self.filterset.form.cleaned_data.get("epci")
        if epci is None:
            return None
        stored = cache.get_or_compute(
            "epci",
            self.data_version,
            (epci.siren,),
            lambda: array.array(
                "I",
                Place.objects.published()
                .filter(insee_code__in=epci.communes())
                .values_list("pk", flat=True),
            ).tobytes(),
        )
        return BitMap(array.array("I", stored))

    def _open_now(self, index: FacetIndex) -> BitMap:
        """The places open now by their hours: evaluated at each request (the page cache keys
        such pages by the minute), from the hours kept per data version."""
        timed = cache.get_or_compute(
            "hours",
            self.data_version,
            (),
            lambda: list(
                Place.objects.published()
                .exclude(opening_hours="")
                .values_list("pk", "opening_hours")
            ),
        )
        return BitMap(hours.open_now(hours.now(), timed)) & index.with_hours

    def _counter(self, words: bool, located: bool = True, grouped: bool = True) -> FacetCounter:
        """The bitmaps' view of the results: with the words' places when ``words``, the
        commune's when ``located``, the intercommunalité's when ``grouped`` (when asked)."""
        data = self.valid_data(with_fixed=True)
        selected = {name: data.getlist(name) for name in FACETS}
        matching = None
        sets = [
            self.ranked if words else None,
            self.near if located else None,
        ]
        for ids in sets:
            if ids is not None:
                bitmap = BitMap(ids)
                matching = bitmap if matching is None else matching & bitmap
        if grouped and self.epci is not None:
            matching = self.epci if matching is None else matching & self.epci
        index = current_index(self.data_version)
        if "maintenant" in selected["ouvert"]:  # this request's option, beside the index's
            opened = {**index.options["ouvert"], "maintenant": self._open_now(index)}
            index = dataclasses.replace(index, options={**index.options, "ouvert": opened})
        return FacetCounter(index, selected, matching)

    @cached_property
    def counter(self) -> FacetCounter:
        """The bitmaps' view of these results: their set, count and every option's count are
        bitmap intersections, cheaper than a cache round trip (not cached)."""
        return self._counter(words=True)

    @property
    def total(self) -> int:
        return self.counter.total

    def page_ids(self, bottom: int, top: int) -> list[int]:
        """The ids of one page of results, in order: the rows are then fetched by id, so a late
        page costs no more than the first. Ranked by relevance, the page is read from the
        words' ranked list, keeping the places the filters keep. Otherwise PostgreSQL sorts
        (cached): among the result's ids when they are few (``SORT_AMONG_IDS``), else with the
        filters in SQL, which stops as soon as the page is full."""
        sort = self.filterset.sort
        ordered = {"pertinence": self.ranked, "distance": self.near}.get(sort)
        if ordered is not None:
            # from the cached ranked (or nearest-first) list: cheaper than a cache round trip
            kept = self.counter.result
            if len(kept) == len(ordered):  # no other filter narrows the list
                return ordered[bottom:top].tolist()
            return list(itertools.islice((pk for pk in ordered if pk in kept), bottom, top))

        def compute() -> list[int]:
            kept = self.counter.result
            if len(kept) <= SORT_AMONG_IDS:
                ids = RawSQL("SELECT unnest(%s::integer[])", (kept.to_array().tolist(),))
                rows = self.filterset.queryset.filter(pk__in=ids)
                rows = rows.order_by(*self.filterset.ordering())
            else:
                rows = self.filterset.qs
            return list(rows.values_list("pk", flat=True)[bottom:top])

        return cache.get_or_compute(
            "page", self.data_version, self.cache_parts(sort, bottom, top), compute
        )

    def without_coordinates(self) -> int:
        counter = self.counter
        return counter.total - counter.result.intersection_cardinality(
            counter.index.with_coordinates
        )

    def unlocated(self) -> int:
        """Near a commune: the places meeting every other criterion that have no coordinates
        (so no distance), left out of the results."""
        if self.near is None:
            return 0
        counter = self._counter(words=True, located=False)
        return counter.total - counter.result.intersection_cardinality(
            counter.index.with_coordinates
        )

    @cached_property
    def facets(self) -> list[Facet]:
        """Every filter with the options that give places (or are selected), their counts and
        whether they are selected."""
        facets = []
        data = self.valid_data(with_fixed=True)
        all_counts = self.counter.counts()
        for name in FACETS:
            counts = all_counts[name]
            selected = set(data.getlist(name))
            # an option that would give no place is not offered (unless it is selected)
            options = [
                Option(value, label, counts.get(value, 0), value in selected)
                for value, label in self.choices(name)
                if counts.get(value) or value in selected
            ]
            if name == "ouvert" and "maintenant" not in selected and self.counter.index.with_hours:
                # offered whenever hours are known; counted once asked (it moves with time)
                options.append(Option("maintenant", str(_("Ouvert maintenant")), None, False))
            facets.append(Facet(name, str(self.form.fields[name].label), options))
        return facets

    def choices(self, name: str) -> list[tuple[str, str]]:
        """(value in the URL, label) of every option of filter ``name``: rows of the database
        from the index (read with it, once per data version), vocabularies from the field."""
        labels = current_index(self.data_version).labels
        if name in labels:
            return labels[name]
        return vocabulary(type(self.form), name, get_language())

    def query(self) -> str:
        """The understood filters as a query string, to carry them to the map or the list."""
        return self.valid_data(with_fixed=True).urlencode()

    def query_without(self, name: str) -> str:
        data = self.valid_data()
        data.pop(name, None)
        return data.urlencode()

    def chips(self) -> list[Chip]:
        """Every active value, with the query string that removes it (and the page)."""
        chips = []
        data = self.valid_data()
        labels = {name: dict(self.choices(name)) for name in FACETS if data.getlist(name)}
        for name in ["q", *NEAR, "epci", *FACETS]:
            if name == "rayon" and not self.filterset.origin:
                continue  # a radius alone selects nothing
            for value in data.getlist(name):
                remaining = data.copy()
                remaining.setlist(name, [v for v in data.getlist(name) if v != value])
                if name == "pres":  # the radius goes with its commune
                    remaining.pop("rayon", None)
                if name == "q":
                    value_label = value
                elif name == "pres":
                    value_label = str(self.filterset.origin)
                elif name == "epci":
                    value_label = str(self.filterset.form.cleaned_data["epci"])
                elif name == "ouvert" and value == "maintenant":
                    value_label = str(_("maintenant"))
                elif name == "rayon":
                    value_label = _("%(km)s km") % {"km": value}
                elif name in FLAGS:
                    value_label = str(_("oui"))
                else:
                    value_label = labels.get(name, {}).get(value, value)
                label = str(self.form.fields[name].label)
                if name == "ouvert" and value == "maintenant":
                    label = str(_("Ouvert"))
                chips.append(Chip(name, label, value_label, remaining.urlencode()))
        return chips

    def suggestions(self) -> list[tuple[str, str, int]]:
        """For an empty result: (filter label, query without it, places it would give) for each
        active filter whose removal gives some places."""
        suggestions = []
        for chip in self.chips():
            if chip.name in {name for _label, name, _count in suggestions}:
                continue
            if chip.name == "rayon":
                continue
            if chip.name == "q":
                count = self._counter(words=False).total
            elif chip.name == "pres":
                count = self._counter(words=True, located=False).total
            elif chip.name == "epci":
                count = self._counter(words=True, grouped=False).total
            else:
                count = self.counter.total_without(chip.name)
            if count:
                suggestions.append((chip.label, chip.name, count))
        return [(label, self.query_without(name), count) for label, name, count in suggestions]

    @property
    def corrections(self) -> tuple[tuple[str, str], ...]:
        """(word as typed, word searched) for each corrected word."""
        return self.filterset.search_plan.corrections if self.filterset.search_query else ()

    def query_as_typed(self) -> str:
        """The query string that searches the words as typed (no correction)."""
        data = self.valid_data()
        data["tel_quel"] = "1"
        return data.urlencode()

    @property
    def ignored(self) -> list[tuple[str, str]]:
        """(parameter label, reason) for every parameter whose value was not understood."""
        ignored = [
            (str(self.form.fields[name].label), " ".join(str(e) for e in errors))
            for name, errors in self.form.errors.items()
            if name in self.form.fields
        ]
        text = self.form.cleaned_data.get("q", "")
        query = self.filterset.search_query
        if text.strip() and not query:
            ignored.append((str(_("Rechercher")), str(_("aucun mot reconnu dans la recherche."))))
        elif query.truncated:
            ignored.append(
                (
                    str(_("Rechercher")),
                    ngettext(
                        "seul le premier mot (%(words)d) des %(chars)d premiers caractères "
                        "est cherché.",
                        "seuls les %(words)d premiers mots des %(chars)d premiers caractères "
                        "sont cherchés.",
                        search.MAX_WORDS,
                    )
                    % {"words": search.MAX_WORDS, "chars": search.MAX_QUERY_CHARS},
                )
            )
        sort = self.form.cleaned_data.get("tri")
        if sort == "pertinence" and not query:
            ignored.append((str(_("Trier par")), str(_("la pertinence suppose une recherche."))))
        if not self.filterset.origin and "pres" not in self.form.errors:
            if sort == "distance":
                ignored.append(
                    (
                        str(_("Trier par")),
                        str(_("la distance suppose une commune (« Près de la commune »).")),
                    )
                )
            if self.form.cleaned_data.get("rayon"):
                ignored.append(
                    (
                        str(self.form.fields["rayon"].label),
                        str(_("un rayon suppose une commune (« Près de la commune »).")),
                    )
                )
        return ignored


class DirectoryPaginator(Paginator):
    """Pages of the directory's results: the count and each page's ids from ``figures``, then
    the page's ``rows`` (a queryset of places: the cards of /lieux/, the API's whole records)
    fetched by id. A late page costs what the first does."""

    def __init__(self, figures: Figures, per_page: int, rows):
        super().__init__(figures.filterset.queryset, per_page)
        self.figures = figures
        self.rows = rows

    @cached_property
    def count(self):
        return self.figures.total

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        ids = self.figures.page_ids(bottom, top)
        rows = {place.pk: place for place in self.rows.filter(pk__in=ids)}
        places = [rows[pk] for pk in ids if pk in rows]
        origin = self.figures.filterset.origin
        if origin is not None:  # near a commune: each place says how far it is
            for place in places:
                place.distance_km = origin.distance_km(place.latitude, place.longitude)
        return self._get_page(places, number, self)
