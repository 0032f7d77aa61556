"""places.facets on the real census: every count equals the FilterSet's own SQL count."""

import pytest

from places.facets import FACETS, current_index
from tests.conftest import assert_counts_match_sql, figures

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    [
        "",
        "region=normandie",
        "region=normandie&famille=fablab",
        "famille=coworking&famille=fablab&departement=14&departement=35",
        "q=atelier",
        "q=coworking&region=bretagne",
        "partenariat=tig",
        "partenariat=tig&niveau=justice",
        "partenariat_actif=1&partenaire=france-travail",
        "activite=atelier&public=jeunes",
        "espace=atelier&ouvert=1",
        "q=montpelier",  # corrected to "montpellier"
    ],
)
def test_every_count_equals_the_filtersets_sql_on_the_census(census_reader, query):
    assert_counts_match_sql(query)


@pytest.mark.parametrize("query", ["q=fablab&region=bretagne", "partenariat=tig"])
def test_options_not_offered_would_give_no_place(census_reader, query):
    assert_counts_match_sql(query, hidden=True)


def test_counts_of_every_option_are_computed_without_a_query_per_facet(
    census_reader, django_assert_num_queries
):
    result = figures("region=normandie&famille=fablab&partenariat=tig")
    current_index(result.data_version)
    # every count, and the labels of the options that are rows (régions, départements,
    # partners), from the index: no query per facet or option
    with django_assert_num_queries(0):
        assert {facet.name for facet in result.facets} == set(FACETS)


@pytest.mark.parametrize(
    "query",
    [
        "q=coworking",
        "q=coworking&region=bretagne",
        "q=atelier&famille=fablab&famille=coworking",
        "q=montpelier",
        "q=le wip",
        "q=fablab&partenariat=tig",
        "q=coworking&tri=nom",
        "q=zzzqx",
    ],
)
def test_pages_read_from_the_ranked_words_equal_postgresqls_order(census_reader, query):
    """A page ranked by relevance comes from the words' ranked list filtered by the bitmaps;
    PostgreSQL, ranking the filtered query itself, gives the same places in the same order."""
    result = figures(query)
    expected = list(result.filterset.qs.values_list("pk", flat=True))
    assert result.total == len(expected)
    for bottom in (0, 50, 100):
        assert result.page_ids(bottom, bottom + 50) == expected[bottom : bottom + 50], bottom


@pytest.mark.parametrize(
    "query",
    [
        "region=normandie",
        "departement=14&ouvert=1&tri=recent",
        "famille=coworking&tri=surface",
        "",
        "q=coworking&tri=nom",
    ],
)
def test_pages_sorted_by_postgresql_equal_the_filtersets_order(census_reader, query):
    result = figures(query)
    expected = list(result.filterset.qs.values_list("pk", flat=True))
    for bottom in (0, 50):
        assert result.page_ids(bottom, bottom + 50) == expected[bottom : bottom + 50], bottom


def test_the_commonest_words_are_ranked_in_the_background_after_a_data_change(
    census_reader, settings
):
    """The process that builds the index of a new data version ranks the commonest words in a
    thread of its own (its own connection: it reads the committed census); a visitor's search of
    one of them, or of its typo, then reads the list instead of ranking 70,000 places."""
    import threading

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from places import cache, facets, search
    from places.models import SearchWord

    settings.DIRECTORY_WARM_SEARCHES = 3
    version = figures("").data_version
    facets.forget_index()
    cache.cache.clear()
    current_index(version)  # built here: the warm-up starts
    for thread in threading.enumerate():
        if thread.name == "warm-searches":
            thread.join(timeout=30)
    commonest = SearchWord.objects.order_by("-places", "word")
    assert commonest[0].word == "coworking" and commonest[0].places > 1000
    plans = [search.plan((word.word,)) for word in commonest[:6]]
    plans = [plan for plan in plans if plan.terms][:3]  # stop words aside
    assert len(plans) == 3
    for plan in plans:
        key = cache.key("ranked", version, plan.terms, plan.words, plan.unknown)
        assert cache.cache.get(key) == search.ranked_ids(plan).tobytes(), plan
    with CaptureQueriesContext(connection) as queries:
        result = figures("q=coworkig&region=normandie")  # corrected to "coworking"
        assert result.corrections == (("coworkig", "coworking"),)
        assert result.total > 0 and result.page_ids(0, 50)
    assert not any("ts_rank" in query["sql"] for query in queries)
    # a warm-up for a data version that is no longer current stops at once
    assert facets.warm_common_searches(version - 1, 3) == []
    assert facets.warm_common_searches(version, 1) == ["coworking"]
