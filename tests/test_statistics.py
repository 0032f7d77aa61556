"""/statistiques/: figures of France, a région or a département, on the real census and the real
communes file; each checked against a computation of the test's own from data/communes-2026.csv."""

import csv
import io
import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from places import charts
from places.models import Place
from tests.conftest import text_of

COMMUNES = Path(__file__).resolve().parent.parent / "data" / "communes-2026.csv"

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(committed_census, communes_loaded, db):
    """A test reading the census and the communes (in its own rolled-back transaction)."""


def communes_file() -> list[dict]:
    with COMMUNES.open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


class Tables(HTMLParser):
    """The page's tables as lists of rows of cell texts, by the table's id."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.current = self.tables.setdefault(attrs.get("id"), [])
        elif tag == "tr" and self.current is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.current.append(self.row)
            self.row = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def tables_of(response) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(response.content.decode())
    return parser.tables


def csv_of(client, url) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def plain(cell: str) -> str:
    """A page's number as the CSV writes it: « 1 234,5 » → 1234.5; « – » → ""; words as
    they are."""
    number = cell.replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if re.fullmatch(r"-?\d+(,\d+)?", number):
        return number.replace(",", ".")
    return "" if cell == "–" else cell


def test_places_per_100000_inhabitants_by_departement_as_the_communes_file_sums_them(
    client, reader
):
    population = defaultdict(int)
    for row in communes_file():
        population[row["departement"]] += int(row["population"] or 0)
    rows = {row[0]: row for row in csv_of(client, "/statistiques/departements.csv")[1:]}
    page = tables_of(client.get("/statistiques/"))["table-departements"]
    cells = {row[0]: row for row in page[1:]}
    for code in ("14", "75", "69", "2A"):
        published = Place.objects.published().filter(department__code=code).count()
        expected = published * 100_000 / population[code]
        assert published > 0, code
        code_, _name, _region, places, people, per = rows[code]
        assert int(places) == published and int(people) == population[code], code
        assert float(per) == pytest.approx(expected, abs=0.05), code
        assert [plain(cell) for cell in cells[code][3:]] == [places, people, per], code
    # Calvados on its own page: the same figure
    response = client.get("/statistiques/14/")
    assert response.status_code == 200
    calvados = Place.objects.published().filter(department__code="14").count()
    assert f"{calvados * 100_000 / population['14']:.1f}".replace(".", ",") in text_of(response)


def test_intercommunalites_without_any_place_in_calvados_as_the_file_says(client, reader):
    """The test's own computation: the EPCI with a commune in Calvados none of whose communes
    (in Calvados or elsewhere) holds a published place."""
    rows = communes_file()
    held = set(
        Place.objects.published().exclude(insee_code="").values_list("insee_code", flat=True)
    )
    communes_of = defaultdict(list)
    for row in rows:
        if row["epci_siren"]:
            communes_of[row["epci_siren"]].append(row)
    in_calvados = {
        row["epci_siren"] for row in rows if row["departement"] == "14" and row["epci_siren"]
    }
    expected = {
        siren: sum(int(row["population"] or 0) for row in communes_of[siren])
        for siren in in_calvados
        if not any(row["insee"] in held for row in communes_of[siren])
    }
    assert 0 < len(expected) < len(in_calvados)  # some are covered (Caen la Mer: Le Wip), some not
    listed = csv_of(client, "/statistiques/14/sans-lieu.csv")
    assert listed[0] == ["Département", "Intercommunalité", "SIREN", "Population"]
    assert {row[2]: int(row[3]) for row in listed[1:]} == expected
    # the page's table says the same
    page = tables_of(client.get("/statistiques/14/"))["table-sans-lieu"]
    assert [[plain(cell) for cell in row] for row in page[1:]] == listed[1:]
    # France counts them by département: Calvados's line agrees
    national = {row[0]: row for row in csv_of(client, "/statistiques/sans-lieu.csv")[1:]}
    assert national["14"][2:] == [
        str(len(in_calvados)),
        str(len(expected)),
        str(sum(expected.values())),
    ]


@pytest.mark.parametrize(
    "path", ["/statistiques/", "/statistiques/normandie/", "/statistiques/14/"]
)
def test_every_table_of_the_page_is_its_csv_download(client, reader, path):
    response = client.get(path)
    assert response.status_code == 200
    tables = tables_of(response)
    downloads = re.findall(r'href="([^"]+\.csv)" download', response.content.decode())
    assert len(downloads) == len(tables) >= 8
    for url in downloads:
        slug = url.rsplit("/", 1)[1].removesuffix(".csv")
        rows = csv_of(client, url)
        page = tables[f"table-{slug}"]
        assert rows[0] == page[0], slug
        assert [[plain(cell) for cell in row] for row in page[1:]] == rows[1:], slug


@pytest.mark.parametrize("language", ["fr", "en"])
def test_charts_are_svg_with_accessible_names_in_both_languages(client, reader, language):
    prefix = "/en" if language == "en" else ""
    for path in ("/statistiques/", "/statistiques/normandie/", "/statistiques/14/"):
        response = client.get(prefix + path)
        assert response.status_code == 200
        body = response.content.decode()
        svgs = re.findall(r"<svg class=\"chart[^>]*>.*?</svg>", body, re.S)
        assert len(svgs) >= 7, path
        for svg in svgs:
            labelled = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
            assert 'role="img"' in svg
            for ident in labelled:
                assert re.search(rf'id="{ident}">[^<]+<', svg), ident
    english = client.get("/en/statistiques/").content.decode()
    assert "Places per 100,000 inhabitants" in english
    assert "Intercommunalités without any place" in english or "without any place" in english
    assert "<svg" in english and "tile-code" in english  # the cartogram of départements


def test_every_departement_has_a_square_of_its_own_roughly_where_it_is(reader):
    centres = charts.department_centres()
    mainland = {code: centre for code, centre in centres.items() if not code.startswith("97")}
    assert len(mainland) == 96
    positions = charts.tile_positions(mainland, {})
    assert len(set(positions.values())) == 96
    column = {code: position[0] for code, position in positions.items()}
    row = {code: position[1] for code, position in positions.items()}
    assert column["29"] < column["35"] < column["75"] < column["67"]  # west to east
    assert row["59"] < row["75"] < row["69"] < row["13"]  # north to south
    assert row["2B"] > row["67"] and column["2B"] > column["13"]


def test_a_scope_named_otherwise_is_redirected_or_not_found(client, reader):
    assert client.get("/statistiques/2a/")["Location"] == "/statistiques/2A/"
    assert client.get("/statistiques/Normandie/")["Location"] == "/statistiques/normandie/"
    assert client.get("/statistiques/atlantide/").status_code == 404
    assert client.get("/statistiques/14/inconnu.csv").status_code == 404
    assert client.get("/statistiques/inconnu.csv").status_code == 404


def test_the_page_is_cached_and_its_queries_do_not_grow_with_the_data(
    client, reader, django_assert_num_queries
):
    # the data version; the scope's counts (one query grouped by département, source, family,
    # management type, stage), the départements, the régions, the partnerships (one query
    # grouped by kind, level, year, state); the geography (the places by commune, one pass;
    # the communes); the centres of the cartogram; the régions again (the page's links,
    # outside the figures kept per language)
    with django_assert_num_queries(9):
        assert client.get("/statistiques/").status_code == 200
    with django_assert_num_queries(1):  # the data version
        assert client.get("/statistiques/").status_code == 200
    # another scope, another language: the geography and the centres are kept per data
    # version, read once
    with django_assert_num_queries(6):
        assert client.get("/en/statistiques/normandie/").status_code == 200


def test_the_home_page_gives_the_coverage_and_links_to_the_statistics(client, reader):
    text = text_of(client.get("/"))
    assert re.search(r"\d+ %</strong> des habitants vivent dans une intercommunalité", text)
    assert f'href="{reverse("places:statistics")}"' in text


def test_places_filed_in_an_arrondissement_count_for_their_commune(client, reader):
    """The census files Paris's places under its arrondissements (75101…): they count for
    Paris, and so for the Métropole du Grand Paris."""
    paris = Place.objects.published().filter(department__code="75")
    in_arrondissements = paris.filter(insee_code__startswith="751").count()
    assert in_arrondissements > 100
    rows = csv_of(client, "/statistiques/75/intercommunalites.csv")
    metropole = next(row for row in rows[1:] if row[0] == "Métropole du Grand Paris")
    assert int(metropole[3]) == paris.filter(insee_code__regex=r"^(751\d\d|75056)$").count()
    # France: the places no commune holds are few (communes merged since 2019, codes missing)
    response = client.get("/statistiques/")
    unplaced = int(re.search(r"(\d+) lieux n'ont pas de code", text_of(response)).group(1))
    assert unplaced < 150


def test_every_place_counts_once_by_stage_the_unknown_ones_said(client, reader):
    """The census rarely states a stage: those places are counted as « Non renseigné » rather
    than left out of the chart."""
    rows = csv_of(client, "/statistiques/cycle.csv")
    assert sum(int(row[1]) for row in rows[1:]) == Place.objects.published().count()
    unknown = Place.objects.published().filter(lifecycle="").count()
    assert unknown > 1000
    assert rows[-1] == ["Non renseigné", str(unknown)]
