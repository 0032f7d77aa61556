"""Near a commune (``pres`` and ``rayon``): on the real census and the real communes file."""

import csv
import io
import math

import pytest
from django.http import QueryDict

from places import near
from places.filters import PlaceFilter
from places.models import Commune, Lifecycle, Place
from tests.conftest import assert_counts_match_sql, figures, text_of
from tests.factories import PlaceFactory


@pytest.fixture
def reader(committed_census, communes_loaded, db):
    """A test reading the census and the communes (in its own rolled-back transaction)."""


def haversine(a, b) -> float:
    """Great-circle distance in km, written again here as the test's own ground truth."""
    (lat1, lon1), (lat2, lon2) = [
        (math.radians(float(x)), math.radians(float(y))) for x, y in (a, b)
    ]
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def within(insee: str, radius: float) -> dict[str, float]:
    """slug → distance of every listed place (published, not closed, located) within reach."""
    commune = Commune.objects.get(insee=insee)
    centre = (commune.latitude, commune.longitude)
    places = Place.objects.published().exclude(lifecycle=Lifecycle.FERME)
    distances = {
        place.slug: haversine(centre, (place.latitude, place.longitude))
        for place in places.filter(latitude__isnull=False)
    }
    return {slug: km for slug, km in distances.items() if km <= radius}


def card_slugs(response) -> list[str]:
    return [place.slug for place in response.context["places"]]


def test_near_lyon_lists_villeurbanne_nearest_first_with_the_distance(client, reader):
    response = client.get("/lieux/?pres=69123&rayon=10")
    assert response.status_code == 200
    expected = within("69123", 10)
    assert response.context["paginator"].count == len(expected)
    places = list(response.context["places"])
    # Villeurbanne's places, next door, are among them (on a later page: Lyon's come first)
    villeurbanne = set(Place.objects.filter(commune="Villeurbanne").values_list("slug", flat=True))
    assert villeurbanne and villeurbanne <= set(expected)
    csv_file = b"".join(client.get("/lieux.csv?pres=69123&rayon=10")).decode("utf-8-sig")
    assert villeurbanne <= {row["slug"] for row in csv.DictReader(io.StringIO(csv_file))}
    distances = [place.distance_km for place in places]
    assert distances == sorted(distances) and distances[-1] <= 10
    for place in places:
        assert place.distance_km == pytest.approx(expected[place.slug], abs=0.01)
    page = text_of(response)
    assert "Lieux à moins de 10 km de Lyon (69), du plus proche au plus éloigné" in page
    first = places[0].distance_km
    assert f"à {first:.1f} km".replace(".", ",").replace(",0 km", " km") in page


def test_near_caen_lists_le_wip_at_about_4_km(client, reader):
    response = client.get("/lieux/?pres=14118&rayon=10")
    wip = next(place for place in response.context["places"] if place.slug == "le-wip")
    assert wip.distance_km == pytest.approx(3.8, abs=0.1)
    assert "à 3,8 km" in text_of(response)
    # the English page says it too
    assert "3.8 km away" in text_of(client.get("/en/lieux/?pres=14118&rayon=10"))


@pytest.mark.parametrize("typed", ["14118", "Caen", "caen", "CAEN (14000)", "14000"])
def test_a_commune_is_found_from_its_code_postcode_label_or_name(reader, typed):
    assert PlaceFilter(QueryDict(f"pres={typed}")).origin.insee == "14118"


def test_a_bad_commune_or_radius_is_ignored_and_said(client, reader):
    everything = client.get("/lieux/").context["paginator"].count
    response = client.get("/lieux/?pres=99999&rayon=10")
    assert response.status_code == 200
    assert response.context["paginator"].count == everything
    assert "commune inconnue « 99999 »" in text_of(response)
    response = client.get("/lieux/?pres=14118&rayon=7")
    assert "Dans un rayon de" in dict(response.context["ignored"])
    # the default radius, 20 km, applies
    assert response.context["paginator"].count == len(within("14118", near.DEFAULT_RADIUS))
    response = client.get("/lieux/?tri=distance")
    assert "la distance suppose une commune" in text_of(response)


def test_a_commune_without_coordinates_borrows_its_places_centre(client, reader):
    saint_ouen = Commune.objects.get(insee="93070")
    assert saint_ouen.latitude is None
    origin = near.origin(saint_ouen)
    located = Place.objects.filter(insee_code="93070", latitude__isnull=False)
    assert origin.how == near.PLACES
    assert origin.latitude == pytest.approx(
        sum(float(p.latitude) for p in located) / located.count()
    )
    page = text_of(client.get("/lieux/?pres=93070&rayon=5"))
    assert "Position approchée : le centre des lieux recensés dans la commune" in page


def test_else_the_main_town_of_its_intercommunality(client, reader):
    bieville = Commune.objects.get(insee="14068")  # Biéville-Beuville, CU Caen la Mer
    assert bieville.latitude is None and not Place.objects.filter(insee_code="14068").exists()
    origin = near.origin(bieville)
    assert (origin.how, origin.town) == (near.EPCI, "Caen")
    page = text_of(client.get("/lieux/?pres=14068&rayon=10"))
    assert "Position approchée : le centre de Caen, ville principale de CU Caen la Mer" in page


def test_places_without_coordinates_are_counted_and_said(client, reader):
    PlaceFactory(name="Atelier sans adresse", commune="Caen", latitude=None, longitude=None)
    page = text_of(client.get("/lieux/?pres=14118&rayon=10&q=atelier sans adresse&tel_quel=1"))
    assert "1 lieu répondant aux autres critères n'a pas de coordonnées" in page


@pytest.mark.parametrize(
    "query",
    [
        "pres=14118&rayon=20",
        "pres=69123&rayon=50&famille=coworking",
        "pres=75056&rayon=10&q=atelier",
        "pres=13055&rayon=100&partenariat=tig&niveau=justice",
    ],
)
def test_facet_counts_near_a_commune_match_sql(reader, query):
    assert_counts_match_sql(query)


def test_the_count_is_every_place_within_the_radius(reader):
    assert figures("pres=14118&rayon=20").total == len(within("14118", 20))


def test_the_same_places_in_the_api_the_files_and_the_map(client, reader):
    query = "pres=69123&rayon=10"
    count = client.get(f"/lieux/?{query}").context["paginator"].count
    api = client.get(f"/api/v1/lieux/?{query}").json()
    assert api["count"] == count
    expected = within("69123", 10)
    distances = [place["distance_km"] for place in api["results"]]
    assert distances == sorted(distances)
    assert distances[0] == pytest.approx(expected[api["results"][0]["slug"]], abs=0.01)
    rows = list(csv.reader(io.StringIO(b"".join(client.get(f"/lieux.csv?{query}")).decode())))
    assert len(rows) - 1 == count
    # nearest first in the file too
    slugs = [row[0] for row in rows[1:]]
    assert [expected[slug] for slug in slugs] == sorted(expected[slug] for slug in slugs)
    features = client.get(f"/lieux.geojson?{query}").json()["features"]
    assert len(features) == count


def test_the_sort_menu_offers_distance_only_near_a_commune(client, reader):
    options = client.get("/lieux/?pres=14118").context["sort_options"]
    assert options[0] == ("", "Distance", True)
    options = client.get("/lieux/").context["sort_options"]
    assert "Distance" not in [label for _value, label, _selected in options]
    assert client.get("/lieux/?pres=14118&tri=nom").context["filter"].sort == "nom"


def test_the_chip_removes_the_commune_and_its_radius(client, reader):
    chips = client.get("/lieux/?pres=14118&rayon=10&famille=fablab").context["chips"]
    pres = next(chip for chip in chips if chip.name == "pres")
    assert pres.value_label == "Caen (14)"
    assert pres.remove_query == "famille=fablab"


def test_an_intercommunality_keeps_its_communes_places(client, reader):
    caen_la_mer = "200065597"
    communes = set(Commune.objects.filter(epci_siren=caen_la_mer).values_list("insee", flat=True))
    expected = set(
        Place.objects.published()
        .exclude(lifecycle=Lifecycle.FERME)
        .filter(insee_code__in=communes)
        .values_list("slug", flat=True)
    )
    assert "le-wip" in expected
    response = client.get(f"/lieux/?epci={caen_la_mer}")
    assert response.context["paginator"].count == len(expected)
    chips = {(chip.label, chip.value_label) for chip in response.context["chips"]}
    assert ("Intercommunalité", "CU Caen la Mer") in chips
    assert_counts_match_sql(f"epci={caen_la_mer}&famille=coworking")
    # offered once a département is chosen
    assert f'<option value="{caen_la_mer}"' in client.get("/lieux/?departement=14").text
    response = client.get("/lieux/?epci=123")
    assert "intercommunalité inconnue « 123 »" in text_of(response)
