"""Search relevance on the real census (the set lives in bench/relevance.py, which the benchmark
also checks among 100,000 synthetic places)."""

import pytest
from django.urls import reverse

from bench.relevance import RELEVANCE, misses

pytestmark = pytest.mark.django_db


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


def test_the_benchmarks_check_agrees(census_reader):
    assert misses() == []


def test_the_relevance_set_is_large_enough():
    assert len(RELEVANCE) >= 30
