"""The directory in a real browser: Debian's chromium driven by Playwright (nothing downloaded),
against a live server over the real census. Search, htmx filters, keyboard-only use, the map,
the no-JavaScript fallback, console errors, an axe-core audit of every page type in both
languages, and screenshots at phone and desktop widths in screenshots/ (git-ignored).

These tests never skip: `make test` installs chromium when it is missing (see the Makefile)."""

import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.db import connection
from django.test.testcases import LiveServerThread
from playwright.sync_api import expect, sync_playwright

pytestmark = pytest.mark.django_db

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
PAGES = {
    "home": "/",
    "directory": "/lieux/?region=normandie",
    "place": "/lieux/le-wip/",
    "partner": "/partenaires/spip-du-calvados/",
    "map": "/carte/?region=normandie",
    "about": "/a-propos/",
}


@pytest.fixture(scope="module")
def live_url(committed_census, django_db_blocker):
    server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    yield f"http://127.0.0.1:{server.port}"
    server.terminate()
    # A request thread still serving a browser keep-alive socket may hold a connection to the
    # test database, which would then refuse to be dropped.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="module")
def browser(live_url):
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # fixtures around it are plain synchronous calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE")
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _loopback_tiles(settings, live_url):
    """Map tiles from the live server itself: tests talk only to loopback."""
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.MAP_TILES_URL = live_url + "/static/vendor/leaflet/images/layers.png?{z}/{x}/{y}"


class Session:
    """A browser page that records console errors and refuses any request off loopback."""

    def __init__(self, browser, live_url, **context_options):
        self.live_url = live_url
        self.context = browser.new_context(**context_options)
        self.errors, self.external = [], []
        self.context.route("**/*", self._only_loopback)
        self.page = self.context.new_page()
        self.page.on(
            "console", lambda m: m.type == "error" and self.errors.append(f"{m.text} {m.location}")
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        # Every page runs under the production Content-Security-Policy: a violation (an inline
        # style or script, a foreign origin) is recorded here, besides the console's error.
        self.context.add_init_script(
            "window.__cspViolations = [];"
            "document.addEventListener('securitypolicyviolation', e =>"
            " window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )

    def csp_violations(self):
        return self.page.evaluate("window.__cspViolations")

    def _only_loopback(self, route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def goto(self, path):
        if self.context.pages and self.page.url.startswith(self.live_url):
            assert not self.csp_violations(), (self.page.url, self.csp_violations())
        response = self.page.goto(self.live_url + path)
        assert response.status == 200, path
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
        return response

    def close(self):
        if self.page.url.startswith(self.live_url):
            assert not self.csp_violations(), (self.page.url, self.csp_violations())
        self.context.close()
        assert not self.errors, self.errors
        assert not self.external, self.external


@pytest.fixture
def session(browser, live_url):
    session = Session(browser, live_url, viewport={"width": 1280, "height": 900})
    yield session
    session.close()


def test_search_from_the_home_page_and_open_a_place(session):
    page = session.page
    session.goto("/")
    page.get_by_label("Rechercher des lieux").fill("colombeles")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/lieux/\?q=colombeles"))
    page.get_by_role("link", name="Le Wip", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Le Wip")
    expect(page.locator(".small-map")).to_have_attribute("data-markers", "1")


def _tab_to(page, element_id, limit=200):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} not reachable with Tab")


def test_filters_by_keyboard_refresh_the_results_and_keep_focus(session):
    page = session.page
    session.goto("/lieux/")
    _tab_to(page, "f-region-normandie")
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"region=normandie"))
    expect(page.locator("#live-status")).to_contain_text("lieux")
    # htmx swapped the results and the counts, and focus stayed on the same checkbox
    assert page.evaluate("document.activeElement.id") == "f-region-normandie"
    assert page.locator("#f-region-normandie").is_checked()
    _tab_to(page, "f-famille-fablab")
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"famille=fablab"))
    expect(page.locator("#results-title")).to_have_text("12 lieux")
    assert page.evaluate("document.activeElement.id") == "f-famille-fablab"
    # the chips remove one filter
    page.get_by_role("link", name=re.compile("^Région : Normandie")).click()
    page.wait_for_url(re.compile(r"^((?!region=).)*$"))
    expect(page.locator("#results-title")).not_to_have_text("12 lieux")


def test_the_same_form_works_without_javascript(browser, live_url):
    session = Session(browser, live_url, java_script_enabled=False)
    page = session.page
    session.goto("/lieux/")
    page.locator("#f-region-normandie").check()
    page.locator("#f-famille-fablab").check()
    page.get_by_role("button", name="Appliquer les filtres").click()
    page.wait_for_url(re.compile(r"region=normandie"))
    expect(page.locator("#results-title")).to_have_text("12 lieux")
    session.close()


def test_the_map_shows_the_matching_places(session):
    page = session.page
    session.goto("/carte/?region=normandie")
    map_element = page.locator("#map")
    expect(map_element).to_have_attribute("data-markers", re.compile(r"^[1-9]\d*$"))
    expect(page.locator("#map-status")).to_contain_text("lieux correspondent")
    assert page.locator(".leaflet-tile-loaded").count() > 0  # tiles from loopback


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_violation_and_screenshots(browser, live_url, language, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    path = ("/en" if language == "en" else "") + PAGES[name]
    for width, height in [(320, 640), (1280, 900)]:
        session = Session(browser, live_url, viewport={"width": width, "height": height})
        session.goto(path)
        session.page.wait_for_load_state("networkidle")
        if width == 1280:
            results = Axe().run(session.page, options=AXE_OPTIONS)
            assert results.violations_count == 0, results.generate_report()
        # nothing wider than the screen at phone width
        assert session.page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth + 1"
        ), f"{path} scrolls sideways at {width} px"
        session.page.screenshot(path=SCREENSHOTS / f"{name}-{language}-{width}.png", full_page=True)
        session.close()


@pytest.fixture(scope="module")
def staff_account(committed_census, django_db_blocker):
    """A moderator committed for the live server's thread, removed afterwards."""
    from tests.factories import UserFactory

    with django_db_blocker.unblock():
        user = UserFactory(username="moderatrice-navigateur", group="Modérateurs")
    yield user.username, "un mot de passe solide 42"
    with django_db_blocker.unblock():
        user.delete()


def test_the_admin_works_under_the_content_security_policy(session, staff_account):
    """Sign in, search, open Le Wip's form (inlines, autocompletes, the map of coordinates are
    the admin's own scripts and styles): no CSP violation, no console error."""
    page = session.page
    username, password = staff_account
    session.goto("/admin/login/")
    page.get_by_label("Nom d’utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_load_state()
    page.wait_for_url(re.compile(r"/admin/$"))
    session.goto("/admin/places/place/?q=wip")
    page.get_by_role("link", name="Le Wip", exact=True).click()
    expect(page.locator("#id_name")).to_have_value("Le Wip")
    page.locator(".add-row a").first.click()  # an inline row added by the admin's script
    assert not session.csp_violations(), session.csp_violations()
