"""Stable addresses: a place whose slug changes keeps answering at its old addresses with a
permanent redirect to the new ones, in both languages, whatever the number of renamings."""

import pytest

from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


def rename(place, slug):
    place.slug = slug
    place.save()


def test_an_old_address_answers_with_a_301_to_the_new_one_in_both_languages(client):
    place = PlaceFactory(name="Le Wip", slug="le-wip")
    rename(place, "le-wip-colombelles")
    response = client.get("/lieux/le-wip/")
    assert response.status_code == 301
    assert response["Location"] == "/lieux/le-wip-colombelles/"
    english = client.get("/en/lieux/le-wip/")
    assert english.status_code == 301
    assert english["Location"] == "/en/lieux/le-wip-colombelles/"
    assert client.get("/lieux/le-wip/?utm=lettre")["Location"].endswith("?utm=lettre")
    assert client.get(response["Location"]).status_code == 200


def test_every_former_address_leads_to_the_current_one(client):
    place = PlaceFactory(name="Le Wip", slug="a")
    rename(place, "b")
    rename(place, "c")
    assert client.get("/lieux/a/")["Location"] == "/lieux/c/"
    assert client.get("/lieux/b/")["Location"] == "/lieux/c/"
    rename(place, "a")  # back to the first: live again, no loop
    assert client.get("/lieux/a/").status_code == 200
    assert client.get("/lieux/c/")["Location"] == "/lieux/a/"


def test_the_place_forms_follow_too_and_unknown_addresses_stay_404(client):
    place = PlaceFactory(name="Le Wip", slug="le-wip")
    rename(place, "le-wip-colombelles")
    for page in ("corriger", "partenariat", "signaler"):
        response = client.get(f"/lieux/le-wip/{page}/")
        assert response.status_code == 301
        assert response["Location"] == f"/lieux/le-wip-colombelles/{page}/"
    assert client.get("/lieux/jamais-existe/").status_code == 404
    assert client.get("/lieux/jamais-existe/corriger/").status_code == 404


def test_a_new_place_may_take_a_freed_address(client):
    old = PlaceFactory(name="Le Wip", slug="le-wip")
    rename(old, "le-wip-colombelles")
    PlaceFactory(name="Un autre Wip", slug="le-wip")
    response = client.get("/lieux/le-wip/")
    assert response.status_code == 200  # the live address wins
    assert "Un autre Wip" in response.text
