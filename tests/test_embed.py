"""Embedding (issue 12): /integrer/ builds the snippet; /embed/lieux/ may be framed by any site,
sets no cookie, and every other page still refuses to be framed."""

import html

import pytest

from tests.factories import place_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def places():
    return [
        place_in("Caen", name="Atelier du port", status="published", families=["fablab"]),
        place_in("Rennes", name="Café des communs", status="published"),
    ]


def test_the_embedded_list_may_be_framed_by_any_site_and_sets_no_cookie(client, places):
    response = client.get("/embed/lieux/?region=normandie")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert not response.cookies
    text = html.unescape(response.content.decode())
    assert "1 tiers-lieu" in text and "Atelier du port" in text and "Café des communs" not in text
    assert 'href="http://testserver/lieux/atelier-du-port/" target="_blank"' in text


def test_every_other_page_still_refuses_frames(client, places):
    for url in ("/lieux/", "/integrer/", "/lieux/atelier-du-port/"):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY", url
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], url


def test_the_embedded_list_counts_what_the_directory_shows(client, places):
    for query in ("", "famille=fablab", "region=bretagne", "region=atlantide"):
        listed = client.get(f"/lieux/?{query}").context["paginator"].count
        embedded = client.get(f"/embed/lieux/?{query}").context["total"]
        assert embedded == listed, query


def test_the_snippet_carries_the_chosen_filters(client, places):
    response = client.get("/integrer/?region=normandie&famille=inconnue&carte=1")
    text = html.unescape(response.content.decode())
    assert '<iframe src="http://testserver/embed/lieux/?region=normandie&carte=1"' in text
    assert 'title="Tiers-lieux — Annuaire des tiers-lieux"' in text
    assert '<iframe src="/embed/lieux/?region=normandie&carte=1"' in text  # the preview


def test_the_embedded_list_speaks_english(client, places):
    text = html.unescape(client.get("/en/embed/lieux/?region=normandie").content.decode())
    assert '<html lang="en">' in text
    assert "1 third place" in text
