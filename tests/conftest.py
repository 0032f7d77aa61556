import html
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.management import call_command
from django.http import QueryDict
from django.utils import translation

from places import facets
from places.facets import CLOSED, Figures
from places.filters import PlaceFilter
from places.models import Place
from tests.factories import UserFactory

CENSUS = Path(__file__).resolve().parent.parent / "data" / "cget-tiers-lieux-2019.csv"


@pytest.fixture(autouse=True)
def _test_storage(settings, tmp_path):
    """Plain static storage (no collectstatic manifest in tests) and a throw-away media root."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    settings.WHITENOISE_USE_FINDERS = True
    # Local memory whatever REDIS_URL says: each test empties it (tests/test_cache.py uses Redis).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # No background ranking: a thread's own connection would not see a test's transaction
    # (tests/test_facets.py calls warm_common_searches itself).
    settings.DIRECTORY_WARM_SEARCHES = 0


@pytest.fixture(autouse=True)
def _empty_cache(_test_storage):
    """Each test starts with an empty cache: a rolled-back test leaves the data version where it
    was, so a figure cached by one test could otherwise be read by the next. Local memory only:
    a test using Redis cleans its own keys (clearing would flush the whole Redis database)."""
    if isinstance(caches["default"], LocMemCache):
        cache.clear()
    facets.forget_index()
    yield
    if isinstance(caches["default"], LocMemCache):
        cache.clear()
    facets.forget_index()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in French: a request to an /en/ page leaves English active in the thread,
    and reverse() in the next test would build /en/ URLs."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def moderator(client):
    """The test client signed in as a Modérateur (``client.user``)."""
    client.user = UserFactory(username="moderatrice", group="Modérateurs")
    client.force_login(client.user)
    return client


@pytest.fixture
def editor(client):
    """The test client signed in as an Éditeur (``client.user``)."""
    client.user = UserFactory(username="editeur", group="Éditeurs")
    client.force_login(client.user)
    return client


def text_of(response) -> str:
    """A response's text as a person reads it (entities such as &#x27; decoded)."""
    return html.unescape(response.content.decode())


@pytest.fixture
def census_path():
    return CENSUS


@pytest.fixture
def census(db):
    """The real census imported, Le Wip enriched, the demo data loaded: what `make run` serves."""
    call_command("import_cget", str(CENSUS), stdout=io.StringIO())
    call_command("load_reference_data", stdout=io.StringIO())


@pytest.fixture(scope="module")
def committed_census(django_db_setup, django_db_blocker):
    """The real census committed for a whole module (read-only tests, the browser tests' live
    server, which reads through its own connection), removed at the end of the module."""
    from django.db import connection

    from places.models import Partner, Place

    with django_db_blocker.unblock():
        # Tests using this fixture must be marked django_db, or pytest-django may not set up the
        # test database at all: never write to a development database.
        assert connection.settings_dict["NAME"].startswith("test_"), "not a test database"
        call_command("import_cget", str(CENSUS), stdout=io.StringIO())
        call_command("load_reference_data", stdout=io.StringIO())
        try:
            yield
        finally:
            Place.objects.all().delete()
            Partner.objects.all().delete()
            clear_history()


def clear_history():
    """Forget the versions committed data left (the next module starts with none)."""
    from places.history import tracked_models

    for model in tracked_models():
        model.history.all().delete()


@pytest.fixture(scope="module")
def communes_loaded(django_db_setup, django_db_blocker):
    """The 34,969 communes of data/communes-2026.csv, committed for the module, removed after."""
    from places.models import Commune

    with django_db_blocker.unblock():
        call_command("load_communes", stdout=io.StringIO())
        yield
        Commune.objects.all().delete()


@pytest.fixture
def census_reader(committed_census, db):
    """A test reading the committed census (inside its own rolled-back transaction)."""


# Facet counts against the FilterSet's own SQL (tests/test_facets*.py)
# ---------------------------------------------------------------------------------------------


def figures(query: str) -> Figures:
    return Figures(PlaceFilter(QueryDict(query), queryset=Place.objects.published()))


def sql_count(query: QueryDict) -> int:
    """The ground truth: the FilterSet's SQL, counted by PostgreSQL."""
    return PlaceFilter(query, queryset=Place.objects.published()).qs.count()


def assert_counts_match_sql(query: str, hidden: bool = False):
    """Every option offered has the count PostgreSQL gives; with ``hidden``, every option not
    offered (none of its places under the other filters) gives no place either."""
    result = figures(query)
    data = QueryDict(query)
    assert result.total == sql_count(data), query
    for facet in result.facets:
        shown = {option.value for option in facet.options}
        # closed places: not a narrowing filter, its count is how many places it adds
        without = data.copy()
        without.pop(CLOSED, None)
        added = sql_count(without) if facet.name == CLOSED else 0
        for option in facet.options:
            # the option's count: the other filters, and this option instead of this filter's
            expected = data.copy()
            expected.setlist(facet.name, [option.value])
            assert option.count == sql_count(expected) - added, (query, facet.name, option.value)
        for value, _label in result.choices(facet.name) if hidden else ():
            if value not in shown:
                expected = data.copy()
                expected.setlist(facet.name, [value])
                assert sql_count(expected) - added == 0, (query, facet.name, value)
