"""Two designs for counting every facet of a result set in one pass, measured on the same data
(`make bench` runs it at each size; alone: ``python manage.py shell -c "from bench.facet_designs
import main; main()"``):

* **SQL**: a per-place array of facet keys (``region:normandie``, ``famille:fablab``,
  ``partenariat:tig``…; here in a temporary table built from the directory's tables, as a column
  maintained with the search columns would be), and one ``unnest … GROUP BY`` over the places
  matching the words;
* **bitmaps** (what the directory runs, places.facets): a bitmap of places per option, built once
  per data version, intersected with the words' matching places.

Both count the unfiltered result of a search (every option, no other filter active: the
commonest page); the words' matching ids are fetched once and shared, so that only the counting
differs; both must give the same counts. Prints one JSON line: milliseconds per design and query
(median of five runs).
"""

import json
import statistics
import time

from django.db import connection
from django.utils import timezone
from pyroaring import BitMap

from places import search
from places.facets import FacetCounter, build_index

WORDS = ["coworking", "atelier", "fablab", "colombelles"]
KEYS_SQL = """
CREATE TEMPORARY TABLE bench_facet_keys AS
SELECT p.id, array_remove(
    ARRAY['region:' || r.slug, 'departement:' || d.code,
          CASE WHEN p.open_to_public THEN 'ouvert:1' END,
          CASE WHEN p.step_free_access THEN 'fauteuil:1' END]
    || ARRAY(SELECT 'famille:' || f FROM unnest(p.families) AS f)
    || ARRAY(SELECT DISTINCT 'espace:' || s.kind FROM places_space s WHERE s.place_id = p.id)
    || ARRAY(SELECT DISTINCT k FROM places_partnership ps
             JOIN places_partner pr ON pr.id = ps.partner_id,
             LATERAL (VALUES ('partenariat:' || ps.kind), ('partenaire:' || pr.slug),
                             ('niveau:' || pr.level),
                             (CASE WHEN ps.start_date <= %(today)s AND (ps.end_date IS NULL
                                   OR ps.end_date >= %(today)s) THEN 'partenariat_actif:1' END))
                     AS v(k)
             WHERE ps.place_id = p.id AND k IS NOT NULL)
    || ARRAY(SELECT DISTINCT k FROM places_activity a,
             LATERAL (SELECT 'activite:' || a.kind UNION ALL
                      SELECT 'public:' || au FROM unnest(a.audiences) AS au) AS v(k)
             WHERE a.place_id = p.id),
    NULL) AS keys
FROM places_place p JOIN places_department d ON d.id = p.department_id
JOIN places_region r ON r.id = d.region_id
WHERE p.status = 'published';
ALTER TABLE bench_facet_keys ADD PRIMARY KEY (id);
ANALYZE bench_facet_keys;
"""
COUNT_SQL = """
SELECT key, count(*) FROM bench_facet_keys AS f, unnest(f.keys) AS key
WHERE f.id = ANY(%s) GROUP BY key
"""


def _median_ms(function, runs: int = 5) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def measure() -> dict:
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(KEYS_SQL, {"today": today})
    index = build_index(today)
    results = {}
    for word in WORDS:
        ids = search.ranked_ids(search.plan([word]))
        id_list = ids.tolist()

        def sql(id_list=id_list):
            with connection.cursor() as cursor:
                cursor.execute(COUNT_SQL, [id_list])
                return dict(cursor.fetchall())

        def bitmaps(ids=ids):
            return FacetCounter(index, {}, BitMap(ids)).counts()

        counted = {f"{name}:{value}": n for name, c in bitmaps().items() for value, n in c.items()}
        if sql() != counted:
            raise AssertionError(f"the two designs disagree on {word!r}")
        results[word] = {
            "matches": len(ids),
            "sql_ms": round(_median_ms(sql), 2),
            "bitmaps_ms": round(_median_ms(bitmaps), 3),
        }
    results["bitmap_index_build_ms"] = round(_median_ms(lambda: build_index(today), 3), 1)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_facet_keys")
    return results


def main():
    print(json.dumps(measure()))
