"""The space finder (/espaces/)."""

import pytest

from places.models import Department, Lifecycle, Place, PublicationStatus, Space
from tests.conftest import text_of
from tests.factories import PlaceFactory, SpaceFactory


def names(response) -> list[str]:
    return [space.name for space in response.context["spaces"]]


def test_filters_sort_and_count_under_the_other_filters(client, db):
    calvados, loire = Department.objects.get(code="14"), Department.objects.get(code="44")
    big = SpaceFactory(name="Grande salle", capacity=80, surface=200, bookable=True)
    SpaceFactory(name="Atelier bois", kind="atelier", capacity=None, surface=120)
    SpaceFactory(name="Salle nantaise", capacity=30, place=PlaceFactory(department=loire))
    hidden = PlaceFactory(status=PublicationStatus.DRAFT)
    SpaceFactory(name="Salle d'un brouillon", place=hidden)
    closed = PlaceFactory(lifecycle=Lifecycle.FERME)
    SpaceFactory(name="Salle d'un lieu fermé", place=closed)

    response = client.get("/espaces/?departement=14")
    # published places that are open only; the largest capacity first, unknown last
    assert names(response) == ["Grande salle", "Atelier bois"]
    facets = {facet.name: facet for facet in response.context["facets"]}
    kinds = {option.value: option.count for option in facets["espace"].options}
    assert kinds == {"salle-reunion": 1, "atelier": 1}
    # the département's own counts ignore the département filter
    departments = {option.value: option.count for option in facets["departement"].options}
    assert departments == {"14": 2, "44": 1}
    assert calvados.code in departments
    response = client.get("/espaces/?espace=salle-reunion&reservable=1")
    assert names(response) == [big.name]
    response = client.get("/espaces/?surface=150&tri=surface")
    assert names(response) == ["Grande salle"]
    response = client.get("/espaces/?tri=lieu")
    assert response.context["filter"].sort == "lieu"


def test_bad_values_are_ignored_and_said(client, db):
    SpaceFactory(name="Salle")
    response = client.get("/espaces/?capacite=beaucoup&surface=-3&espace=piscine")
    assert response.status_code == 200
    assert names(response) == ["Salle"]
    ignored = dict(response.context["ignored"])
    assert set(ignored) == {
        "Capacité d'au moins (personnes)",
        "Surface d'au moins (m²)",
        "Type d'espace",
    }


def test_chips_remove_one_filter(client, db):
    SpaceFactory(name="Salle")
    chips = client.get("/espaces/?espace=salle-reunion&capacite=10").context["chips"]
    assert ("Capacité d'au moins (personnes)", "10 personnes", "espace=salle-reunion") in chips


@pytest.fixture
def caen(db):
    from places.models import Commune

    return Commune.objects.create(
        insee="14118",
        name="Caen",
        search_name="caen",
        department_code="14",
        postcodes=["14000"],
        population=109400,
        latitude="49.185850",
        longitude="-0.359120",
    )


def test_near_a_commune_the_nearest_spaces_come_first(client, caen):
    SpaceFactory(name="Loin", place=PlaceFactory(latitude=49.30, longitude=-0.30))
    SpaceFactory(name="Près", place=PlaceFactory(latitude=49.19, longitude=-0.36))
    SpaceFactory(name="Trop loin", place=PlaceFactory(latitude=45.0, longitude=4.0))
    response = client.get("/espaces/?pres=14118&rayon=20")
    assert names(response) == ["Près", "Loin"]
    spaces = list(response.context["spaces"])
    assert spaces[0].distance_km < spaces[1].distance_km < 20
    assert "Espaces à moins de 20 km de Caen (14)" in text_of(response)
    assert Space.objects.count() == 3


def test_the_menu_leads_to_the_space_finder(client, db):
    assert 'href="/espaces/"' in client.get("/").text
    assert client.get("/en/espaces/").status_code == 200


# Last: the committed census stays for the rest of the module once loaded.
def test_a_meeting_room_for_ten_in_calvados_finds_le_wips(client, census_reader):
    # The census knows Le Wip's events, restaurant, Micro-Folie, artistic and workshop spaces;
    # a meeting room is added here, as staff would in the admin.
    wip = Place.objects.get(slug="le-wip")
    SpaceFactory(place=wip, name="Salle de réunion du Wip", capacity=20, surface=45)
    SpaceFactory(place=wip, name="Petite salle", capacity=6)
    response = client.get("/espaces/?espace=salle-reunion&capacite=10&departement=14")
    assert response.status_code == 200
    assert names(response) == ["Salle de réunion du Wip"]
    page = text_of(response)
    assert "1 espace" in page and "Le Wip" in page and "20 personnes" in page
