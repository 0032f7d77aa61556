"""Production hardening: a page cache that cannot be poisoned, requests refused before they cost,
strict headers, login throttling and rate limits, and pages that survive the database going
away. Each attack below was replayed against the earlier code and succeeded."""

import json
import logging
import logging.config
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from places import cache as cache_module
from places.cache import _accepts_gzip
from tests.factories import PlaceFactory, UserFactory
from tierslieux import views
from tierslieux.security import client_ip
from tierslieux.storage import media_origin, media_storage

pytestmark = pytest.mark.django_db

PAGE_TITLE = 'id="results-title"'


def cached_entries() -> int:
    return len(cache._cache)  # local memory in tests (conftest)


# Page cache poisoning
# ---------------------------------------------------------------------------------------------


def test_a_script_name_sent_by_a_client_cannot_store_another_page(client):
    PlaceFactory(name="Le Wip")
    # The attack: the home page requested as /lieux/ (SCRIPT_NAME /lieux, PATH_INFO /).
    poisoned = client.get("/", SCRIPT_NAME="/lieux")
    assert poisoned.status_code == 200
    visitor = Client().get("/lieux/")
    assert PAGE_TITLE in visitor.text  # the directory, not the home page stored under its URL
    assert "Le Wip" in visitor.text


def test_a_forwarded_scheme_never_reaches_another_visitors_page(client):
    PlaceFactory(name="Le Wip")
    # Host sent as browsers and proxies do (without it the test client's host differs by scheme)
    https = client.get("/lieux/", HTTP_HOST="testserver", HTTP_X_FORWARDED_PROTO="https")
    assert 'rel="canonical" href="https://testserver/lieux/"' in https.text
    plain = Client().get("/lieux/", HTTP_HOST="testserver")
    assert 'rel="canonical" href="http://testserver/lieux/"' in plain.text
    assert "https://testserver" not in plain.text
    # and the reverse order
    cache.clear()
    Client().get("/lieux/", HTTP_HOST="testserver")
    secure = client.get("/lieux/", HTTP_HOST="testserver", HTTP_X_FORWARDED_PROTO="https")
    assert "http://testserver" not in secure.text


def test_a_new_release_never_serves_the_previous_releases_pages(client, settings):
    PlaceFactory(name="Le Wip")
    settings.RELEASE = "release-1"
    client.get("/lieux/")
    with CaptureQueriesContext(connection) as same:
        client.get("/lieux/")
    assert len(same) == 1  # the data version: from the cache
    settings.RELEASE = "release-2"
    with CaptureQueriesContext(connection) as new:
        client.get("/lieux/")
    assert len(new) > 1  # rendered by the new release's templates
    settings.RELEASE = ""
    assert len(cache_module.release()) == 12  # a digest of the code when none is named


@pytest.mark.parametrize(
    ("accept", "gzip"),
    [
        ("gzip, deflate, br", True),
        ("gzip;q=0.5, identity", True),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", True),
        ("*", True),
        ("GZIP", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0, deflate", False),
        ("*;q=0.5, gzip;q=0", False),
        ("identity", False),
        ("", False),
        ("gzip;q=abc", False),
    ],
)
def test_accept_encoding_is_read_with_its_qualities(accept, gzip):
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=accept)
    assert _accepts_gzip(request) is gzip


# Requests refused before they cost
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/departements/%00/",
        "/lieux/%00/",
        "/lieux/?q=%00",
        "/lieux/?region=normandie%00",
        "/en/regions/%00/",
    ],
)
def test_a_nul_byte_gets_a_400_page(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "caractère nul" in response.text
    assert "null character" in response.text


def test_a_nul_byte_in_the_admin_gets_a_400(client):
    client.force_login(UserFactory(group="Modérateurs"))
    for url in (
        "/admin/places/place/?region=%00",
        "/admin/places/place/?q=%00",
        "/admin/autocomplete/?app_label=places&model_name=place&field_name=department&term=%00",
    ):
        assert client.get(url).status_code == 400, url


def test_a_5_mb_query_string_is_refused_at_once_and_never_cached(client):
    PlaceFactory()
    before = cached_entries()
    started = time.perf_counter()
    response = client.get("/lieux/?q=" + "coworking+" * 500_000)
    assert response.status_code == 400
    assert "trop longue" in response.text
    assert len(response.content) < 5_000
    assert time.perf_counter() - started < 1  # not a timing target: it used to take 4.7 s
    assert cached_entries() == before
    # the longest query the directory's own form makes still works
    full = "/lieux/?" + "&".join(
        ["q=tiers-lieu+coworking+fablab", "region=normandie", "departement=14", "tri=nom"]
        + [f"famille={family}" for family in ("coworking", "fablab", "friche-culturelle")]
    )
    assert client.get(full).status_code == 200


# Headers
# ---------------------------------------------------------------------------------------------


def page_urls():
    place = PlaceFactory(name="Le Wip")
    return ["/", "/lieux/", place.get_absolute_url(), "/admin/login/", "/en/lieux/"]


def assert_strict_headers(response):
    csp = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "https://tile.openstreetmap.org" in directives["img-src"]
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "geolocation=()" in response["Permissions-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_every_page_carries_the_security_headers_fresh_and_from_the_cache():
    assert settings.SECURE_HSTS_SECONDS == 365 * 24 * 3600
    for url in page_urls():
        for attempt in ("fresh", "cached"):
            response = Client().get(url, secure=True)
            assert response.status_code == 200, (url, attempt)
            assert_strict_headers(response)


def test_plain_http_is_redirected_to_https_in_production(settings):
    from django.middleware.security import SecurityMiddleware

    settings.SECURE_SSL_REDIRECT = True
    middleware = SecurityMiddleware(lambda request: None)
    response = middleware.process_request(RequestFactory().get("/lieux/?q=fablab"))
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/lieux/?q=fablab"
    # but the load balancer's health checks, over http to the app server, are answered
    for probe in ("/sante/", "/sante/pret/"):
        assert middleware.process_request(RequestFactory().get(probe)) is None


# Abuse limits
# ---------------------------------------------------------------------------------------------


def login(client, password, username="moderatrice", ip="203.0.113.7"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def test_ten_wrong_passwords_lock_the_ip_and_the_account_with_a_clear_message(client):
    UserFactory(username="moderatrice", group="Modérateurs")
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, f"essai {attempt}")
        assert response.status_code == 200  # the form again, with Django's own error
        assert 'class="errornote"' in response.text
    locked = login(client, "essai 9")
    assert locked.status_code == 429
    assert "Connexion bloquée" in locked.text
    assert "Après 10 mots de passe erronés" in locked.text
    assert locked["Retry-After"] == str(15 * 60)
    # the right password no longer opens the door, from this address…
    assert login(client, "un mot de passe solide 42").status_code == 429
    # … nor to this account from another address, nor to another account from this address
    assert login(Client(), "un mot de passe solide 42", ip="198.51.100.2").status_code == 429
    UserFactory(username="editrice", group="Éditeurs")
    assert login(Client(), "un mot de passe solide 42", username="editrice").status_code == 429
    # someone else, elsewhere, signs in
    response = login(Client(), "un mot de passe solide 42", username="editrice", ip="192.0.2.5")
    assert response.status_code == 302


def test_the_lockout_page_is_in_english_under_en(client):
    UserFactory(username="moderatrice")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(
            "/en/admin/login/", {"username": "moderatrice", "password": f"x{attempt}"}
        )
    assert response.status_code == 429
    assert "Sign-in blocked" in response.text
    assert "Try again in 15 minutes." in response.text


def test_a_client_computing_too_many_new_pages_gets_a_429_page(client, settings):
    settings.DIRECTORY_RATE_LIMIT = "3/m"
    PlaceFactory(name="Le Wip", families=["fablab"])
    for word in ("fablab", "wip", "atelier"):
        assert client.get("/lieux/", {"q": word}).status_code == 200
    throttled = client.get("/lieux/", {"q": "coworking"})
    assert throttled.status_code == 429
    assert throttled["Retry-After"] == "60"
    assert "Trop de demandes" in throttled.text
    assert "réessayez dans une minute" in throttled.text
    # a page already computed costs nothing and is still served; another client is not limited
    assert client.get("/lieux/", {"q": "fablab"}).status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.9").get("/lieux/", {"q": "coworking"}).status_code == 200
    # staff are never limited
    client.force_login(UserFactory(group="Modérateurs"))
    assert client.get("/lieux/", {"q": "tiers-lieu"}).status_code == 200


def test_the_client_address_is_the_one_the_trusted_proxy_saw(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "127.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"  # not the entry the client wrote itself
    settings.TRUSTED_PROXY_COUNT = 3  # fewer entries than proxies: the peer
    assert client_ip(request) == "127.0.0.1"


# Faults
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def database_down():
    """Make the default database unreachable for real: the connection closed, and the next one
    aimed at a local port where nothing listens (connection refused, as during a restart)."""
    saved = dict(connection.settings_dict)

    def stop():
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT="9")

    yield stop
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_cached_pages_are_served_while_the_database_is_down(database_down):
    PlaceFactory(name="Le Wip", families=["fablab"])
    visitor = Client()
    assert "Le Wip" in visitor.get("/lieux/").text
    database_down()
    again = visitor.get("/lieux/")
    assert again.status_code == 200
    assert "Le Wip" in again.text
    # a page never computed cannot be: a 503 page that says so, not a 500
    new = visitor.get("/lieux/", {"q": "fablab"})
    assert new.status_code == 503
    assert new["Retry-After"] == "10"
    assert "ne répond pas en ce moment" in new.text
    assert Client().get("/sante/").status_code == 200  # alive
    ready = Client().get("/sante/pret/")
    assert ready.status_code == 503  # but not ready
    assert ready.json()["database"].startswith("unavailable")
    assert ready.json()["cache"] == "ok"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_admin_save_during_an_outage_says_so_and_keeps_what_was_typed(database_down):
    place = PlaceFactory(name="Le Wip")
    staff = Client()
    staff.force_login(UserFactory(group="Modérateurs"))
    url = reverse("admin:places_place_change", args=[place.pk])
    assert staff.get(url).status_code == 200
    database_down()
    response = staff.post(
        url,
        {"name": "Le Wip — Colombelles", "description": "Ancien atelier électrique\nde la SMN"},
    )
    assert response.status_code == 503
    assert "Rien n'a été enregistré" in response.text
    assert '<form method="post" action="/admin/places/place/' in response.text
    assert 'name="name" value="Le Wip — Colombelles"' in response.text
    assert "Ancien atelier électrique\nde la SMN" in response.text  # kept, newline included
    assert 'name="csrfmiddlewaretoken"' in response.text


def test_readiness_checks_the_database_and_the_cache(client):
    response = client.get("/sante/pret/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_the_500_page_tells_the_truth(settings):
    request = RequestFactory().get("/")
    settings.ADMINS, settings.ERRORS_REPORTED = [], False
    silent = views.server_error(request)
    assert silent.status_code == 500
    assert "signalée" not in silent.text and "reported" not in silent.text
    assert "écrivez à l'équipe" in silent.text
    settings.ADMINS, settings.ERRORS_REPORTED = [("Équipe", "equipe@example.org")], True
    assert "signalée automatiquement" in views.server_error(request).text


def test_a_server_error_is_mailed_to_admins(client, settings, mailoutbox, monkeypatch):
    settings.ADMINS = [("Équipe", "equipe@example.org")]
    PlaceFactory(name="Le Wip")

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("places.views.PlaceListView.get", broken)
    client.raise_request_exception = False
    response = client.get("/lieux/")
    assert response.status_code == 500
    assert [message.to for message in mailoutbox] == [["equipe@example.org"]]
    assert "a bug" in mailoutbox[0].body


def test_logs_are_json_lines_in_production():
    config = settings.LOGGING
    assert config["handlers"]["console"]["formatter"] == "json"
    formatter = logging.config.dictConfigClass(config).configure_formatter(
        config["formatters"]["json"]
    )
    record = logging.LogRecord(
        "places", logging.WARNING, __file__, 1, "data version %s", (4,), None
    )
    line = json.loads(formatter.format(record))
    assert line["level"] == "WARNING"
    assert line["logger"] == "places"
    assert line["message"] == "data version 4"


# Media storage and read replica
# ---------------------------------------------------------------------------------------------


def test_media_on_object_storage_from_one_url():
    url = "s3://photos-annuaire/media?endpoint_url=https://s3.fr-par.scw.cloud&region_name=fr-par"
    storage = media_storage(url)
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] == {
        "bucket_name": "photos-annuaire",
        "location": "media",
        "querystring_auth": False,  # plain URLs: signed ones would expire in cached pages
        "file_overwrite": False,
        "default_acl": None,
        "endpoint_url": "https://s3.fr-par.scw.cloud",
        "region_name": "fr-par",
    }
    assert media_origin(url) == "https://s3.fr-par.scw.cloud"
    from django.core.exceptions import ImproperlyConfigured

    for wrong in ("photos-annuaire", "s3://bucket?endpoint=https://x"):
        with pytest.raises(ImproperlyConfigured):
            media_storage(wrong)


@pytest.fixture
def replica(django_db_serialized_rollback, transactional_db, settings):
    """A second connection to the test database under the alias "replica", routed as a read
    replica would be (committed data: a transactional test)."""
    from django.db import connections, router
    from django.db.utils import load_backend

    backend = load_backend(connection.settings_dict["ENGINE"])
    connections["replica"] = backend.DatabaseWrapper(dict(connection.settings_dict), "replica")
    settings.DATABASES = {**settings.DATABASES, "replica": connection.settings_dict}
    settings.DATABASE_ROUTERS = ["tierslieux.routers.ReplicaRouter"]
    router._routers = None  # read again from the settings (a cached property)
    router.__dict__.pop("routers", None)
    yield connections["replica"]
    connections["replica"].close()
    del connections["replica"]
    router._routers = None
    router.__dict__.pop("routers", None)


def test_anonymous_pages_read_from_the_replica_and_staff_from_the_primary(replica):
    from django.test.utils import CaptureQueriesContext

    PlaceFactory(name="Le Wip", families=["fablab"])
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connection) as on_primary,
    ):
        assert "Le Wip" in Client().get("/lieux/", {"q": "wip"}).text
    assert len(on_replica) >= 2
    assert len(on_primary) == 0, [query["sql"] for query in on_primary.captured_queries]
    staff = Client()
    staff.force_login(UserFactory(group="Modérateurs"))
    with CaptureQueriesContext(replica) as on_replica:
        assert "Le Wip" in staff.get("/lieux/", {"q": "wip"}).text
        assert staff.get(reverse("admin:places_place_changelist")).status_code == 200
    assert len(on_replica) == 0


@pytest.fixture
def reload_urls():
    import importlib

    from django.urls import clear_url_caches

    import tierslieux.urls

    def reload():
        importlib.reload(tierslieux.urls)
        clear_url_caches()

    yield reload
    reload()  # back to the settings of the run


def test_photos_are_served_by_django_only_when_asked(settings, reload_urls):
    photo = Path(settings.MEDIA_ROOT) / "photos" / "halle.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8\xff not really a jpeg")
    settings.SERVE_MEDIA = False  # production default: the reverse proxy serves them
    reload_urls()
    assert Client().get("/media/photos/halle.jpg").status_code == 404
    settings.SERVE_MEDIA = True  # DJANGO_SERVE_MEDIA=1: one machine, no proxy
    reload_urls()
    response = Client().get("/media/photos/halle.jpg")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")
    assert Client().get("/media/../settings.py").status_code in (400, 404)  # never the file


def test_a_moderator_lifts_a_lockout_from_the_admin(client):
    from axes.models import AccessAttempt

    UserFactory(username="moderatrice", group="Modérateurs")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), f"essai {attempt}")
    assert login(Client(), "un mot de passe solide 42").status_code == 429
    colleague = Client()
    colleague.force_login(UserFactory(username="collegue", group="Modérateurs"))
    listing = colleague.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "moderatrice" in listing.text
    attempt = AccessAttempt.objects.get(username="moderatrice")
    response = colleague.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert login(Client(), "un mot de passe solide 42").status_code == 302  # signed in again
    # an editor cannot see them
    editor = Client()
    editor.force_login(UserFactory(username="editeur", group="Éditeurs"))
    assert editor.get("/admin/axes/accessattempt/").status_code == 403
