"""The map at 100,000 places, in the browser: the real census and 98,488 synthetic places
(places.synthetic, as `make bench` loads them), committed for this module and removed after.
France opens as a few hundred clusters, not 100,000 markers, with the places in view listed;
the time from asking for /carte/ to the drawn clusters, for the first visitor after the data
changed (whose request builds the facet index) and for a later one (nothing cached but that
index), is written to screenshots/map-100000.json, for docs/performance.md (speed is measured
there, not asserted here)."""

import json
import re
import time

import pytest
from django.core.cache import cache
from django.db import connection
from playwright.sync_api import expect

from places import synthetic
from places.models import Partner, Place, SearchWord
from tests.conftest import clear_history
from tests.test_browser import (  # noqa: F401 (fixtures)
    SCREENSHOTS,
    Session,
    _loopback_tiles,
    browser,
    live_url,
)

pytestmark = pytest.mark.django_db

SYNTHETIC = 98_488


@pytest.fixture(scope="module")
def hundred_thousand(committed_census, django_db_blocker):
    with django_db_blocker.unblock():
        synthetic.generate(SYNTHETIC)
        synthetic.vacuum_analyze()
        assert Place.objects.published().count() >= 100_000
        yield
        # TRUNCATE rather than the ORM's delete: 100,000 places one signal at a time would take
        # minutes; the next module starts from empty tables, as committed_census leaves them.
        tables = ", ".join(model._meta.db_table for model in (Place, Partner, SearchWord))
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables} CASCADE")
        clear_history()


def test_france_opens_as_clusters_with_the_places_in_view_listed(
    hundred_thousand,
    browser,  # noqa: F811
    live_url,  # noqa: F811
):
    # hundred_thousand first: its ORM work runs before Playwright's event loop starts in this
    # thread (inside it, the ORM would take another, older connection)
    def open_france() -> tuple[Session, float]:
        session = Session(browser, live_url, viewport={"width": 1280, "height": 900})
        started = time.monotonic()
        session.goto("/carte/")
        expect(session.page.locator("#map")).to_have_attribute(
            "data-markers", re.compile(r"^[1-9]\d*$"), timeout=30_000
        )
        return session, time.monotonic() - started

    first_session, first_visitor = open_france()
    first_session.close()
    cache.clear()  # the pages and the points: a new visitor, nothing cached but the index
    session, drawn = open_france()
    page = session.page
    map_element = page.locator("#map")
    markers = int(map_element.get_attribute("data-markers"))
    in_view = int(map_element.get_attribute("data-in-view"))
    assert in_view > 90_000  # mainland France: nearly every place
    assert markers == page.locator(".leaflet-marker-icon").count()
    assert markers < 500  # clusters, not 100,000 markers
    expect(page.locator("#in-view li a")).to_have_count(50)
    # a cluster opens by keyboard, and the view narrows
    page.locator(".map-cluster").first.focus()
    page.keyboard.press("Enter")
    expect(map_element).not_to_have_attribute("data-in-view", str(in_view), timeout=30_000)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "map-100000-fr-1280.png")
    (SCREENSHOTS / "map-100000.json").write_text(
        json.dumps(
            {
                "seconds_to_clusters": round(drawn, 2),
                "seconds_to_clusters_first_after_a_data_change": round(first_visitor, 2),
                "markers": markers,
                "in_view": in_view,
            }
        )
    )
    session.close()
