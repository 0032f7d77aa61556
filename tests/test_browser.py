"""The directory in a real browser: Debian's chromium driven by Playwright (nothing downloaded),
against a live server over the real census. Search, htmx filters, keyboard-only use, the map,
the no-JavaScript fallback, console errors, an axe-core audit of every page type in both
languages, and screenshots at phone and desktop widths in screenshots/ (git-ignored).

These tests never skip: `make test` installs chromium when it is missing (see the Makefile)."""

import functools
import http.server
import os
import re
import threading
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
    "near": "/lieux/?pres=14118&rayon=10",
    "tig": "/tig/",
    "spaces": "/espaces/?departement=14",
    "place": "/lieux/le-wip/",
    "partner": "/partenaires/spip-du-calvados/",
    "map": "/carte/?region=normandie",
    "about": "/a-propos/",
    "statistics": "/statistiques/",
    "statistics-departement": "/statistiques/14/",
    "propose": "/contribuer/",
    "correct": "/lieux/le-wip/corriger/",
    "partnership": "/lieux/le-wip/partenariat/",
    "closure": "/lieux/le-wip/signaler/",
    "data": "/donnees/",
    "integrate": "/integrer/?region=normandie&carte=1",
    "embedded": "/embed/lieux/?region=normandie&carte=1",
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

    def sign_in(self, username, password):
        """Through the admin's own login form, as a person would."""
        self.goto("/admin/login/")
        self.page.get_by_label("Nom d’utilisateur").fill(username)
        self.page.get_by_label("Mot de passe").fill(password)
        self.page.get_by_role("button", name="Connexion").click()
        self.page.wait_for_url(re.compile(r"/admin/$"))

    def csp_violations(self):
        return self.page.evaluate("window.__cspViolations")

    def axe(self):
        """axe-core's audit of the page. axe injects code that sets inline styles while it
        measures (refused by the CSP, as it should be): those refusals are axe's, not the
        page's, and are not counted; anything else is."""
        errors = len(self.errors)
        violations = len(self.csp_violations())
        # preload off: axe would fetch the stylesheets' @imports relative to the page's URL
        results = Axe().run(self.page, options={**AXE_OPTIONS, "preload": False})
        self.errors[errors:] = [e for e in self.errors[errors:] if "inline style" not in e]
        self.page.evaluate(
            f"window.__cspViolations = window.__cspViolations.slice(0, {violations})"
            f".concat(window.__cspViolations.slice({violations}).filter("
            "v => !v.startsWith('style-src')))"
        )
        return results

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


def _focused(page) -> str:
    """What has the focus: « #id », « a: text », or « body » when it is lost."""
    return page.evaluate(
        "(() => { const e = document.activeElement;"
        " if (!e || e === document.body) return 'body';"
        " return e.id ? '#' + e.id : e.tagName.toLowerCase() + ': ' + e.textContent.trim(); })()"
    )


def test_filters_by_keyboard_refresh_the_results_and_keep_focus(session):
    page = session.page
    session.goto("/lieux/")
    # a word typed, then Tab: the results follow, focus stays on the next control
    _tab_to(page, "id_q")
    page.keyboard.type("fablab")
    page.keyboard.press("Tab")
    page.wait_for_url(re.compile(r"q=fablab"))
    expect(page.locator("#live-status")).to_contain_text("lieux")
    assert _focused(page) == "#search-submit"
    _tab_to(page, "f-region-normandie")
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"region=normandie"))
    expect(page.locator("#live-status")).to_contain_text("lieux")
    # htmx swapped the results and the counts, and focus stayed on the same checkbox
    assert _focused(page) == "#f-region-normandie"
    assert page.locator("#f-region-normandie").is_checked()
    page.locator("#id_q").fill("")
    _tab_to(page, "f-famille-fablab")
    page.wait_for_url(re.compile(r"^((?!q=fablab).)*$"))
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"famille=fablab"))
    expect(page.locator("#results-title")).to_have_text("12 lieux")
    assert _focused(page) == "#f-famille-fablab"
    # arrow keys in the sort menu move the choice without a request; Enter applies it
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    _tab_to(page, "id_tri")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)
    assert not [url for url in requests if "/lieux/" in url], requests
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"tri=[a-z]"))
    page.wait_for_load_state("networkidle")
    assert _focused(page) == "#id_tri"
    # a chip removed by keyboard: no page load, focus on the next chip, then on the heading
    chip = page.get_by_role("link", name=re.compile("^Région : Normandie"))
    chip.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^((?!region=).)*$"))
    expect(page.locator("#results-title")).not_to_have_text("12 lieux")
    assert _focused(page).startswith("a: Famille : Fablab"), _focused(page)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^((?!famille=).)*$"))
    # the last chip gone: focus on the results' heading
    expect(page.locator("#results-title")).to_be_focused()


def test_the_focus_ring_is_dark_on_white(session):
    page = session.page
    session.goto("/lieux/")
    _tab_to(page, "id_q")
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; })()"
    )
    # #1e1e1e on white: 16.7:1 (WCAG 2.1 asks 3:1 of a focus indicator)
    assert style == ["solid", "3px", "rgb(30, 30, 30)"]


def test_on_a_phone_the_results_come_first_and_the_filters_fold(browser, live_url):
    session = Session(browser, live_url, viewport={"width": 375, "height": 667}, has_touch=True)
    page = session.page
    session.goto("/lieux/?region=normandie")
    # the first place's name and commune are on the first screen, under the search
    first = page.locator("ol.cards > li .card > p").first
    box = first.bounding_box()
    assert box["y"] + box["height"] < 667, "the first result is below the fold"
    panel = page.locator("#filter-panel")
    expect(panel).to_be_hidden()
    toggle = page.locator("#filter-toggle")
    expect(toggle).to_have_text(re.compile(r"Filtrer \(1\), 1 filtre actif"))
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(panel).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert page.evaluate("document.getElementById('filter-panel').contains(document.activeElement)")
    page.locator("#f-famille-fablab").check()
    page.wait_for_url(re.compile(r"famille=fablab"))
    expect(page.locator("#live-status")).to_contain_text("lieux")
    expect(panel).to_be_visible()  # the panel stays open across the swap
    expect(page.locator("#f-famille-fablab")).to_be_focused()
    page.locator("#filter-close").click()
    expect(panel).to_be_hidden()
    assert _focused(page) == "#results-title"
    # the count and the button stay in view while the results scroll
    page.mouse.wheel(0, 3000)
    page.wait_for_timeout(300)
    box = toggle.bounding_box()
    assert box and 0 <= box["y"] < 100
    session.close()


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
    # the places in view, listed beside the map: the map's text alternative, by keyboard
    listed = page.locator("#in-view li a")
    expect(listed.first).to_be_visible()
    expect(page.locator("#in-view [data-count]")).to_contain_text("lieux dans la vue")
    first = listed.first.get_attribute("href")
    _tab_to_selector(page, "#in-view li a")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(first) + "$"))


def _tab_to_selector(page, selector, limit=300):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"{selector} not reachable with Tab")


def test_the_map_opens_on_mainland_france_with_clusters_a_keyboard_can_open(session):
    page = session.page
    session.goto("/carte/")
    map_element = page.locator("#map")
    expect(map_element).to_have_attribute("data-markers", re.compile(r"^[1-9]\d*$"))
    # 1,512 places: a few dozen clusters, not 1,512 markers; the view is mainland France
    clusters = page.locator(".map-cluster")
    assert 5 < clusters.count() < 300
    in_view = int(map_element.get_attribute("data-in-view"))
    assert 1000 < in_view < 1512  # the overseas places are not in view
    before = page.evaluate("document.querySelector('#map').dataset.inView")
    clusters.first.focus()
    page.keyboard.press("Enter")  # a cluster is a button: it zooms in
    expect(map_element).not_to_have_attribute("data-in-view", before)
    # the overseas départements, one button each
    page.get_by_role("button", name="La Réunion").click()
    expect(map_element).to_have_attribute("data-in-view", re.compile(r"^[1-9]\d?$"))
    expect(page.locator("#in-view li").first).to_be_visible()


def test_the_map_says_why_without_tiles_or_javascript(browser, live_url):
    session = Session(browser, live_url, viewport={"width": 1280, "height": 900})
    page = session.page
    page.route(re.compile(r"/layers\.png\?\d"), lambda route: route.abort())  # the tiles
    session.goto("/carte/?region=normandie")
    expect(page.locator("#tiles-notice")).to_contain_text("Le fond de carte ne s’affiche pas")
    expect(page.locator("#map")).to_have_attribute("data-markers", re.compile(r"^[1-9]\d*$"))
    session.errors.clear()  # the refused tiles are logged by the browser, as they should be
    session.close()
    session = Session(browser, live_url, java_script_enabled=False)
    session.goto("/carte/?region=normandie")
    expect(session.page.locator(".map-fallback")).to_contain_text("La carte a besoin de JavaScript")
    session.close()


def test_a_place_prints_as_an_orientation_sheet(session, tmp_path):
    """Chromium's own print of Le Wip's page: one or two A4 pages, no navigation, the website's
    address written out, the page's address and its QR code."""
    from pypdf import PdfReader

    from places.models import Place

    wip = Place.objects.get(slug="le-wip")
    page = session.page
    session.goto("/lieux/le-wip/")
    expect(page.get_by_role("button", name="Imprimer la fiche")).to_be_visible()
    expect(page.locator(".sheet-link")).to_be_hidden()  # on screen: no QR code
    # « Envoyer par e-mail »: the essentials and the link
    mailto = page.get_by_role("link", name="Envoyer par e-mail").get_attribute("href")
    assert mailto.startswith("mailto:?subject=") and "le-wip" in mailto
    page.emulate_media(media="print")
    qr = page.get_by_role("img", name=re.compile("Code QR de l'adresse de cette fiche"))
    expect(qr).to_be_visible()
    expect(page.locator(".site-header")).to_be_hidden()
    path = tmp_path / "le-wip.pdf"
    page.pdf(path=str(path), format="A4", print_background=False)
    reader = PdfReader(path)
    assert 1 <= len(reader.pages) <= 2, f"{len(reader.pages)} pages"
    for sheet in reader.pages:
        assert sheet.mediabox.width == pytest.approx(595, abs=2)  # A4 portrait, in points
    text = " ".join(" ".join(sheet.extract_text() for sheet in reader.pages).split())
    assert "Le Wip" in text
    assert wip.website.rstrip("/") in text.replace(" ", "")  # links print their address
    assert "/lieux/le-wip/" in text.replace(" ", "")  # the sheet's own address
    for chrome in ("Aller au contenu", "Partenaires publics", "Proposer une correction"):
        assert chrome not in text, chrome


@pytest.fixture(scope="module")
def caen(committed_census, django_db_blocker):
    """Caen in the communes, with its town centre (as data/communes-2026.csv gives it)."""
    from places.models import Commune, Department

    with django_db_blocker.unblock():
        Commune.objects.update_or_create(
            insee="14118",
            defaults={
                "name": "Caen",
                "search_name": "caen",
                "department_code": "14",
                "department": Department.objects.get(code="14"),
                "postcodes": ["14000"],
                "population": 109400,
                "latitude": "49.185850",
                "longitude": "-0.359120",
            },
        )
    yield
    with django_db_blocker.unblock():
        Commune.objects.filter(insee="14118").delete()


def test_near_a_commune_typed_then_a_radius_chosen(session, caen):
    page = session.page
    session.goto("/lieux/")
    page.locator("#id_pres").fill("Caen")
    page.locator("#id_rayon").select_option("10")
    page.wait_for_url(re.compile(r"rayon=10"))
    expect(page.locator("#near")).to_contain_text("Lieux à moins de 10 km de Caen (14)")
    expect(page.locator(".card", has_text="Le Wip")).to_contain_text("à 3,8 km")
    expect(page.locator("#id_pres")).to_have_value("Caen")


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_violation_and_screenshots(browser, live_url, caen, language, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    path = ("/en" if language == "en" else "") + PAGES[name]
    for width, height in [(375, 667), (1280, 900)]:
        session = Session(browser, live_url, viewport={"width": width, "height": height})
        session.goto(path)
        session.page.wait_for_load_state("networkidle")
        results = Axe().run(session.page, options=AXE_OPTIONS)
        assert results.violations_count == 0, f"{width} px: " + results.generate_report()
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
    session.sign_in(*staff_account)
    session.goto("/admin/places/place/?q=wip")
    page.get_by_role("link", name="Le Wip", exact=True).click()
    expect(page.locator("#id_name")).to_have_value("Le Wip")
    page.locator(".add-row a").first.click()  # an inline row added by the admin's script
    assert not session.csp_violations(), session.csp_violations()


# Contributions
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def contribution_data(committed_census, django_db_blocker):
    """Committed for the live server (the tests themselves run in a rolled-back transaction):
    Colombelles in the communes, and a pending correction of Le Wip for the moderation page.
    Afterwards the proposals go, the commune goes, and Le Wip is as the census made it."""
    from contributions.models import Proposal
    from places.models import Commune, Department, Place

    with django_db_blocker.unblock():
        Commune.objects.get_or_create(
            insee="14167",
            defaults={
                "name": "Colombelles",
                "search_name": "colombelles",
                "department_code": "14",
                "department": Department.objects.get(code="14"),
                "postcodes": ["14460"],
                "population": 7243,
            },
        )
        wip = Place.objects.get(slug="le-wip")
        saved = {"website": wip.website, "provenance_note": wip.provenance_note}
        pending = Proposal.objects.create(
            kind="correction",
            place=wip,
            data={"website": "https://lewip.fr", "phone": "02 31 00 00 00"},
            message="Leur nouveau site.",
            source="https://lewip.fr",
        )
    yield pending
    with django_db_blocker.unblock():
        Proposal.objects.all().delete()
        Commune.objects.filter(insee="14167").delete()
        Place.objects.filter(pk=wip.pk).update(**saved)


@pytest.fixture
def contributions(contribution_data, settings):
    """Forms answered as fast as a test types (a person takes longer than the minimum time)."""
    from contributions.models import Proposal

    settings.CONTRIBUTION_MIN_SECONDS = 0
    return Proposal


def _submit_and_confirm(session, page):
    page.get_by_role("button", name="Envoyer la proposition").click()
    page.wait_for_url(re.compile(r"/contribuer/merci/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci pour votre proposition")


def test_a_visitor_sends_the_four_proposals_and_nothing_public_changes(
    session, contributions, contribution_data, django_db_blocker
):
    from places.models import Partnership, Place

    page = session.page
    with django_db_blocker.unblock():
        partnerships_before = Partnership.objects.count()
        lyon = Place.objects.published().filter(commune__iexact="Lyon").first()
    # propose a place
    session.goto("/")
    page.get_by_role("link", name="Un tiers-lieu manque ? Proposez-le").click()
    page.locator("#id_name").fill("La Fabrique de Colombelles")
    page.locator("#id_commune").fill("Colombelles")
    page.get_by_label("Fablab / atelier de fabrication numérique").check()
    page.locator("#id_source").fill("J'y suis bénévole.")
    _submit_and_confirm(session, page)
    # a correction to Le Wip: its website
    session.goto("/lieux/le-wip/")
    page.get_by_role("link", name="Proposer une correction").click()
    page.locator("#id_website").fill("https://lewip.fr")
    page.locator("#id_message").fill("Leur nouveau site.")
    _submit_and_confirm(session, page)
    # a TIG partnership for a place in Lyon, with a source URL
    session.goto(lyon.get_absolute_url())
    page.get_by_role("link", name="Déclarer un partenariat public").click()
    page.locator("#id_new_partner_name").fill("SPIP du Rhône")
    page.locator("#id_new_partner_level").select_option("justice")
    page.locator("#id_kind").select_option("tig")
    page.locator("#id_start_date").fill("2025-09-01")
    page.locator("#id_source").fill("https://www.justice.fr/exemple-convention-tig")
    _submit_and_confirm(session, page)
    # a closure
    session.goto("/lieux/le-wip/")
    page.get_by_role("link", name="Signaler une fermeture ou un déménagement").click()
    page.get_by_label("Le lieu a fermé").check()
    page.locator("#id_message").fill("Annoncé sur leur site.")
    _submit_and_confirm(session, page)
    with django_db_blocker.unblock():
        new = contributions.objects.exclude(pk=contribution_data.pk)
        kinds = sorted(new.values_list("kind", flat=True))
        assert kinds == ["correction", "fermeture", "lieu", "partenariat"]
        assert Partnership.objects.count() == partnerships_before
        assert not Place.objects.filter(name="La Fabrique de Colombelles").exists()
        assert Place.objects.get(slug="le-wip").lifecycle != "ferme"
    session.goto("/lieux/le-wip/")
    expect(page.locator("body")).not_to_contain_text("lewip.fr/")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_closure_is_reported_with_the_keyboard_only(browser, live_url, contributions, language):
    session = Session(browser, live_url, viewport={"width": 1280, "height": 900})
    page = session.page
    prefix = "/en" if language == "en" else ""
    session.goto(f"{prefix}/lieux/le-wip/signaler/")
    _tab_to(page, "id_what_0")
    page.keyboard.press("Space")  # the first choice: closed
    _tab_to(page, "id_message")
    page.keyboard.type("Annoncé sur leur site.")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/contribuer/merci/"))
    thanks = "Thank you for your proposal" if language == "en" else "Merci pour votre proposition"
    expect(page.get_by_role("heading", level=1)).to_have_text(thanks)
    session.close()


def test_errors_are_announced_and_linked_to_their_fields(session, contributions):
    page = session.page
    session.goto("/lieux/le-wip/signaler/")
    page.get_by_role("button", name="Envoyer la proposition").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("La proposition n'a pas été envoyée.")
    alert.get_by_role("link", name="Comment le savez-vous ?").click()
    assert page.evaluate("document.activeElement.id") == "id_message"
    assert page.get_attribute("#id_message", "aria-invalid") == "true"
    results = session.axe()
    assert results.violations_count == 0, results.generate_report()


def test_the_moderation_diff_page_passes_axe(
    session, staff_account, contributions, contribution_data, django_db_blocker
):
    proposal = contribution_data
    page = session.page
    session.sign_in(*staff_account)
    session.goto(f"/admin/contributions/proposal/{proposal.pk}/change/")
    diff = page.get_by_role("table", name=re.compile("Ce qui changerait"))
    expect(diff).to_contain_text("https://lewip.fr")
    results = session.axe()
    assert results.violations_count == 0, results.generate_report()
    page.get_by_label("Téléphone de la structure").uncheck()
    page.get_by_role("button", name="Accepter les champs cochés").click()
    page.wait_for_url(re.compile(r"/admin/contributions/proposal/"))
    with django_db_blocker.unblock():
        proposal.refresh_from_db()
        assert proposal.accepted_fields == ["website"]
        assert proposal.place.__class__.objects.get(pk=proposal.place_id).website == (
            "https://lewip.fr"
        )


# Keeping the data right (issue 11)
# ---------------------------------------------------------------------------------------------


LIST = re.compile(r"/admin/places/place/(\?.*)?$")


@pytest.fixture(scope="module")
def place_to_delete(committed_census, django_db_blocker):
    """A committed place with a space, to delete, restore and rename in the browser."""
    from places.models import Place
    from tests.factories import SpaceFactory, place_in

    with django_db_blocker.unblock():
        place = place_in("Caen", name="Atelier à restaurer", status="published")
        SpaceFactory(place=place, name="Salle des machines")
    yield place
    with django_db_blocker.unblock():
        Place.objects.filter(pk=place.pk).delete()


def test_a_moderator_reverts_a_change_restores_a_deletion_and_keeps_an_old_address(
    session, staff_account, place_to_delete, django_db_blocker
):
    from places.models import Place

    page = session.page
    session.sign_in(*staff_account)

    # Le Wip's summary changed, the diff seen in the history, the change reverted
    session.goto("/admin/places/place/?q=wip")
    page.get_by_role("link", name="Le Wip", exact=True).click()
    summary = page.get_by_label("Résumé")
    before = summary.input_value()
    summary.fill("Un résumé changé par erreur.")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_url(LIST)
    wip = Place.objects.get(slug="le-wip")
    session.goto(f"/admin/places/place/{wip.pk}/history/")
    changes = page.locator("#change-history tbody tr").first
    expect(changes).to_contain_text("Un résumé changé par erreur.")
    expect(changes).to_contain_text(before)
    expect(changes).to_contain_text("administration")
    results = session.axe()
    assert results.violations_count == 0, results.generate_report()
    page.locator("#change-history tbody tr").nth(1).get_by_role("link").click()
    expect(page.get_by_label("Résumé")).to_have_value(before)
    page.get_by_role("button", name="Rétablir").first.click()
    page.wait_for_url(re.compile(r"/admin/places/place/"))
    with django_db_blocker.unblock():
        assert Place.objects.get(pk=wip.pk).summary == before

    # a place deleted, then restored with its space
    place = place_to_delete
    session.goto(f"/admin/places/place/{place.pk}/delete/")
    page.get_by_role("button", name=re.compile("Oui")).click()
    page.wait_for_url(LIST)
    with django_db_blocker.unblock():
        assert not Place.objects.filter(pk=place.pk).exists()
    page.get_by_role("link", name="Lieux supprimés").click()
    page.get_by_role("button", name="Restaurer Atelier à restaurer").click()
    expect(page.locator("#id_name")).to_have_value("Atelier à restaurer")
    with django_db_blocker.unblock():
        restored = Place.objects.get(pk=place.pk)
        assert list(restored.spaces.values_list("name", flat=True)) == ["Salle des machines"]

    # its slug changed: the old address answers with a 301 to the new one
    old = restored.slug
    page.locator("#id_slug").fill("atelier-restaure")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_url(LIST)
    for prefix in ("", "/en"):
        response = page.goto(f"{session.live_url}{prefix}/lieux/{old}/")
        assert response.url == f"{session.live_url}{prefix}/lieux/atelier-restaure/"
        assert response.request.redirected_from is not None
        assert response.request.redirected_from.response().status == 301


def test_the_api_documentation_renders_from_our_own_files(session):
    """Swagger UI, from our static files: the schema's title and the places endpoint appear, no
    request leaves loopback, no console error, no CSP violation (checked when the session
    closes)."""
    page = session.page
    response = page.goto(session.live_url + "/api/v1/documentation/")
    assert response.status == 200
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Annuaire des tiers-lieux")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert page.locator("text=/api/v1/lieux/").count() > 0


def test_the_embed_works_in_a_frame_of_another_origin_and_the_directory_does_not(session, tmp_path):
    """A page served from another origin (another port of loopback) frames the embedded list
    and, beside it, /lieux/: the first shows its places, the browser refuses the second."""
    live_url = session.live_url
    (tmp_path / "index.html").write_text(
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Un site partenaire'
        f'</title></head><body><iframe id="embedded" title="Tiers-lieux" src="{live_url}'
        '/embed/lieux/?region=normandie"></iframe><iframe id="refused" title="Annuaire" '
        f'src="{live_url}/lieux/"></iframe></body></html>',
        encoding="utf-8",
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = session.page
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
        embedded = page.frame_locator("#embedded")
        expect(embedded.locator("h1")).to_contain_text("tiers-lieux")
        expect(embedded.get_by_role("link", name="Le Wip")).to_have_attribute("target", "_blank")
        page.wait_for_timeout(500)
        refused = page.frame_locator("#refused")
        expect(refused.locator("#directory")).to_have_count(0)
    finally:
        server.shutdown()
    # the browser says why it refused the second frame: expected, not an error of ours
    session.errors[:] = [e for e in session.errors if "frame-ancestors" not in e]
