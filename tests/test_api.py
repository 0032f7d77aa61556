"""The read-only JSON API (issue 12): the list's filters and counts, the OpenAPI schema (valid,
and every documented endpoint answers as documented), revalidation, CORS, problems."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openapi_spec_validator import validate

from places.models import Place
from tests.factories import PartnershipFactory, PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_valid_openapi_3(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/lieux/", "/api/v1/lieux/{slug}/", "/api/v1/vocabulaires/"} <= set(
        schema["paths"]
    )
    parameters = {p["name"] for p in schema["paths"]["/api/v1/lieux/"]["get"]["parameters"]}
    assert {"q", "region", "departement", "famille", "partenariat", "page", "taille"} <= parameters


def test_answers_revalidate_with_their_etag_and_allow_any_origin(client):
    PlaceFactory()
    before = Place.objects.published().count()
    first = client.get("/api/v1/lieux/")
    assert first["Access-Control-Allow-Origin"] == "*"
    assert first["ETag"].startswith('W/"') and first["Last-Modified"]
    again = client.get("/api/v1/lieux/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    PlaceFactory()  # the data changed: a new version, a full answer
    changed = client.get("/api/v1/lieux/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed.json()["count"] == before + 1


def test_unknown_values_are_ignored_and_said(client):
    PlaceFactory(name="Zorglub fablab", families=["fablab"])
    answer = client.get("/api/v1/lieux/?region=atlantide&famille=fablab&q=zorglub").json()
    assert answer["count"] == 1
    assert [item["parametre"] for item in answer["ignores"]] == ["Région"]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/lieux/inconnu/", 404),
        ("/api/v1/lieux/?page=999", 404),
        ("/api/v1/nulle-part/", 404),
        ("/api/v1/departements/99/", 404),
    ],
)
def test_errors_are_problem_details(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["title"] and problem["type"] == "about:blank"
    assert "ETag" not in response  # an error is not a version to revalidate


def test_writing_is_refused_as_a_problem(client):
    response = client.post("/api/v1/lieux/", {})
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"


def test_a_list_costs_the_same_queries_for_2_places_or_40(client):
    counts = []
    for total in (2, 40):
        Place.objects.all().delete()
        for _ in range(total):
            PartnershipFactory(place=PlaceFactory())
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/lieux/?taille=50").json()["count"] == total
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_vocabularies_carry_both_languages(client):
    families = client.get("/api/v1/vocabulaires/").json()["familles"]
    fablab = next(item for item in families if item["cle"] == "fablab")
    assert fablab == {
        "cle": "fablab",
        "fr": "Fablab / atelier de fabrication numérique",
        "en": "Fablab / digital fabrication workshop",
    }


def test_the_documentation_page_is_served_from_our_static_files(client):
    response = client.get("/api/v1/documentation/")
    assert response.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', response.content.decode())
    assert sources and all(source.startswith("/") for source in sources), sources
