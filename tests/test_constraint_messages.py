"""Every database constraint of the directory's models reads as a French sentence on the field it
is about, in the admin (and in any ModelForm): never the constraint's name above the form."""

import pytest
from django.core.exceptions import ValidationError

from places.models import Department, Partner, Region
from tests.factories import PartnerFactory, PlaceFactory, UserFactory, department
from tests.test_admin import change_url, place_form_data

pytestmark = pytest.mark.django_db

AREA = "Indiquez une surface en mètres carrés supérieure à zéro, ou laissez vide."
CAPACITY = "Indiquez un nombre de personnes supérieur à zéro, ou laissez vide."
POSTCODE = "Un code postal a cinq chiffres (14460), ou laissez vide."
HALL = {"name": "Halle", "kind": "evenementiel"}


@pytest.fixture
def moderator(client):
    client.force_login(UserFactory(username="moderateur", group="Modérateurs"))
    return client


def place_errors(client, place, rows=None, **fields):
    data = place_form_data(place, rows=rows, **fields)
    data["department"] = place.department_id
    response = client.post(change_url(place), data)
    assert response.status_code == 200, "the form was accepted"
    assert "contrainte" not in response.text  # never the constraint's raw name
    return response.context["adminform"].form.errors, response.context["inline_admin_formsets"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"postcode": "1446"},
            "postcode",
            "Un code postal a cinq chiffres (14460), ou laissez vide.",
        ),
        (
            {"postcode": "ABCDE"},
            "postcode",
            "Un code postal a cinq chiffres (14460), ou laissez vide.",
        ),
        (
            {"insee_code": "99999"},
            "insee_code",
            "Code INSEE de commune : 5 caractères (14167, 2A004, 97411), ou vide.",
        ),
        (
            {"latitude": "49.19"},
            "latitude",
            "Indiquez la latitude (entre -90 et 90) et la longitude (entre -180 et 180) "
            "ensemble, ou aucune des deux.",
        ),
        (
            {"latitude": "95", "longitude": "0.3"},
            "latitude",
            "Indiquez la latitude (entre -90 et 90) et la longitude (entre -180 et 180) "
            "ensemble, ou aucune des deux.",
        ),
        ({"land_area": "0"}, "land_area", AREA),
        ({"land_area": "-20"}, "land_area", AREA),
        ({"built_area": "0"}, "built_area", AREA),
        ({"built_area": "-3000"}, "built_area", AREA),
        (
            {"opening_date": "2020-05-01", "closing_date": "2019-01-01"},
            "closing_date",
            "La date de fermeture ne peut pas précéder la date d'ouverture.",
        ),
    ],
)
def test_a_bad_place_value_gets_its_message_on_its_field(moderator, fields, field, message):
    place = PlaceFactory(name="Le Wip")
    errors, _ = place_errors(moderator, place, **fields)
    assert errors[field] == [message]
    assert "__all__" not in errors


@pytest.mark.parametrize(
    ("prefix", "row", "field", "message"),
    [
        ("spaces", {"name": "Halle", "kind": "evenementiel", "surface": "0"}, "surface", AREA),
        ("spaces", {"name": "Halle", "kind": "evenementiel", "surface": "-5"}, "surface", AREA),
        (
            "spaces",
            {"name": "Halle", "kind": "evenementiel", "capacity": "0"},
            "capacity",
            CAPACITY,
        ),
        (
            "partnerships",
            {"kind": "tig", "start_date": "2024-06-01", "end_date": "2024-01-01"},
            "end_date",
            "La date de fin ne peut pas précéder la date de début.",
        ),
        (
            "activities",
            {
                "title": "Repair café",
                "kind": "atelier",
                "starts_at_0": "2025-03-10",
                "starts_at_1": "18:00",
                "ends_at_0": "2025-03-10",
                "ends_at_1": "17:00",
            },
            "ends_at",
            "La fin ne peut pas précéder le début.",
        ),
    ],
)
def test_a_bad_part_value_gets_its_message_on_its_field(moderator, prefix, row, field, message):
    place = PlaceFactory(name="Le Wip")
    if prefix == "partnerships":
        row = {**row, "partner": PartnerFactory().pk, "provenance": "Convention"}
    errors, inlines = place_errors(moderator, place, rows={prefix: [row]})
    formset = next(inline.formset for inline in inlines if inline.formset.prefix == prefix)
    assert formset.errors[0][field] == [message], formset.errors
    assert not formset.non_form_errors()


def test_a_partner_with_two_territories_is_told_which_field(moderator):
    partner = PartnerFactory(name="Ville de Caen", level="commune")
    url = f"/admin/places/partner/{partner.pk}/change/"
    response = moderator.post(
        url,
        {
            "name": partner.name,
            "slug": partner.slug,
            "level": "commune",
            "region": Region.objects.get(code="28").pk,
            "department": department("14").pk,
            "website": "",
        },
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["department"] == [
        "Un partenaire a une région ou un département, pas les deux."
    ]
    assert Partner.objects.get(pk=partner.pk).region is None


def test_territory_codes_are_explained_on_their_field():
    normandie = Region.objects.get(code="28")
    with pytest.raises(ValidationError) as region:
        Region(code="2B", name="Essai", slug="essai").full_clean()
    assert region.value.message_dict["code"] == [
        "Le code INSEE d'une région a deux chiffres (28 pour la Normandie)."
    ]
    with pytest.raises(ValidationError) as dept:
        Department(code="99A", name="Essai", slug="essai", region=normandie).full_clean()
    assert (
        "Code de département inconnu : deux chiffres, 2A, 2B ou 971 à 976."
        in (dept.value.message_dict["code"])
    )
