"""The directory's FilterSet through /lieux/: each parameter alone, combined, and bad input."""

import datetime

import pytest
from django.urls import reverse

from places.models import Place
from tests.factories import (
    ActivityFactory,
    PartnerFactory,
    PartnershipFactory,
    PlaceFactory,
    SpaceFactory,
    place_in,
)

pytestmark = pytest.mark.django_db


def names(client, query: str) -> list[str]:
    response = client.get(reverse("places:list") + "?" + query)
    assert response.status_code == 200
    return sorted(p.name for p in response.context["places"])


@pytest.fixture
def places():
    today = datetime.date.today()
    caen = PlaceFactory(name="Fablab de Caen", families=["fablab"], open_to_public=True)
    lyon = place_in(
        "Lyon",
        name="Cowork Lyon",
        families=["coworking"],
        built_area=300,
    )
    ajaccio = place_in(
        "Ajaccio",
        name="Atelier Ajaccio",
        families=["ateliers-artisanaux", "culturel"],
        built_area=1200,
    )
    spip = PartnerFactory(name="SPIP du Calvados", slug="spip-du-calvados", level="justice")
    france_travail = PartnerFactory(name="France Travail", slug="france-travail")
    PartnershipFactory(place=caen, partner=spip, kind="tig", start_date=today)
    PartnershipFactory(
        place=lyon,
        partner=france_travail,
        kind="insertion",
        start_date=today - datetime.timedelta(days=400),
        end_date=today - datetime.timedelta(days=30),
    )
    PartnershipFactory(place=ajaccio, partner=france_travail, kind="tig", start_date=today)
    SpaceFactory(place=caen, kind="fablab")
    SpaceFactory(place=ajaccio, kind="atelier")
    ActivityFactory(place=caen, kind="permanence", audiences=["demandeurs-emploi"])
    ActivityFactory(place=lyon, kind="atelier", audiences=["seniors"])
    return {"caen": caen, "lyon": lyon, "ajaccio": ajaccio}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Atelier Ajaccio", "Cowork Lyon", "Fablab de Caen"]),
        ("region=normandie", ["Fablab de Caen"]),
        ("region=normandie&region=corse", ["Atelier Ajaccio", "Fablab de Caen"]),
        ("departement=2A", ["Atelier Ajaccio"]),
        ("departement=69&departement=14", ["Cowork Lyon", "Fablab de Caen"]),
        ("famille=fablab", ["Fablab de Caen"]),
        ("famille=culturel&famille=coworking", ["Atelier Ajaccio", "Cowork Lyon"]),
        ("partenariat=tig", ["Atelier Ajaccio", "Fablab de Caen"]),
        ("partenaire=france-travail", ["Atelier Ajaccio", "Cowork Lyon"]),
        ("niveau=justice", ["Fablab de Caen"]),
        ("partenariat_actif=1", ["Atelier Ajaccio", "Fablab de Caen"]),
        ("partenaire=france-travail&partenariat_actif=1", ["Atelier Ajaccio"]),
        # one and the same partnership: Lyon's France Travail one is insertion, not TIG
        ("partenariat=tig&partenaire=france-travail", ["Atelier Ajaccio"]),
        ("activite=permanence", ["Fablab de Caen"]),
        ("public=seniors", ["Cowork Lyon"]),
        ("activite=permanence&public=seniors", []),
        ("espace=fablab&espace=atelier", ["Atelier Ajaccio", "Fablab de Caen"]),
        ("ouvert=1", ["Fablab de Caen"]),
        ("region=normandie&partenariat=tig&ouvert=1", ["Fablab de Caen"]),
    ],
)
def test_filters(client, places, query, expected):
    assert names(client, query) == expected


def test_sorts(client, places):
    response = client.get(reverse("places:list"), {"tri": "surface"})
    assert [p.name for p in response.context["places"]] == [
        "Atelier Ajaccio",
        "Cowork Lyon",
        "Fablab de Caen",
    ]
    Place.objects.filter(pk=places["lyon"].pk).update(updated_at="2030-01-01T00:00Z")
    response = client.get(reverse("places:list"), {"tri": "recent"})
    assert response.context["places"][0].name == "Cowork Lyon"


@pytest.mark.parametrize(
    "query",
    [
        "region=atlantide",
        "departement=99",
        "famille=inconnue",
        "tri=hasard",
        "partenaire=nobody",
        "ouvert=peut-etre",
        "public=!(%26:*",
    ],
)
def test_unknown_values_are_ignored_and_said(client, places, query):
    response = client.get(reverse("places:list") + "?" + query)
    assert response.status_code == 200
    assert len(response.context["places"]) == 3
    assert "ont été ignorés" in response.text


def test_pagination_keeps_the_filters(client):
    PlaceFactory.create_batch(55, families=["fablab"])
    PlaceFactory.create_batch(3, families=["coworking"])
    response = client.get(reverse("places:list"), {"famille": "fablab"})
    assert response.context["paginator"].count == 55
    assert "famille=fablab&amp;page=2" in response.text


def test_the_form_class_is_built_once_and_each_form_has_its_own_fields(places):
    """The FilterSet's form class is built once (``PlaceFilter.form_class``), as a Django form
    declares its fields once; each request's form still works on its own copies, and a
    département or partner added since is offered (the choices are read at each request)."""
    from django.http import QueryDict

    from places.filters import PlaceFilter

    first, second = PlaceFilter(QueryDict("famille=fablab")), PlaceFilter(QueryDict())
    assert type(first.form) is type(second.form)
    assert first.form.fields["famille"] is not second.form.fields["famille"]
    first.form.fields["famille"].label = "changed"
    assert second.form.fields["famille"].label != "changed"
    assert (
        first.form.cleaned_data["famille"] == ["fablab"] and not second.form.cleaned_data["famille"]
    )
    partner = PartnerFactory(slug="nouveau-partenaire")
    assert list(
        PlaceFilter(QueryDict("partenaire=nouveau-partenaire")).form.cleaned_data["partenaire"]
    ) == [partner]
