"""Agendas: recurring activities in words and their iCalendar feeds, read back with the
``icalendar`` package as a calendar application would."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from icalendar import Calendar

from places import agenda
from places.models import validate_rule
from places.reference_data import DEMO_PROVENANCE
from tests.factories import ActivityFactory, PlaceFactory

PARIS = ZoneInfo("Europe/Paris")


def at(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;BYDAY=TU",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
        "FREQ=MONTHLY;BYDAY=1MO",
        "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270630",
    ],
)
def test_rules_calendars_read_are_accepted(rule):
    validate_rule(rule)


@pytest.mark.parametrize("rule", ["chaque mardi", "FREQ=HOURLY", "FREQ=WEEKLY;BYDAY=XX"])
def test_other_rules_are_refused(rule):
    with pytest.raises(ValidationError):
        validate_rule(rule)


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=WEEKLY;BYDAY=TU", "chaque mardi, 09:00 – 12:00"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "un mardi sur deux, 09:00 – 12:00"),
        ("FREQ=MONTHLY;BYDAY=1TU", "le premier mardi du mois, 09:00 – 12:00"),
        ("FREQ=MONTHLY;BYDAY=-1TU", "le dernier mardi du mois, 09:00 – 12:00"),
        (
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270629",
            "chaque mardi, 09:00 – 12:00, jusqu'au 29 juin 2027",
        ),
    ],
)
def test_a_rule_in_words(db, rule, words):
    activity = ActivityFactory.build(
        rule=rule, starts_at=at(2026, 12, 1, 9), ends_at=at(2026, 12, 1, 12)
    )
    assert agenda.describe(activity) == words


def test_the_next_dates_follow_the_rule(db):
    activity = ActivityFactory.build(rule="FREQ=WEEKLY;BYDAY=TU", starts_at=at(2026, 12, 1, 9))
    dates = agenda.next_dates(activity, at(2026, 12, 3, 12))
    assert dates == [at(2026, 12, 8, 9), at(2026, 12, 15, 9), at(2026, 12, 22, 9)]


def feed(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def test_a_places_feed_parses_with_its_recurring_and_dated_activities(client, db):
    place = PlaceFactory(name="Le Hangar", street="2 rue des Forges", commune="Caen")
    ActivityFactory(
        place=place,
        title="Permanence France Travail",
        kind="permanence",
        rule="FREQ=WEEKLY;BYDAY=TU",
        starts_at=at(2026, 12, 1, 9),
        ends_at=at(2026, 12, 1, 12),
    )
    ActivityFactory(place=place, title="Marché de Noël", starts_at=at(2026, 12, 19, 10))
    ActivityFactory(place=place, title="Sans date", starts_at=None)
    ActivityFactory(
        place=place,
        title="Démonstration",
        starts_at=at(2026, 12, 5, 10),
        provenance=DEMO_PROVENANCE,
    )
    calendar = feed(client.get(f"/lieux/{place.slug}/agenda.ics"))
    assert str(calendar["X-WR-CALNAME"]) == "Agenda de Le Hangar"
    events = {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {"Permanence France Travail — Le Hangar", "Marché de Noël — Le Hangar"}
    permanence = events["Permanence France Travail — Le Hangar"]
    assert permanence["RRULE"]["FREQ"] == ["WEEKLY"] and permanence["RRULE"]["BYDAY"] == ["TU"]
    assert permanence.decoded("DTSTART") == at(2026, 12, 1, 9)
    assert permanence.decoded("DTSTART").tzinfo is not None
    assert "2 rue des Forges" in str(permanence["LOCATION"])
    assert str(permanence["URL"]).endswith(f"/lieux/{place.slug}/")
    assert str(permanence["UID"]).startswith("activite-")
    assert calendar.walk("VTIMEZONE")  # Europe/Paris described for calendar applications


def test_any_list_has_its_feed(client, db):
    calvados = PlaceFactory(name="Calvados")
    ActivityFactory(place=calvados, title="Atelier vélo", starts_at=at(2026, 12, 2, 14))
    from places.models import Department

    elsewhere = PlaceFactory(name="Ailleurs", department=Department.objects.get(code="44"))
    ActivityFactory(place=elsewhere, title="Atelier bois", starts_at=at(2026, 12, 3, 14))
    calendar = feed(client.get("/agenda.ics?departement=14"))
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Atelier vélo — Calvados"]
    assert len(feed(client.get("/agenda.ics")).walk("VEVENT")) == 2


def test_the_place_page_says_the_rule_and_links_its_feed(client, db):
    place = PlaceFactory()
    ActivityFactory(
        place=place,
        title="Permanence",
        rule="FREQ=WEEKLY;BYDAY=TU",
        starts_at=at(2024, 1, 2, 9),
        ends_at=at(2024, 1, 2, 12),
    )
    page = client.get(place.get_absolute_url()).content.decode()
    assert "chaque mardi, 09:00 – 12:00" in page
    assert "Prochaines dates" in page
    assert f'href="/lieux/{place.slug}/agenda.ics"' in page


def test_a_recurring_activity_needs_its_first_date(db):
    activity = ActivityFactory.build(place=PlaceFactory(), rule="FREQ=WEEKLY", starts_at=None)
    with pytest.raises(ValidationError) as error:
        activity.full_clean()
    assert "starts_at" in error.value.message_dict


def test_the_rule_in_english(db):
    from django.utils import translation

    activity = ActivityFactory.build(
        rule="FREQ=MONTHLY;BYDAY=1MO", starts_at=at(2026, 12, 7, 14), ends_at=at(2026, 12, 7, 17)
    )
    with translation.override("en"):
        assert agenda.describe(activity).startswith("the first Monday of the month, ")
