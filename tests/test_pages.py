"""The two plain public pages that "view on site" lands on, and the home page."""

import datetime

import pytest
from django.urls import reverse

from places.models import Place, PublicationStatus
from places.reference_data import DEMO_PROVENANCE
from tests.factories import (
    ActivityFactory,
    PartnershipFactory,
    PlaceFactory,
    SpaceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_home_and_list_show_published_places_only(client):
    PlaceFactory(name="Lieu publié")
    PlaceFactory(name="Lieu en brouillon", status=PublicationStatus.DRAFT)
    PlaceFactory(name="Lieu archivé", status=PublicationStatus.ARCHIVED)
    home = client.get(reverse("places:home"))
    assert home.status_code == 200
    listing = client.get(reverse("places:list"))
    assert "Lieu publié" in listing.text
    assert "Lieu en brouillon" not in listing.text and "Lieu archivé" not in listing.text


def test_list_paginates_and_survives_bad_pages(client):
    PlaceFactory.create_batch(55)
    assert client.get(reverse("places:list"), {"page": 2}).context["page_obj"].number == 2
    for asked, shown in [("99", 2), ("abc", 1), ("0", 1), ("-3", 1), ("9" * 30, 2)]:
        response = client.get(reverse("places:list"), {"page": asked})
        assert response.status_code == 200
        assert response.context["page_obj"].number == shown
        assert "existe pas" in response.text


def test_draft_is_hidden_from_the_public_but_previewed_by_staff(client):
    draft = PlaceFactory(status=PublicationStatus.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(UserFactory(group="Éditeurs"))
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "pas publié" in response.text


def test_place_page_renders_everything_with_bounded_queries(client, django_assert_num_queries):
    place = PlaceFactory(
        name="La Halle",
        summary="Un grand atelier partagé.",
        former_use="Ancienne usine",
        land_area=20_000,
        built_area=3_000,
        open_to_public=True,
        access_notes="Ouvert à tous.",
        website="https://example.org/",
    )
    for i in range(3):
        SpaceFactory(place=place, name=f"Salle {i}", surface=100)
        partnership = PartnershipFactory(place=place, start_date=datetime.date(2020, 1, 1 + i))
        ActivityFactory(place=place, partnership=partnership, title=f"Activité {i}")
    # data version (page cache), place with territory, spaces, partnerships with partners,
    # activities, photos
    with django_assert_num_queries(6):
        response = client.get(place.get_absolute_url())
    text = response.text
    for expected in [
        "La Halle",
        "Un grand atelier partagé.",
        "Ancienne usine",
        "20\xa0000 m²",
        "Salle 2",
        "300 m²",
        "Activité 1",
        "en cours",
        "Calvados",
        "Normandie",
    ]:
        assert expected in text, expected


def test_le_wip_page_shows_sources_and_flags_illustrative_data(client, census):
    wip = Place.objects.get(source_id="1500")
    response = client.get(wip.get_absolute_url())
    assert response.status_code == 200
    text = response.text
    assert "Le Wip" in text and "Colombelles" in text
    assert "Horizons publics" in text
    assert "CGET/ANCT, Mission Coworking" in text and "Licence Ouverte 2.0" in text
    assert text.count(DEMO_PROVENANCE.replace("'", "&#x27;")) == (
        wip.partnerships.count() + wip.activities.count()
    )
    assert "Micro-Folie" in text


def test_unknown_place_is_a_404(client):
    assert client.get("/lieux/nexiste-pas/").status_code == 404


def test_english_pages_exist(client):
    place = PlaceFactory()
    response = client.get("/en" + place.get_absolute_url())
    assert response.status_code == 200
    assert 'lang="en"' in response.text


def test_favicon_redirects_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")


def test_a_place_whose_partnerships_are_all_illustrative_says_so_once(client):
    place = PlaceFactory()
    for kind in ("tig", "insertion", "culture"):
        PartnershipFactory(place=place, kind=kind, provenance=DEMO_PROVENANCE)
    page = client.get(place.get_absolute_url()).text
    contact = page.index('<section class="contact-block"')
    block = page[contact : page.index("</section>", contact)]
    assert block.count("illustration") == 1
    assert "Ce sont des données d'illustration, pas des informations sur ce lieu." in block
