"""The directory in the national « lieux de médiation numérique » standard (issue 12), validated
with the standard's own tool (frictionless, against the Table Schema shipped in data/)."""

import csv
import io
import json
from pathlib import Path

import pytest
from frictionless import Resource, Schema, validate

from opendata.national import exportable, international_phone
from places.models import Place
from places.reference_data import DEMO_PROVENANCE
from tests.factories import ActivityFactory, place_in

pytestmark = pytest.mark.django_db

SCHEMA = Path(__file__).resolve().parent.parent / "data/schemas/mediation-numerique/schema.json"


def test_the_export_of_the_real_data_is_valid_against_the_national_schema(
    census_reader, client, tmp_path
):
    response = client.get("/donnees/mediation-numerique.csv")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    path = tmp_path / "mediation-numerique.csv"
    path.write_bytes(content)
    schema = Schema.from_descriptor(json.loads(SCHEMA.read_text(encoding="utf-8")))
    report = validate(Resource(path=path.name, basepath=str(tmp_path), schema=schema))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]

    rows = list(csv.DictReader(io.StringIO(content.decode())))
    published = list(Place.objects.published().exclude(lifecycle="ferme"))
    assert len(rows) == sum(exportable(place) for place in published) > 1000
    assert {row["typologie"] for row in rows} == {"TIERS_LIEUX"}
    assert {row["source"] for row in rows} == {"Annuaire des tiers-lieux"}
    assert {row["pivot"] for row in rows} == {"00000000000000"}  # SIRET unknown: never invented
    assert len({row["id"] for row in rows}) == len(rows)


@pytest.mark.parametrize(
    ("phone", "international"),
    [
        ("02 31 23 45 67", "+33231234567"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0262 12 34 56", "+262123456"),
        ("0692 12 34 56", "+262123456"),
        ("0590 12 34 56", "+590123456"),
        ("12", ""),
        ("", ""),
    ],
)
def test_phones_take_the_standards_international_form(phone, international):
    assert international_phone(phone) == international


def test_the_data_inclusion_export_validates_with_its_own_models(census_reader, client):
    from data_inclusion.schema import v1

    response = client.get("/donnees/data-inclusion/structures.json")
    assert response.status_code == 200
    structures = json.loads(b"".join(response.streaming_content))
    for structure in structures:
        v1.Structure.model_validate(structure)
    listed = Place.objects.published().exclude(lifecycle="ferme").count()
    assert listed - 5 <= len(structures) <= listed  # a name the schema refuses is left out
    assert len({structure["id"] for structure in structures}) == len(structures)
    wip = next(s for s in structures if s["nom"] == "Le Wip")
    assert wip["lien_source"] == "http://testserver/lieux/le-wip/" and wip["siret"] is None


def test_services_are_the_real_permanences_accompaniments_and_trainings(client):
    from data_inclusion.schema import v1

    place = place_in("Caen", name="Atelier du port", status="published")
    ActivityFactory(
        place=place,
        title="Permanence France Travail",
        kind="permanence",
        audiences=["demandeurs-emploi", "jeunes"],
        provenance="Convention 2025 avec France Travail",
    )
    ActivityFactory(place=place, title="Concert", kind="evenement", provenance="Site du lieu")
    ActivityFactory(place=place, title="Formation", kind="formation", provenance=DEMO_PROVENANCE)
    response = client.get("/donnees/data-inclusion/services.json")
    services = json.loads(b"".join(response.streaming_content))
    assert [service["nom"] for service in services] == ["Permanence France Travail"]
    service = v1.Service.model_validate(services[0])
    assert service.type == v1.TypeService.INFORMATION
    assert services[0]["structure_id"] == f"annuaire-tiers-lieux--{place.pk}"
    assert services[0]["publics"] == ["demandeurs-emploi", "jeunes"]
