"""The search dictionary (SearchWord): the words the published places contain, with how many
places hold each, kept current with the search columns; typos are corrected against it."""

import io

import pytest
from django.core.management import call_command

from places import search
from places.models import SearchWord
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


def places_holding(word: str) -> int | None:
    row = SearchWord.objects.filter(word=word).first()
    return row.places if row else None


def test_the_words_of_published_places_only_with_their_counts():
    PlaceFactory(name="Atelier Zéphyrin", summary="Menuiserie partagée")
    PlaceFactory(name="Zéphyrin Coworking")
    PlaceFactory(name="Brouillon Quetzal", status="draft")
    call_command("refresh_search", stdout=io.StringIO())
    assert places_holding("zephyrin") == 2  # unaccented, counted once a place
    assert places_holding("menuiserie") == 1  # summaries too
    assert places_holding("quetzal") is None  # a draft's words are not offered as corrections


def test_a_saved_place_adds_its_words_at_once():
    PlaceFactory(name="Tiers-lieu Ornithorynque")
    assert places_holding("ornithorynque") == 1


def test_near_ties_go_to_the_commoner_word():
    for _ in range(5):
        PlaceFactory(name="Coworking du centre")
    PlaceFactory(name="Coworkin")  # a rare word even closer to the typo
    plan = search.plan(["coworkig"])
    assert plan.corrections == (("coworkig", "coworking"),)
    # as typed (tel_quel), nothing is corrected
    assert search.plan(["coworkig"], correct=False).corrections == ()


def test_short_unknown_words_are_not_corrected(client):
    PlaceFactory(name="Atelier Ubu")
    plan = search.plan(["ubx"])  # too many close words: searched as typed, matching nothing
    assert plan.terms == ("ubx",) and plan.corrections == ()
    assert client.get("/lieux/", {"q": "ubx"}).context["paginator"].count == 0


def test_the_command_says_what_it_did():
    PlaceFactory(name="Atelier")
    out = io.StringIO()
    call_command("refresh_search", stdout=out)
    assert "1 lieux réindexés, dictionnaire de" in out.getvalue()
