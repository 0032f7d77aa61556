"""Exports of any list (issue 12): /lieux.csv and /lieux.json hold the places the same query
string shows on /lieux/, with their spaces, partnerships and activities, the licence and the
source; streamed."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from places.models import Partnership, Place, Space
from places.reference_data import DEMO_PROVENANCE

pytestmark = pytest.mark.django_db

QUERIES = [
    "",
    "region=normandie",
    "departement=14&departement=35",
    "famille=fablab",
    "q=coworking",
    "q=coworkig",
    "partenariat=tig",
    "region=bretagne&famille=coworking&tri=recent",
    "q=atelier&famille=fablab&region=normandie",
    "espace=atelier&ouvert=1",
]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response, delimiter=",") -> list[dict]:
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=delimiter))


@pytest.mark.parametrize("query", QUERIES)
def test_every_format_holds_the_places_the_list_shows(census_reader, client, query):
    page = client.get(f"/lieux/?{query}")
    listed = page.context["paginator"].count
    rows = csv_rows(client.get(f"/lieux.csv?{query}"))
    document = json.loads(body(client.get(f"/lieux.json?{query}")))
    geojson = client.get(f"/lieux.geojson?{query}").json()
    api = client.get(f"/api/v1/lieux/?{query}").json()
    assert len(rows) == document["nombre"] == len(document["lieux"]) == listed == api["count"]
    assert geojson["total"] == listed
    if query.startswith("region=normandie") or query == "region=normandie":
        assert {row["code_region"] for row in rows} == {"28"}
    # the same order as the list's first page
    first_page = [place.slug for place in page.context["places"]]
    assert [row["slug"] for row in rows[: len(first_page)]] == first_page


def test_a_place_row_holds_every_public_field_and_its_parts(census_reader, client):
    (wip,) = [row for row in csv_rows(client.get("/lieux.csv?q=le+wip")) if row["slug"] == "le-wip"]
    assert wip["nom"] == "Le Wip"
    assert wip["departement"] == "14" and wip["code_region"] == "28"
    assert wip["url"] == "http://testserver/lieux/le-wip/"
    assert wip["surface_batie"] == "3000"
    assert "Micro-Folie (micro-folie)" in wip["espaces"].split("|")
    assert wip["source"] == "CGET/ANCT, Mission Coworking"
    assert wip["source_licence"] == "Licence Ouverte 2.0 (Etalab)"
    assert "[illustratif]" in wip["partenariats"]


def test_the_json_nests_parts_and_names_the_licence(census_reader, client):
    response = client.get("/lieux.json?q=le+wip")
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    document = json.loads(body(response))
    assert document["licence"] == "Licence Ouverte 2.0 (Etalab)"
    assert "CGET/ANCT" in document["credits"][0]
    wip = next(place for place in document["lieux"] if place["slug"] == "le-wip")
    assert wip["latitude"] and isinstance(wip["latitude"], float)
    assert {space["type"] for space in wip["espaces"]} >= {"micro-folie", "atelier"}
    partnership = wip["partenariats"][0]
    assert partnership["illustratif"] is True and partnership["provenance"] == DEMO_PROVENANCE
    assert isinstance(partnership["en_cours"], bool)


def test_a_place_in_the_json_file_is_the_place_of_the_api(census_reader, client):
    # the file represents each place with the API's serializer, compiled for speed
    # (opendata.serializers.compiled): the same keys, the same values
    document = json.loads(body(client.get("/lieux.json?departement=14")))
    wip = next(place for place in document["lieux"] if place["slug"] == "le-wip")
    assert wip["activites"] and wip["partenariats"] and wip["espaces"]
    assert wip == client.get("/api/v1/lieux/le-wip/").json()


def test_one_row_per_space_or_per_partnership(census_reader, client):
    spaces = csv_rows(client.get("/lieux.csv?niveau=espaces"))
    assert len(spaces) == Space.objects.filter(place__status="published").count()
    partnerships = csv_rows(
        client.get("/lieux.csv?niveau=partenariats&separateur=point-virgule"), delimiter=";"
    )
    assert len(partnerships) == Partnership.objects.filter(place__status="published").count()
    assert {row["illustratif"] for row in partnerships} == {"oui"}
    assert {row["en_cours"] for row in partnerships} <= {"oui", "non"}


def test_files_are_named_after_what_they_hold(census_reader, client):
    response = client.get("/lieux.csv?region=normandie&niveau=partenariats&region=inconnue")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="tiers-lieux-partenariats-normandie-')
    assert disposition.endswith('.csv"')
    assert response["Link"].endswith('rel="license"')


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("niveau=tout", "niveau : « lieux », « espaces » ou « partenariats »."),
        ("separateur=tab", "separateur : « virgule » ou « point-virgule »."),
    ],
)
def test_an_unknown_level_or_separator_is_explained(client, query, message):
    response = client.get(f"/lieux.csv?{query}")
    assert response.status_code == 400
    assert response.content.decode() == message


def test_unknown_filter_values_are_ignored_as_on_the_page(census_reader, client):
    rows = csv_rows(client.get("/lieux.csv?region=atlantide&famille=licorne"))
    assert len(rows) == Place.objects.published().count()


def test_queries_do_not_grow_with_the_places(census_reader, client):
    # a département and its région (both with partnerships: a part with no row in the chunk
    # is not asked for its own parts, the partners)
    counts = []
    for query in ("departement=14", "region=normandie"):
        with CaptureQueriesContext(connection) as queries:
            rows = csv_rows(client.get(f"/lieux.csv?{query}"))
        counts.append(len(queries))
        assert rows
    assert counts[0] == counts[1]


def test_list_map_and_partner_pages_link_their_downloads(census_reader, client):
    response = client.get("/lieux/?region=normandie")
    listing, count = response.content.decode(), response.context["paginator"].count
    assert f"Télécharger ces {count} lieux" in listing
    assert 'href="/lieux.csv?region=normandie"' in listing
    assert 'href="/lieux.json?region=normandie"' in listing
    assert 'href="/lieux.csv?region=normandie"' in client.get("/carte/?region=normandie").text
    territory = client.get("/regions/normandie/").content.decode()
    assert 'href="/lieux.csv?region=normandie"' in territory
    english = client.get("/en/lieux/?region=normandie").content.decode()
    assert f"Download these {count} places" in english
    assert 'href="/en/lieux.csv?region=normandie"' in english


# The API's schema walked on the real data
# ---------------------------------------------------------------------------------------------


def _resolve(schema, reference):
    for part in reference.removeprefix("#/").split("/"):
        schema = schema[part]
    return schema


def _properties(schema, component):
    if "$ref" in component:
        component = _resolve(schema, component["$ref"])
    return component


def test_every_documented_endpoint_answers_as_documented(census_reader, client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    values = {
        "/api/v1/lieux/{slug}/": {"slug": "le-wip"},
        "/api/v1/partenaires/{slug}/": {"slug": "spip-du-calvados"},
        "/api/v1/regions/{slug}/": {"slug": "normandie"},
        "/api/v1/departements/{code}/": {"code": "14"},
    }
    for path, operations in schema["paths"].items():
        url = path
        for name, value in values.get(path, {}).items():
            url = url.replace("{" + name + "}", value)
        assert "{" not in url, f"no value for {path}"
        response = client.get(url)
        assert response.status_code == 200, url
        documented = operations["get"]["responses"]["200"]["content"]["application/json"]
        shape = _properties(schema, documented["schema"])
        body = response.json()
        if shape.get("type") == "array":
            item = _properties(schema, shape["items"])
            assert body and set(item["properties"]) == set(body[0]), url
        else:
            assert set(shape["properties"]) == set(body), url
            if "results" in shape["properties"]:
                item = _properties(schema, shape["properties"]["results"]["items"])
                assert body["results"] and set(item["properties"]) == set(body["results"][0]), url
