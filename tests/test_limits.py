"""Every request bounded (tierslieux.middleware): each SQL statement of a request is cut after
STATEMENT_TIMEOUT_MS (public pages) or ADMIN_STATEMENT_TIMEOUT_MS (the admin), and a statement cut
short gives a clear page, never a 500."""

import pytest
from django.db import connection, transaction

pytestmark = pytest.mark.django_db


def statement_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def test_public_and_admin_requests_get_their_own_timeout(client, settings, admin_client):
    settings.STATEMENT_TIMEOUT_MS = 2500
    settings.ADMIN_STATEMENT_TIMEOUT_MS = 15000
    client.get("/lieux/")
    assert statement_timeout() == "2500ms"
    admin_client.get("/admin/places/place/")
    assert statement_timeout() == "15s"


def cut_short(client, *args):
    """A request whose statement is cancelled; the test's own transaction (served here in
    autocommit) is restored to before it."""
    savepoint = transaction.savepoint()
    response = client.get(*args)
    transaction.savepoint_rollback(savepoint)
    return response


def test_a_statement_cut_short_gives_a_clear_page(client, census_reader, settings):
    # 1 ms: the facet index of the census, the search, take longer than that
    settings.STATEMENT_TIMEOUT_MS = 1
    response = cut_short(client, "/lieux/", {"q": "atelier coworking", "region": "bretagne"})
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "<h1>Recherche trop large</h1>" in response.text
    assert 'value="atelier coworking"' in response.text  # the words, to narrow them
    # nothing of it was cached: with time enough, the same address answers
    settings.STATEMENT_TIMEOUT_MS = 3000
    response = client.get("/lieux/", {"q": "atelier coworking", "region": "bretagne"})
    assert response.status_code == 200


def test_the_clear_page_is_in_english_under_en(client, census_reader, settings):
    settings.STATEMENT_TIMEOUT_MS = 1
    response = cut_short(client, "/en/lieux/", {"q": "atelier", "famille": "fablab"})
    assert response.status_code == 503
    assert "<h1>Search too broad</h1>" in response.text
