"""Opening hours (OpenStreetMap syntax) and accessibility."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from places import hours
from places.models import Place, validate_acceslibre_url, validate_opening_hours
from tests.conftest import assert_counts_match_sql, text_of
from tests.factories import PlaceFactory

WEEK = "Mo-Fr 09:00-12:00,14:00-18:00; Sa 10:00-13:00; PH off"
PARIS = ZoneInfo("Europe/Paris")


def words_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text_of(response)).split())


@pytest.mark.parametrize(
    "value",
    [
        WEEK,
        "24/7",
        "Tu 09:00-12:00",
        "Mo-Su 08:00-20:00; Dec 25 off",
        "Mo-Fr 10:00-18:00; We 14:00-16:00 unknown",
        "Th[1] 14:00-17:00",
    ],
)
def test_valid_hours_are_accepted(value):
    validate_opening_hours(value)


@pytest.mark.parametrize(
    "value", ["Mo-Fr 9h-18h", "lundi au vendredi", "Mo-Fr 09:00-", "Xx 10:00-12:00"]
)
def test_unreadable_hours_are_refused_with_an_example(value):
    with pytest.raises(ValidationError) as error:
        validate_opening_hours(value)
    message = error.value.messages[0]
    assert message.startswith("Horaires illisibles (syntaxe OpenStreetMap attendue")
    assert "Mo-Fr 09:00-18:00" in message


def test_the_week_holds_each_days_intervals_and_the_holidays():
    # the week of Christmas 2026: Friday the 25th is a public holiday
    week = hours.week(WEEK, datetime.date(2026, 12, 23))
    assert [day.date.day for day in week] == [21, 22, 23, 24, 25, 26, 27]
    assert week[0].opened == [
        (datetime.time(9), datetime.time(12)),
        (datetime.time(14), datetime.time(18)),
    ]
    assert week[4].opened == []  # PH off
    assert week[5].opened == [(datetime.time(10), datetime.time(13))]
    assert week[6].opened == []
    always = hours.week("24/7", datetime.date(2026, 12, 23))
    assert always[0].opened == [(datetime.time(0), None)]  # until midnight


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (datetime.datetime(2026, 11, 24, 10, 0), True),  # a Tuesday morning
        (datetime.datetime(2026, 11, 24, 13, 0), False),  # lunch
        (datetime.datetime(2026, 11, 28, 12, 59), True),  # Saturday
        (datetime.datetime(2026, 11, 29, 10, 0), False),  # Sunday
        (datetime.datetime(2026, 12, 25, 10, 0), False),  # Christmas, a Friday
        (datetime.datetime(2026, 11, 24, 8, 30, tzinfo=datetime.UTC), True),  # 9:30 in Paris
        (datetime.datetime(2026, 7, 14, 10, 0, tzinfo=PARIS), False),  # Bastille Day
    ],
)
def test_open_at_fixed_times_in_paris(moment, open_):
    assert hours.is_open(WEEK, moment) is open_


def test_acceslibre_addresses_only():
    validate_acceslibre_url("https://acceslibre.beta.gouv.fr/app/14-colombelles/a/tiers-lieu/")
    with pytest.raises(ValidationError):
        validate_acceslibre_url("https://example.org/acceslibre")


def test_the_place_page_shows_the_week_and_what_is_known_of_access(client, db):
    place = PlaceFactory(
        name="L'Atelier ouvert",
        opening_hours=WEEK,
        step_free_access=True,
        hearing_loop=False,
        acceslibre_url="https://acceslibre.beta.gouv.fr/app/14-caen/a/lieu/erp/atelier/",
    )
    page = words_of(client.get(place.get_absolute_url()))
    assert "Horaires et accessibilité" in page
    assert "Lundi 09:00 – 12:00, 14:00 – 18:00" in page
    assert "Dimanche fermé" in page
    assert "Accessible en fauteuil roulant oui" in page
    assert "Toilettes adaptées non renseigné" in page
    assert "Boucle à induction magnétique non" in page
    assert "Sa fiche sur acceslibre" in page
    english = words_of(client.get("/en" + place.get_absolute_url()))
    assert "Opening hours and accessibility" in english and "Monday" in english
    # nothing known, nothing said
    bare = PlaceFactory(name="Sans horaires")
    assert "Horaires et accessibilité" not in words_of(client.get(bare.get_absolute_url()))


def test_the_wheelchair_filter_is_counted_like_every_filter(client, db):
    PlaceFactory(step_free_access=True)
    PlaceFactory(step_free_access=False)
    PlaceFactory(step_free_access=None, families=["fablab"])
    response = client.get("/lieux/?fauteuil=1")
    assert response.context["paginator"].count == 1
    assert_counts_match_sql("fauteuil=1")
    assert_counts_match_sql("famille=fablab")
    assert "Accessible en fauteuil roulant" in text_of(client.get("/lieux/"))


def test_the_admin_previews_the_hours_and_refuses_unreadable_ones(db, moderator):
    place = PlaceFactory(opening_hours=WEEK)
    page = moderator.get(f"/admin/places/place/{place.pk}/change/")
    assert "aperçu des horaires" in text_of(page).lower()
    assert "09:00 – 12:00" in text_of(page)


def test_the_api_and_the_exports_carry_hours_and_access(client, db):
    place = PlaceFactory(opening_hours=WEEK, step_free_access=True)
    record = client.get(f"/api/v1/lieux/{place.slug}/").json()
    assert record["horaires"] == WEEK and record["accessible_fauteuil"] is True
    assert record["toilettes_adaptees"] is None
    assert WEEK in b"".join(client.get("/lieux.csv")).decode("utf-8-sig")


def test_a_correction_can_propose_hours_and_unreadable_ones_are_explained(client, db):
    place = PlaceFactory(name="Le Hangar", commune="Caen")
    url = f"/lieux/{place.slug}/corriger/"
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(opening_hours="du lundi au vendredi", email_contact="", message="Nos horaires.")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Horaires illisibles" in text_of(response)
    assert Place.objects.get(pk=place.pk).opening_hours == ""


def test_open_now_at_fixed_times(client, db, monkeypatch):
    PlaceFactory(name="Le mardi matin", opening_hours="Tu 09:00-12:00")
    PlaceFactory(name="Le mercredi matin", opening_hours="We 09:00-12:00", open_to_public=True)
    PlaceFactory(name="Sans horaires", open_to_public=True)

    def names(query):
        response = client.get(f"/lieux/?{query}")
        return sorted(place.name for place in response.context["places"])

    monkeypatch.setattr(hours, "now", lambda: datetime.datetime(2026, 11, 24, 10, tzinfo=PARIS))
    response = client.get("/lieux/?ouvert=maintenant")
    assert [place.name for place in response.context["places"]] == ["Le mardi matin"]
    chips = {(chip.label, chip.value_label) for chip in response.context["chips"]}
    assert ("Ouvert", "maintenant") in chips
    assert_counts_match_sql("ouvert=maintenant")
    # several values of a parameter: either
    assert names("ouvert=maintenant&ouvert=1") == [
        "Le mardi matin",
        "Le mercredi matin",
        "Sans horaires",
    ]
    assert client.get("/api/v1/lieux/?ouvert=maintenant").json()["count"] == 1
    rows = b"".join(client.get("/lieux.csv?ouvert=maintenant")).decode("utf-8-sig")
    assert rows.count("\n") == 2  # the header and one place
    # Wednesday, 10:00: the other place; the page is not the one cached a day before
    monkeypatch.setattr(hours, "now", lambda: datetime.datetime(2026, 11, 25, 10, tzinfo=PARIS))
    assert names("ouvert=maintenant") == ["Le mercredi matin"]
    # Wednesday, 13:00: none
    monkeypatch.setattr(hours, "now", lambda: datetime.datetime(2026, 11, 25, 13, tzinfo=PARIS))
    assert names("ouvert=maintenant") == []
    # offered on the list once some hours are known
    assert 'id="f-ouvert-maintenant"' in client.get("/lieux/").text


def test_the_correction_form_shows_the_hours_typed_as_a_week(client, db):
    place = PlaceFactory(name="Le Hangar", opening_hours="Tu 09:00-12:00")
    page = words_of(client.get(f"/lieux/{place.slug}/corriger/"))
    assert "Mardi 09:00 – 12:00" in page and "Mercredi fermé" in page
