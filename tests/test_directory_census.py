"""The public directory on the real census (what `make run` serves): the issue's "Done when"
URLs, every page in both languages, territory, partner and place pages, GeoJSON, SEO files."""

import json
import re

import pytest

from places.models import Partnership, Place

pytestmark = pytest.mark.django_db


def result_names(response) -> list[str]:
    return [place.name for place in response.context["places"]]


# The "Done when" URLs, on the real census (what `make run` serves)
# ---------------------------------------------------------------------------------------------


def test_normandy_fablabs(client, census_reader):
    response = client.get("/lieux/", {"region": "normandie", "famille": "fablab"})
    expected = Place.objects.published().filter(
        department__region__slug="normandie", families__contains=["fablab"]
    )
    assert response.context["paginator"].count == expected.count() == 12
    assert set(result_names(response)) == set(expected.values_list("name", flat=True))


def test_tig_partnership_page(client, census_reader):
    response = client.get("/partenariats/tig/")
    assert response.status_code == 200
    expected = set(
        Partnership.objects.filter(kind="tig", place__status="published").values_list(
            "place__name", flat=True
        )
    )
    assert expected and set(result_names(response)) == expected
    assert "Le Wip" in expected
    # the page counts the TIG partnerships, not every partnership of those places
    tig = Partnership.objects.filter(kind="tig", place__status="published").count()
    others = Partnership.objects.filter(place__partnerships__kind="tig").exclude(kind="tig")
    assert others.exists()
    assert response.context["partnership_total"] == tig


@pytest.mark.parametrize("query", ["colombeles", "le wip"])
def test_le_wip_is_found(client, census_reader, query):
    response = client.get("/lieux/", {"q": query})
    assert "Le Wip" in result_names(response)[:3]


@pytest.mark.parametrize(
    ("query", "searched", "expected"),
    [
        ("montpelier", "montpellier", "Cowork'in Montpellier"),
        ("coworkig", "coworking", None),
    ],
)
def test_a_word_found_nowhere_is_corrected_and_the_page_says_so(
    client, census_reader, query, searched, expected
):
    response = client.get("/lieux/", {"q": query})
    assert response.context["corrections"] == ((query.lower(), searched),)
    assert f"Résultats pour « {searched} »" in response.text
    names = result_names(response)
    if expected:
        assert expected in names[:5]
    # the corrected search gives what the right word gives
    assert response.context["paginator"].count == (
        client.get("/lieux/", {"q": searched}).context["paginator"].count
    )
    # the link searches the words as typed: nothing is corrected, nothing matches
    as_typed = client.get(f"/lieux/?{response.context['query_as_typed']}")
    assert as_typed.context["corrections"] == ()
    assert as_typed.context["paginator"].count == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("colombeles", "Le Wip"),
        ("fablab renes", "TéléFab Rennes"),
        ("Marseile", "Fablab Marseille"),
    ],
)
def test_typos_the_stemmer_absorbs_need_no_correction(client, census_reader, query, expected):
    """ "colombeles" has the stem of "colombelles"; "renes" and "marseile" are the start of the
    stems of "rennes" and "marseille": found as they are, searched without a correction."""
    response = client.get("/lieux/", {"q": query})
    assert response.context["corrections"] == ()
    assert expected in result_names(response)[:5]


def test_a_word_close_to_nothing_finds_nothing_and_says_so(client, census_reader):
    response = client.get("/lieux/", {"q": "fablab xqzwv"})
    assert response.status_code == 200
    assert response.context["paginator"].count == 0
    # the empty page suggests dropping the words, with the count it would give
    assert response.context["suggestions"][0][2] == Place.objects.published().count()


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/lieux/",
        "/lieux/le-wip/",
        "/regions/normandie/",
        "/departements/14/",
        "/departements/2A/",
        "/departements/974/",
        "/partenaires/",
        "/partenaires/france-travail/",
        "/partenariats/tig/",
        "/carte/",
        "/a-propos/",
        "/lieux.geojson",
        "/sitemap.xml",
        "/robots.txt",
    ],
)
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_every_url_renders_real_data(client, census_reader, url, prefix):
    if prefix and url in ("/sitemap.xml", "/robots.txt", "/lieux.geojson"):
        url = url  # not translated: one address
    else:
        url = prefix + url
    response = client.get(url)
    assert response.status_code == 200, url


def test_home_counts_and_entry_points(client, census_reader):
    response = client.get("/")
    assert response.context["place_count"] == Place.objects.published().count()
    assert response.context["region_count"] == len(
        set(Place.objects.published().values_list("department__region", flat=True))
    )
    assert 'href="/regions/normandie/"' in response.text
    assert 'href="/partenariats/tig/"' in response.text


def test_territory_pages_have_heading_and_counts(client, census_reader):
    region = client.get("/regions/normandie/")
    count = Place.objects.published().filter(department__region__slug="normandie").count()
    assert region.context["paginator"].count == count
    assert "Tiers-lieux en Normandie" in region.text
    calvados = client.get("/departements/14/")
    assert "Tiers-lieux en Calvados (14)" in calvados.text
    assert 'href="/regions/normandie/"' in calvados.text  # breadcrumb
    assert client.get("/departements/2A/").context["paginator"].count == (
        Place.objects.published().filter(department__code="2A").count()
    )


def test_partner_pages(client, census_reader):
    listing = client.get("/partenaires/")
    assert "France Travail" in listing.text
    page = client.get("/partenaires/spip-du-calvados/")
    assert "Le Wip" in page.text
    assert "Donnée d&#x27;illustration" in page.text  # demo data says so where shown


def test_place_page_has_breadcrumbs_json_ld_and_open_graph(client, census_reader):
    response = client.get("/lieux/le-wip/")
    text = response.text
    assert 'href="/regions/normandie/"' in text and 'href="/departements/14/"' in text
    start = text.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    data = json.loads(text[start : text.index("</script>", start)])
    assert data["@type"] == "Place" and data["name"] == "Le Wip"
    assert data["address"]["addressLocality"] == "Colombelles"
    assert "latitude" in data["geo"]
    assert '<meta property="og:title" content="Le Wip">' in text
    assert '<link rel="canonical" href="http://testserver/lieux/le-wip/">' in text
    assert "Signaler une erreur" in text
    assert "data-lat=" in text  # the small map


def test_geojson_shares_the_filters(client, census_reader):
    data = client.get("/lieux.geojson", {"region": "normandie", "famille": "fablab"}).json()
    assert data["type"] == "FeatureCollection"
    assert data["total"] == 12
    assert len(data["features"]) + data["without_coordinates"] == 12
    feature = data["features"][0]
    assert feature["geometry"]["type"] == "Point"
    assert feature["properties"]["url"].startswith("/lieux/")


def test_map_says_how_many_places_have_no_coordinates(client, census_reader):
    response = client.get("/carte/")
    total = Place.objects.published().count()
    missing = Place.objects.published().filter(latitude__isnull=True).count()
    assert response.context["total"] == total
    assert response.context["without_coordinates"] == missing
    assert "/lieux.geojson?" in response.text


def test_sitemap_index_lists_pages_that_hold_every_place_once_in_both_languages(
    client, census_reader
):
    index = client.get("/sitemap.xml")
    assert index["Content-Type"] == "application/xml"
    pages = re.findall(r"<loc>http://testserver([^<]+)</loc>", index.text)
    # 1,512 places at 300 a page: six pages of places, then pages, territories and partners
    assert "/sitemap-places.xml" in pages and "/sitemap-places.xml?p=6" in pages
    assert "/sitemap-places.xml?p=7" not in pages
    assert {"/sitemap-pages.xml", "/sitemap-territories.xml", "/sitemap-partners.xml"} <= set(pages)
    urls = []
    for page in pages:
        body = client.get(page).text
        entries = re.findall(r"<url><loc>([^<]+)</loc>", body.replace("\n", "").replace(" ", ""))
        assert 0 < len(entries) <= 10_000, page
        urls += entries
    assert len(urls) == len(set(urls))  # each address once
    published = Place.objects.published().count()
    place_urls = [url for url in urls if re.fullmatch(r"http://testserver(/en)?/lieux/[^/]+/", url)]
    assert len(place_urls) == 2 * published  # French and English
    assert "http://testserver/lieux/le-wip/" in urls
    assert "http://testserver/en/lieux/le-wip/" in urls
    assert "http://testserver/partenariats/tig/" in urls
    first = client.get("/sitemap-places.xml").text
    assert 'hreflang="en" href="http://testserver/en/lieux/' in first
    assert 'hreflang="x-default"' in first
    # a page beyond the last, or not a number: not found, never a 500
    assert client.get("/sitemap-places.xml", {"p": "7"}).status_code == 404
    assert client.get("/sitemap-places.xml", {"p": "abc"}).status_code == 404
    assert client.get("/sitemap-nowhere.xml").status_code == 404


def test_place_sitemap_pages_say_what_djangos_own_would(census_reader):
    """PlaceSitemap builds its entries with a reverse() per language per page: each entry (its
    location, last change, alternates and x-default) is what Django's Sitemap._urls gives."""
    from django.contrib.sitemaps import Sitemap

    from places.sitemaps import PlaceSitemap

    for page in (1, 3, 6):
        ours = PlaceSitemap()._urls(page, "https", "example.org")
        djangos = Sitemap._urls(PlaceSitemap(), page, "https", "example.org")
        assert ours == djangos and len(ours) > 0
    assert any(
        url["location"] == "https://example.org/en/lieux/le-wip/"
        for page in range(1, 7)
        for url in PlaceSitemap()._urls(page, "https", "example.org")
    )


def test_robots_names_the_sitemap_index(client, census_reader):
    robots = client.get("/robots.txt").text
    assert "Sitemap: http://testserver/sitemap.xml" in robots
    assert "Disallow: /admin/" in robots


def test_counts_are_written_as_each_language_groups_digits(client, census_reader):
    """1,512 places: « 1 512 » in French (a no-break space), "1,512" in English, in the
    results' heading, the home page's figure and the download line."""
    french = client.get("/lieux/").text
    assert "1\xa0512 lieux</h2>" in french
    assert "Télécharger ces 1\xa0512 lieux" in french
    english = client.get("/en/lieux/").text
    assert "1,512 places</h2>" in english
    assert "<strong>1,512</strong> published places" in client.get("/en/").text
