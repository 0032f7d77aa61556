"""The database refuses rows that break the model's invariants, whatever the code path."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from places.models import Activity, Place, Space
from tests.factories import (
    PartnerFactory,
    PartnershipFactory,
    PlaceFactory,
    SpaceFactory,
    department,
)

pytestmark = pytest.mark.django_db


def refused(constraint, callable_):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        callable_()


def test_territories_are_loaded_with_official_codes():
    calvados = department("14")
    assert calvados.name == "Calvados"
    assert calvados.region.name == "Normandie"
    assert calvados.region.code == "28"
    assert department("2A").region.slug == "corse"
    assert department("974").region.name == "La Réunion"


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"latitude": 91, "longitude": 0}, "place_coordinates_in_range"),
        ({"latitude": 45, "longitude": 181}, "place_coordinates_in_range"),
        ({"latitude": 45, "longitude": None}, "place_coordinates_in_range"),
        ({"land_area": 0}, "place_land_area_positive"),
        ({"built_area": 0}, "place_built_area_positive"),
        ({"postcode": "1400"}, "place_postcode_format"),
        ({"insee_code": "99123"}, "place_insee_code_format"),
        ({"insee_code": "ABCDE"}, "place_insee_code_format"),
        (
            {
                "opening_date": datetime.date(2020, 1, 1),
                "closing_date": datetime.date(2019, 1, 1),
            },
            "place_closing_after_opening",
        ),
    ],
)
def test_place_constraints(changes, constraint):
    place = PlaceFactory()
    for key, value in changes.items():
        setattr(place, key, value)
    refused(constraint, place.save)


def test_insee_code_formats_accepted():
    for code in ["14167", "2A004", "97411", "75056"]:
        PlaceFactory(insee_code=code)
    assert Place.objects.count() == 4


def test_slug_is_unique_and_disambiguated_by_commune():
    first = PlaceFactory(name="La Cordée", commune="Lyon")
    second = PlaceFactory(name="La Cordée", commune="Lyon")
    third = PlaceFactory(name="La Cordée", commune="Annecy")
    assert (first.slug, second.slug, third.slug) == (
        "la-cordee",
        "la-cordee-lyon",
        "la-cordee-annecy",
    )
    fourth = PlaceFactory(name="La Cordée", commune="Lyon")
    assert fourth.slug == "la-cordee-lyon-2"
    refused("places_place_slug", lambda: PlaceFactory(slug="la-cordee"))


def test_slug_is_stable_when_the_name_changes():
    place = PlaceFactory(name="Ancien nom")
    place.name = "Nouveau nom"
    place.save()
    assert place.slug == "ancien-nom"


def test_space_surface_and_capacity_positive():
    space = SpaceFactory()
    space.surface = 0
    refused("space_surface_positive", space.save)
    space = Space.objects.get(pk=space.pk)
    space.capacity = 0
    refused("space_capacity_positive", space.save)


def test_partnership_dates_in_order_and_no_duplicate():
    partnership = PartnershipFactory()
    partnership.end_date = partnership.start_date - datetime.timedelta(days=1)
    refused("partnership_end_after_start", partnership.save)
    refused(
        "partnership_unique_place_partner_kind_start",
        lambda: PartnershipFactory(
            place=partnership.place,
            partner=partnership.partner,
            kind=partnership.kind,
            start_date=partnership.start_date,
        ),
    )


def test_partner_belongs_to_one_territory_at_most():
    refused(
        "partner_one_territory",
        lambda: PartnerFactory(department=department("14"), region=department("14").region),
    )


def test_activity_end_after_start():
    place = PlaceFactory()
    start = datetime.datetime(2026, 5, 1, 10, tzinfo=datetime.UTC)
    refused(
        "activity_end_after_start",
        lambda: Activity.objects.create(
            place=place,
            title="Atelier",
            kind="atelier",
            starts_at=start,
            ends_at=start - datetime.timedelta(hours=1),
        ),
    )


def test_active_today_is_derived_from_dates():
    today = datetime.date.today()
    ongoing = PartnershipFactory(start_date=today - datetime.timedelta(days=10))
    ended = PartnershipFactory(
        start_date=today - datetime.timedelta(days=100),
        end_date=today - datetime.timedelta(days=1),
    )
    future = PartnershipFactory(start_date=today + datetime.timedelta(days=5))
    assert ongoing.is_active() and not ended.is_active() and not future.is_active()
    from places.models import Partnership

    assert list(Partnership.objects.active()) == [ongoing]
