"""The benchmark's varied corpus (bench/corpus.py), generated from the real census: distinct
requests of every kind, none sharing its words and filters with another, each answered."""

import pytest
from django.db import connection
from psycopg.conninfo import make_conninfo

from bench import corpus

pytestmark = pytest.mark.django_db


def database_url() -> str:
    """The test database (the embedded server listens on a socket directory)."""
    db = connection.settings_dict
    return make_conninfo(
        host=db["HOST"],
        port=db["PORT"],
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
    )


def test_the_corpus_is_varied_distinct_and_answered(client, census_reader):
    requests = corpus.generate(database_url(), 300)
    assert len(requests) == 300
    assert len({request.path for request in requests}) == 300
    assert {request.kind for request in requests} == set(corpus.KINDS)
    typos = [request.words for request in requests if request.kind == "typo"]
    assert typos and all(request.words for request in requests if request.kind == "word")
    for request in requests[:60]:
        assert client.get(request.path).status_code == 200, request.path
    # reproducible: the same seed and data give the same corpus
    assert corpus.generate(database_url(), 300) == requests


def test_the_worst_case_misspells_the_commonest_words_and_is_corrected(client, census_reader):
    """Each of the three words most places hold, its middle letter dropped: the directory
    answers with the word corrected (Résultats pour « … »)."""
    worst = corpus.worst(database_url())
    assert len(worst) == 3
    for request in worst:
        response = client.get(request.path)
        assert response.status_code == 200
        corrected = response.context["corrections"]
        assert corrected and corrected[0][0] == request.words, corrected


@pytest.mark.django_db
def test_the_stock_admin_peer_lists_and_searches(admin_client, settings):
    """The benchmark's peer (bench.urls) renders the stock changelist, not the directory's own
    (whose links exist on the directory's admin site only)."""
    from tests.factories import PlaceFactory

    settings.ROOT_URLCONF = "bench.urls"
    PlaceFactory(name="Zorglubium du port")
    response = admin_client.get("/bench-admin/places/place/", {"q": "zorglubium"})
    assert response.status_code == 200
    assert "Zorglubium du port" in response.content.decode()
