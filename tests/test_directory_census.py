"""The public directory on the real census (what `make run` serves): the issue's "Done when"
URLs, every page in both languages, territory, partner and place pages, GeoJSON, SEO files."""

import json

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


@pytest.mark.parametrize("query", ["colombeles", "le wip"])
def test_le_wip_is_found(client, census_reader, query):
    response = client.get("/lieux/", {"q": query})
    assert "Le Wip" in result_names(response)[:3]


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


def test_sitemap_and_robots(client, census_reader):
    sitemap = client.get("/sitemap.xml").text
    assert "http://testserver/lieux/le-wip/" in sitemap
    assert "http://testserver/en/lieux/le-wip/" in sitemap
    assert "/partenariats/tig/" in sitemap
    robots = client.get("/robots.txt").text
    assert "Sitemap: http://testserver/sitemap.xml" in robots
    assert "Disallow: /admin/" in robots
