"""Opening hours, written in the OpenStreetMap syntax (the médiation numérique standard's
format) and read with ``opening-hours-py``: the week a place's page shows, and whether a place
is open at a given time. French public holidays (``PH``) and Paris time."""

import datetime
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import formats, timezone
from opening_hours import OpeningHours, State

PARIS = ZoneInfo("Europe/Paris")


@dataclass
class Day:
    date: datetime.date
    opened: list[tuple[datetime.time, datetime.time | None]]  # None: until midnight
    unknown: bool  # some hours said « unknown » (to be confirmed)

    @property
    def name(self) -> str:
        return formats.date_format(self.date, "l")


def parse(value: str) -> OpeningHours:
    return OpeningHours(value, country="FR")


def week(value: str, today: datetime.date) -> list[Day]:
    """The seven days from the Monday of ``today``'s week, with their opening intervals."""
    hours = parse(value)
    monday = today - datetime.timedelta(days=today.weekday())
    days = []
    for offset in range(7):
        date = monday + datetime.timedelta(days=offset)
        start = datetime.datetime.combine(date, datetime.time())
        end = start + datetime.timedelta(days=1)
        opened, unknown = [], False
        for begin, finish, state, _comment in hours.intervals(start, end):
            if state == State.OPEN:
                until = None if finish >= end else finish.time()
                opened.append((begin.time(), until))
            elif state == State.UNKNOWN:
                unknown = True
        days.append(Day(date, opened, unknown))
    return days


def is_open(value: str, moment: datetime.datetime) -> bool:
    """Whether hours ``value`` say open at ``moment`` (aware, or Paris time if naive)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(PARIS).replace(tzinfo=None)
    return parse(value).is_open(moment)


def now() -> datetime.datetime:
    """The time « ouvert maintenant » means (one place to fix it in tests)."""
    return timezone.now()


@functools.lru_cache(maxsize=4096)
def _parsed(value: str) -> OpeningHours:
    return parse(value)


def open_now(moment: datetime.datetime, places=None) -> list[int]:
    """The ids of the published places whose hours say open at ``moment``; ``places``: their
    (id, hours) pairs, else read."""
    if places is None:
        from places.models import Place

        places = Place.objects.published().exclude(opening_hours="")
        places = places.values_list("pk", "opening_hours")
    paris = moment.astimezone(PARIS).replace(tzinfo=None)
    return [pk for pk, value in places if _parsed(value).is_open(paris)]
