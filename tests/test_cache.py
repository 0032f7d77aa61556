"""Cached figures: invalidated by any change to the data (triggers bump the data version), never
shared between languages, and shared by workers through Redis when REDIS_URL is set."""

import re
import threading
import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from places import cache
from places.models import Place, PublicationStatus
from tests.factories import PlaceFactory, SpaceFactory

pytestmark = pytest.mark.django_db


def count(client, query="famille=fablab"):
    """The result count as the page shows it (a cached page has no template context)."""
    text = client.get("/lieux/?" + query).text
    return int(re.search(r'id="results-title"[^>]*>(\d+) lieu', text).group(1))


def test_every_kind_of_change_bumps_the_data_version():
    place = PlaceFactory()
    before = cache.data_version()
    SpaceFactory(place=place)
    assert cache.data_version() > before
    before = cache.data_version()
    with connection.cursor() as cursor:  # plain SQL, no Django signal
        cursor.execute("UPDATE places_place SET name = name || ' !' WHERE id = %s", [place.pk])
    assert cache.data_version() > before


def test_cached_figures_follow_the_data(client):
    PlaceFactory(families=["fablab"])
    assert count(client) == 1
    with CaptureQueriesContext(connection) as again:
        assert count(client) == 1
    assert len(again) == 1  # the data version: the page came from the cache
    with CaptureQueriesContext(connection) as other:
        assert count(client, "famille=fablab&page=1") == 1
    # the data version, the page's rows (their first photos and running partnerships in the
    # same query): the index and the page's ids cached, counts from the index
    assert len(other) == 2
    PlaceFactory(families=["fablab"])  # through the ORM
    assert count(client) == 2
    Place.objects.update(status=PublicationStatus.DRAFT)  # in bulk, like the admin's actions
    assert count(client) == 0
    response = client.get("/lieux.geojson", {"famille": "fablab"})
    assert response.json()["total"] == 0


def test_languages_never_share_a_page(client):
    PlaceFactory(families=["fablab"])
    french = client.get("/lieux/", {"famille": "fablab"}).text
    english = client.get("/en/lieux/", {"famille": "fablab"}).text
    assert "Fablab / atelier de fabrication numérique" in french
    assert "Fablab / digital fabrication workshop" in english
    assert "atelier de fabrication" not in english
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en").text.count("Annuaire des tiers-lieux") >= 1


@pytest.fixture
def redis_cache(settings):
    """The Redis server of this machine, under a key prefix of its own (never flushed whole)."""
    prefix = f"tests-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": prefix,
        }
    }
    from django.core.cache import cache as django_cache

    yield django_cache
    client = django_cache._cache.get_client()
    for key in client.keys(f"{prefix}:*"):
        client.delete(key)


def test_redis_backend_serves_the_figures(client, redis_cache):
    PlaceFactory(families=["fablab"])
    assert count(client) == 1
    assert any(b"places:facet-index:" in key for key in redis_cache._cache.get_client().keys("*"))
    with CaptureQueriesContext(connection) as again:
        assert count(client) == 1
    assert len(again) == 1


def test_a_long_computation_runs_once_while_the_others_wait_for_it():
    """After a data change every worker wants the facet index at once: one computes it, the
    others wait for it rather than compute it together (get_or_compute_once)."""
    from django.core.cache import cache as backend

    key = cache.key("slow", 1, "parts")
    backend.add(key + ":computing", 1)  # another worker is computing it
    threading.Timer(0.2, lambda: backend.set(key, "from the other worker")).start()

    def never():
        raise AssertionError("computed although another worker was computing it")

    assert cache.get_or_compute_once("slow", 1, ("parts",), never) == "from the other worker"


def test_a_waiter_computes_itself_when_the_other_worker_never_delivers():
    from django.core.cache import cache as backend

    backend.add(cache.key("slow", 2, "parts") + ":computing", 1)  # a worker that died
    started = time.monotonic()
    value = cache.get_or_compute_once("slow", 2, ("parts",), lambda: "computed here", wait=0.3)
    assert value == "computed here"
    assert 0.3 <= time.monotonic() - started < 2
    assert cache.get_or_compute_once("slow", 2, ("parts",), lambda: "again") == "computed here"
