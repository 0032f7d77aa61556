"""TIG hosts (/tig/) and the TIG and insertion details of partnerships."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError

from places.models import Commune, Department, Partnership, PartnershipKind
from tests.conftest import text_of
from tests.factories import PartnerFactory, PartnershipFactory, PlaceFactory


@pytest.fixture
def spip(db):
    return PartnerFactory(name="SPIP du Calvados", slug="spip-du-calvados", level="justice")


def words_of(response) -> str:
    """The page's text, tags removed, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text_of(response)).split())


def tig(place, partner, **details):
    return PartnershipFactory(place=place, partner=partner, kind=PartnershipKind.TIG, **details)


def test_the_tig_page_lists_active_tig_hosts_by_department_with_their_details(client, spip):
    caen = PlaceFactory(name="La Fabrique de Caen", street="1 rue Basse")
    tig(
        caen,
        spip,
        posts=3,
        minors_accepted=True,
        tasks="Entretien des espaces verts",
        supervision="Une salariée référente",
        service_contact="tig@lafabrique.example",
    )
    nantes = PlaceFactory(
        name="L'Atelier nantais", commune="Nantes", department=Department.objects.get(code="44")
    )
    tig(nantes, PartnerFactory(name="SPIP de Loire-Atlantique"), posts=1)
    ended = PlaceFactory(name="Ancien accueil TIG")
    tig(ended, spip, start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2021, 1, 1))
    culture_only = PlaceFactory(name="Lieu culturel")
    PartnershipFactory(place=culture_only, partner=spip, kind=PartnershipKind.CULTURE)

    response = client.get("/tig/")
    assert response.status_code == 200
    groups = response.context["groups"]
    assert [department.code for department, _rows in groups] == ["14", "44"]
    listed = [place.name for _department, rows in groups for place, _p in rows]
    assert listed == ["La Fabrique de Caen", "L'Atelier nantais"]
    page = words_of(response)
    for text in (
        "Postes TIG offerts 3",
        "Mineurs accueillis oui",
        "Entretien des espaces verts",
        "Une salariée référente",
        "tig@lafabrique.example",
        "2 lieux",
    ):
        assert text in page, text
    assert 'href="mailto:tig@lafabrique.example"' in response.text
    # the TIG kind page leads there
    assert 'href="/tig/"' in client.get("/partenariats/tig/").text
    # one département
    response = client.get("/tig/?departement=44")
    assert [place.name for place, _p in response.context["groups"][0][1]] == ["L'Atelier nantais"]


def test_near_a_commune_the_hosts_come_nearest_first(client, spip):
    Commune.objects.create(
        insee="14118",
        name="Caen",
        search_name="caen",
        department_code="14",
        postcodes=["14000"],
        population=109400,
        latitude="49.185850",
        longitude="-0.359120",
    )
    far = PlaceFactory(name="Loin", latitude=49.30, longitude=-0.30)
    near = PlaceFactory(name="Près", latitude=49.19, longitude=-0.36)
    tig(far, spip)
    tig(near, spip)
    response = client.get("/tig/?pres=Caen&rayon=20")
    rows = response.context["groups"][0][1]
    assert [place.name for place, _p in rows] == ["Près", "Loin"]
    assert rows[0][0].distance_km < rows[1][0].distance_km
    response = client.get("/tig/?pres=zzz")
    assert "commune inconnue « zzz »" in text_of(response)


def test_tig_details_belong_to_tig_partnerships_and_insertion_ones_to_insertion(spip):
    culture = PartnershipFactory.build(
        place=PlaceFactory(), partner=spip, kind=PartnershipKind.CULTURE, posts=2, programme="cej"
    )
    with pytest.raises(ValidationError) as error:
        culture.full_clean()
    assert set(error.value.message_dict) == {"posts", "programme"}
    assert "TIG" in error.value.message_dict["posts"][0]
    insertion = PartnershipFactory.build(
        place=PlaceFactory(),
        partner=spip,
        kind=PartnershipKind.INSERTION,
        programme="cej",
        audiences_received=["jeunes"],
        service_contact="contact.insertion@lieu.example",
    )
    insertion.full_clean()
    assert insertion.details[0][1] == "Jeunes"


@pytest.mark.parametrize(
    ("address", "accepted"),
    [
        ("tig@lieu.example", True),
        ("contact.spip@lieu.example", True),
        ("accueil@lieu.example", True),
        ("jean.dupont@lieu.example", False),
        ("marie-claire@lieu.example", False),
    ],
)
def test_the_contact_is_a_service_never_a_person(spip, address, accepted):
    partnership = PartnershipFactory.build(
        place=PlaceFactory(), partner=spip, kind=PartnershipKind.TIG, service_contact=address
    )
    if accepted:
        partnership.full_clean()
    else:
        with pytest.raises(ValidationError, match="pas celle d'une personne"):
            partnership.full_clean()


def test_the_details_show_on_the_place_page_in_the_api_and_the_export(client, spip):
    partnership = tig(PlaceFactory(name="Le Hangar"), spip, posts=2, minors_accepted=False)
    page = words_of(client.get(partnership.place.get_absolute_url()))
    assert "Postes TIG offerts 2" in page and "Mineurs accueillis non" in page
    api = client.get(f"/api/v1/lieux/{partnership.place.slug}/").json()
    assert api["partenariats"][0]["postes_tig"] == 2
    assert api["partenariats"][0]["mineurs_acceptes"] is False
    rows = b"".join(client.get("/lieux.csv?niveau=partenariats")).decode("utf-8-sig")
    assert ",2,non," in rows


def test_the_partnership_form_has_its_tig_and_insertion_sections(db, moderator, spip):
    partnership = tig(PlaceFactory(), spip)
    response = moderator.get(f"/admin/places/partnership/{partnership.pk}/change/")
    assert response.status_code == 200
    assert "Postes TIG offerts" in response.text and "Publics reçus" in response.text
    response = moderator.post(
        f"/admin/places/partnership/{partnership.pk}/change/",
        {
            "place": partnership.place.pk,
            "partner": spip.pk,
            "kind": "tig",
            "start_date": "2023-01-01",
            "provenance": "Convention",
            "posts": "4",
            "minors_accepted": "false",
            "service_contact": "jean.dupont@lieu.example",
        },
    )
    assert response.status_code == 200  # the form again, with the refusal
    assert "pas celle d'une personne" in text_of(response)
    partnership.refresh_from_db()
    assert partnership.posts is None  # nothing saved
    assert Partnership.objects.count() == 1
