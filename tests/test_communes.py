"""The communes of data/communes-2026.csv as a table, and the autocomplete over them."""

import io

import pytest
from django.core.management import call_command

from places import communes
from places.models import Commune
from tests.factories import PlaceFactory


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The 34,969 communes, committed once for the module (about 3 s), removed after."""
    with django_db_blocker.unblock():
        out = io.StringIO()
        call_command("load_communes", stdout=out)
        yield out.getvalue()
        Commune.objects.all().delete()


@pytest.fixture
def reader(loaded, db):
    return loaded


def test_every_commune_is_loaded_with_its_credit_and_again_idempotently(reader):
    assert "34969 communes (8102 located), 0 removed" in reader
    assert "INSEE, COG 2026" in reader and "GeoNames" in reader
    again = communes.load()  # the same file: nothing to write
    assert again == {"communes": 34969, "located": 8102, "removed": 0, "unchanged": True}
    Commune.objects.filter(insee="14167").update(population=1)  # the table drifted
    assert communes.load()["unchanged"] is False
    colombelles = Commune.objects.get(insee="14167")
    assert colombelles.name == "Colombelles"
    assert colombelles.department.code == "14"
    assert colombelles.epci_name == "CU Caen la Mer"
    assert colombelles.postcodes == ["14460"]
    assert colombelles.population == 7243
    assert float(colombelles.latitude) == pytest.approx(49.2049)
    # a collectivité d'outre-mer outside the directory's départements keeps its code
    assert Commune.objects.filter(department_code="988", department__isnull=True).exists()


def names(client, q):
    response = client.get("/communes.json", {"q": q})
    assert response.status_code == 200
    return [result["name"] for result in response.json()["results"]]


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("colomb", "Colombes"),  # the most populous first
        ("COLOMBELLES", "Colombelles"),
        ("saint-etienne", "Saint-Étienne"),
        ("saint étienne du r", "Saint-Étienne-du-Rouvray"),
        ("lhay", None),
        ("l'hay", "L'Haÿ-les-Roses"),
        ("14460", "Colombelles"),
        ("69100", "Villeurbanne"),
        ("2A004", "Ajaccio"),
        ("974", "Saint-Denis"),
    ],
)
def test_the_autocomplete_ignores_accents_case_and_punctuation(client, reader, typed, first):
    found = names(client, typed)
    if first is None:
        assert "L'Haÿ-les-Roses" not in found
    else:
        assert found and found[0] == first, found


def test_the_autocomplete_is_one_query_and_bounded(client, reader, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert len(names(client, "sa")) == 10
    assert names(client, "") == [] and names(client, "a") == []
    assert names(client, "x" * 1_000) == []
    assert client.get("/communes.json", {"q": "x" * 10_000}).status_code == 400  # too long
    assert names(client, "%_\\'") == []
    response = client.get("/communes.json", {"q": "caen"})
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response.json()["results"][0] == {
        "insee": "14118",
        "name": "Caen",
        "department": "14",
        "postcodes": ["14000"],
        "label": "Caen (14000)",
    }


def test_a_place_links_to_its_commune(reader):
    place = PlaceFactory(insee_code="14167")
    assert place.commune_record.name == "Colombelles"
    assert PlaceFactory(insee_code="").commune_record is None
