"""Agendas: activities that recur (an RFC 5545 rule read with python-dateutil) said in words
(« chaque mardi, 9:00 – 12:00 ») with their next dates, and iCalendar feeds (the ``icalendar``
package) of a place or of any list of the directory, for calendar applications.

Illustrative demo activities are never in a feed: a calendar would show them as real."""

import datetime
import re

from dateutil.rrule import rrulestr
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vRecur

from places.reference_data import DEMO_PROVENANCE

DAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
MAX_EVENTS = 5000


def _day_names() -> list[str]:
    monday = datetime.date(2024, 1, 1)
    return [formats.date_format(monday + datetime.timedelta(days=n), "l") for n in range(7)]


def _ordinal(n: int) -> str:
    return {
        1: _("premier"),
        2: _("deuxième"),
        3: _("troisième"),
        4: _("quatrième"),
        -1: _("dernier"),
    }.get(n, str(n))


def _parts(rule: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in rule.upper().split(";") if "=" in part)


def describe(activity) -> str:
    """The rule in words, with the hours: « chaque mardi, 09:00 – 12:00 », « un jeudi sur
    deux », « le premier lundi du mois »; else the rule itself."""
    parts = _parts(activity.rule)
    interval = int(parts.get("INTERVAL", "1") or 1)
    names = _day_names()
    days = [day for day in parts.get("BYDAY", "").split(",") if day]
    frequency = parts.get("FREQ")
    text = ""
    if frequency == "DAILY" and interval == 1:
        text = _("chaque jour")
    elif frequency == "WEEKLY" and all(day in DAYS for day in days):
        if not days and activity.starts_at:
            days = [list(DAYS)[timezone.localtime(activity.starts_at).weekday()]]
        listed = ", ".join(names[DAYS[day]] for day in days)
        if interval == 1:
            text = _("chaque %(days)s") % {"days": listed}
        elif interval == 2:
            text = _("un %(days)s sur deux") % {"days": listed}
        else:
            text = _("le %(days)s, toutes les %(n)d semaines") % {"days": listed, "n": interval}
    elif frequency == "MONTHLY" and len(days) == 1:
        match = re.fullmatch(r"([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)", days[0])
        if match and match[1]:
            text = _("le %(nth)s %(day)s du mois") % {
                "nth": _ordinal(int(match[1])),
                "day": names[DAYS[match[2]]],
            }
    if not text:
        text = _("selon la règle %(rule)s") % {"rule": activity.rule}
    if activity.starts_at:
        start = timezone.localtime(activity.starts_at)
        hours = formats.time_format(start, "TIME_FORMAT")
        if activity.ends_at:
            end = timezone.localtime(activity.ends_at)
            hours = _("%(start)s – %(end)s") % {
                "start": hours,
                "end": formats.time_format(end, "TIME_FORMAT"),
            }
        text = f"{text}, {hours}"
    last = None
    if re.fullmatch(r"\d{8}.*", parts.get("UNTIL", "")):
        until = parts["UNTIL"]
        last = datetime.date(int(until[:4]), int(until[4:6]), int(until[6:8]))
    elif "COUNT" in parts and (dates := occurrences(activity, after=None)):
        last = timezone.localtime(dates[-1]).date()
    if last:
        text += ", " + _("jusqu'au %(date)s") % {"date": formats.date_format(last)}
    return text


def occurrences(activity, after: datetime.datetime | None, count: int = 200) -> list:
    """The activity's dates from its first (or after ``after``), at most ``count``."""
    if not activity.starts_at:
        return []
    start = timezone.localtime(activity.starts_at)
    rule = rrulestr(f"RRULE:{activity.rule}", dtstart=start.replace(tzinfo=None))
    found = []
    after_naive = timezone.localtime(after).replace(tzinfo=None) if after else None
    for moment in rule:
        if after_naive is None or moment >= after_naive:
            found.append(timezone.make_aware(moment, start.tzinfo))
            if len(found) >= count:
                break
    return found


def next_dates(activity, now: datetime.datetime, count: int = 3) -> list:
    return occurrences(activity, after=now, count=count)


def calendar(activities, name: str, url: str, page_url, host: str) -> bytes:
    """An iCalendar document of the dated activities (one VEVENT each, with its RRULE when it
    recurs), in Paris time; ``page_url(place)`` gives each place's page."""
    feed = Calendar()
    feed.add("prodid", "-//Annuaire des tiers-lieux//agenda//FR")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("x-wr-calname", name)
    feed.add("x-wr-timezone", "Europe/Paris")
    feed.add("source", url)
    stamp = timezone.now()
    for count, activity in enumerate(activities):
        if count >= MAX_EVENTS:
            break
        if not activity.starts_at or activity.provenance == DEMO_PROVENANCE:
            continue
        place = activity.place
        event = Event()
        event.add("uid", f"activite-{activity.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", timezone.localtime(activity.starts_at))
        if activity.ends_at:
            event.add("dtend", timezone.localtime(activity.ends_at))
        if activity.rule:
            event.add("rrule", vRecur.from_ical(activity.rule))
        event.add("summary", f"{activity.title} — {place.name}")
        event.add("description", activity.description or activity.get_kind_display())
        address = ", ".join(
            part
            for part in (place.name, place.street, f"{place.postcode} {place.commune}")
            if part.strip()
        )
        event.add("location", address)
        event.add("url", activity.registration_url or page_url(place))
        event.add("categories", [str(activity.get_kind_display())])
        feed.add_component(event)
    feed.add_missing_timezones()
    return feed.to_ical()
