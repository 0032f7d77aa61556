"""The public directory on data built for each test: facet counts, chips, htmx, search updates,
bad input, drafts, and query counts that do not grow with the data."""

import datetime

import pytest

from places.models import Partner, Place, PublicationStatus
from tests.factories import (
    PartnerFactory,
    PartnershipFactory,
    PlaceFactory,
    SpaceFactory,
    place_in,
)


def result_names(response) -> list[str]:
    return [place.name for place in response.context["places"]]


# Facets, chips, htmx (small data built for the test)
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def small(db):
    today = datetime.date.today()
    caen = PlaceFactory(name="Fablab de Caen", families=["fablab"], open_to_public=True)
    bayeux = PlaceFactory(
        name="Coworking Bayeux",
        commune="Bayeux",
        families=["coworking", "fablab"],
        summary="Un coworking avec un atelier de couture.",
    )
    lyon = place_in(
        "Lyon",
        name="Cowork Lyon",
        families=["coworking"],
    )
    spip = PartnerFactory(name="SPIP du Calvados", slug="spip-du-calvados", level="justice")
    PartnershipFactory(place=caen, partner=spip, kind="tig", start_date=today)
    PartnershipFactory(place=lyon, partner=spip, kind="insertion", start_date=today)
    SpaceFactory(place=caen, kind="fablab")
    return {"caen": caen, "bayeux": bayeux, "lyon": lyon}


def facet(response, name) -> dict[str, int]:
    for item in response.context["facets"]:
        if item.name == name:
            return {o.value: o.count for o in item.options if o.count}
    raise AssertionError(name)


def test_facet_counts_follow_the_other_filters(client, small):
    response = client.get("/lieux/")
    assert facet(response, "region") == {"normandie": 2, "auvergne-rhone-alpes": 1}
    assert facet(response, "famille") == {"fablab": 2, "coworking": 2}
    assert facet(response, "partenariat") == {"tig": 1, "insertion": 1}
    response = client.get("/lieux/", {"region": "normandie"})
    # the région facet ignores its own filter, the others follow it
    assert facet(response, "region") == {"normandie": 2, "auvergne-rhone-alpes": 1}
    assert facet(response, "famille") == {"fablab": 2, "coworking": 1}
    assert facet(response, "partenariat") == {"tig": 1}
    assert facet(response, "ouvert") == {"1": 1}
    response = client.get("/lieux/", {"famille": "coworking"})
    assert facet(response, "departement") == {"14": 1, "69": 1}
    # « Normandie · 1 » on screen, « Normandie 1 lieu » read aloud (no brackets: a code
    # in brackets, « Calvados (14) », reads apart from a count)
    count = '<span class="count"><span aria-hidden="true">· </span>1'
    label = f'Normandie {count}<span class="visually-hidden"> lieu</span></span></label>'
    assert label in response.text
    assert f"Calvados (14) {count}<" in response.text


def test_chips_remove_one_value_and_clear_all(client, small):
    response = client.get("/lieux/", {"region": "normandie", "famille": ["fablab", "coworking"]})
    chips = {(c.label, c.value_label): c.remove_query for c in response.context["chips"]}
    assert chips[("Région", "Normandie")] == "famille=fablab&famille=coworking"
    assert chips[("Famille", "Coworking")] == "region=normandie&famille=fablab"
    assert 'class="clear">Tout effacer' in response.text


def test_empty_result_proposes_which_filter_to_drop(client, small):
    response = client.get("/lieux/", {"region": "normandie", "partenariat": "insertion"})
    assert response.context["paginator"].count == 0
    suggestions = {label: count for label, query, count in response.context["suggestions"]}
    assert suggestions == {"Région": 1, "Nature du partenariat": 2}


def test_htmx_request_gets_the_fragment_only(client, small):
    full = client.get("/lieux/", {"famille": "fablab"})
    assert "<html" in full.text
    fragment = client.get("/lieux/", {"famille": "fablab"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert 'id="directory"' in fragment.text and "Fablab de Caen" in fragment.text
    assert 'hx-swap-oob="innerHTML:#live-status"' in fragment.text
    assert "HX-Request" in fragment["Vary"]
    # history restoration without a cached snapshot needs the whole page
    restore = client.get(
        "/lieux/",
        {"famille": "fablab"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.text


def test_department_codes_have_one_address(client, db):
    response = client.get("/departements/2a/?famille=fablab")
    assert response.status_code == 301
    assert response["Location"] == "/departements/2A/?famille=fablab"


def test_search_snippet_highlights_and_escapes(client, small):
    Place.objects.filter(pk=small["bayeux"].pk)
    small["bayeux"].description = "<script>alert(1)</script> Couture le mardi."
    small["bayeux"].save()
    response = client.get("/lieux/", {"q": "couture"})
    assert result_names(response) == ["Coworking Bayeux"]
    assert "<mark>couture</mark>" in response.text or "<mark>Couture</mark>" in response.text
    assert "<script>alert(1)" not in response.text


def test_search_follows_changes_to_the_parts_of_a_place(client, small):
    assert not result_names(client.get("/lieux/", {"q": "menuiserie"}))
    SpaceFactory(place=small["lyon"], name="Atelier menuiserie")
    assert result_names(client.get("/lieux/", {"q": "menuiserie"})) == ["Cowork Lyon"]
    assert set(result_names(client.get("/lieux/", {"q": "spip calvados"}))) == {
        "Cowork Lyon",
        "Fablab de Caen",
    }
    small["lyon"].partnerships.all().delete()
    assert result_names(client.get("/lieux/", {"q": "spip"})) == ["Fablab de Caen"]


def test_search_sorts_by_relevance_then_by_the_asked_sort(client, small):
    response = client.get("/lieux/", {"q": "cowork"})
    assert response.context["filter"].sort == "pertinence"
    # the menu's default is the empty value: a new search is ranked even if the menu is untouched
    assert response.context["sort_options"][0] == ("", "Pertinence", True)
    response = client.get("/lieux/", {"q": "cowork", "tri": "nom"})
    assert result_names(response) == ["Cowork Lyon", "Coworking Bayeux"]
    response = client.get("/lieux/", {"tri": "pertinence"})
    assert response.context["filter"].sort == "nom"
    assert response.context["sort_options"][0] == ("", "Nom", True)
    assert [p.name for p in client.get("/lieux/", {"q": "cowork", "tri": ""}).context["places"]]
    assert "la pertinence suppose une recherche" in response.text


@pytest.mark.parametrize(
    ("params", "notice"),
    [
        ({"q": "!(&:*"}, "aucun mot reconnu"),
        ({"q": "a" * 2_000}, "premiers caractères"),
        (
            {"q": " ".join(["fablab"] * 20) + " un deux trois quatre cinq six sept huit neuf"},
            "mots",
        ),
        ({"q": "'\\x00 ; DROP TABLE places_place; --"}, None),
        ({"page": "0"}, "existe pas"),
        ({"page": "abc"}, "existe pas"),
        ({"tri": "hasard"}, "Trier par"),
        ({"region": "atlantide"}, "Région"),
    ],
)
def test_bad_input_is_ignored_and_said(client, small, params, notice):
    response = client.get("/lieux/", params)
    assert response.status_code == 200
    if notice:
        assert notice in response.text
    assert client.get("/lieux.geojson", params).status_code == 200
    assert client.get("/carte/", params).status_code == 200


def test_404_page_in_the_sites_design(client, db):
    response = client.get("/partenariats/inconnu/")
    assert response.status_code == 404
    assert "Page introuvable" in response.text and 'class="skip-link"' in response.text
    assert client.get("/regions/atlantide/").status_code == 404
    assert client.get("/departements/99/").status_code == 404
    assert client.get("/partenaires/personne/").status_code == 404


def test_drafts_stay_out_of_every_public_listing(client, small):
    PlaceFactory(name="Brouillon secret", status=PublicationStatus.DRAFT, families=["fablab"])
    for url in ["/lieux/?famille=fablab", "/regions/normandie/", "/lieux.geojson", "/"]:
        assert "Brouillon secret" not in client.get(url).text, url
    assert "Brouillon secret" not in client.get("/lieux/", {"q": "brouillon"}).text


# Query counts: pinned, and the same for a few places or many
# ---------------------------------------------------------------------------------------------

PINNED = {
    # (first request, the same again, the same filters at another address). The first computes
    # everything: data version (once: the page cache reads it, the figures reuse it), the facet
    # index of the new data version (seven queries, once per data version: places.facets; the
    # options of the régions, départements and partners come with it), the page's ids, its
    # rows (with their first photo and their running partnerships: PlaceQuerySet.for_cards,
    # one query whatever the number of places). Every count
    # (result count and the 11 facets) comes from the index: no query. The same again is the
    # cached page: the data version only. The same filters at another address (?page=1)
    # recompute the counts from the index and reuse the cached page ids.
    "/lieux/": (10, 1, 2),
    # + how each word matches (and its correction), the words' ranked list (the page's ids are
    # read from it, not queried), validating region=normandie
    "/lieux/?q=atelier&famille=fablab&region=normandie": (12, 1, 4),
    "/regions/normandie/": (13, 1, 4),  # + the région, its partnership count
    # + the département's intercommunalités, to choose one (cached per data version)
    "/departements/14/": (14, 1, 4),
    "/partenariats/tig/": (11, 1, 2),
    # + the coverage figure (the places by commune, one pass; the communes), cached per data
    # version and shared with the statistics pages
    "/": (9, 1, 3),
    "/partenaires/": (2, 1, 2),
    "/partenaires/spip-du-calvados/": (3, 1, 3),
    # the map: its count and places without coordinates from the index; the box it opens on
    # (one aggregate, kept per data version and filters: not asked again at another address)
    "/carte/?region=normandie": (10, 1, 2),
    "/lieux.geojson?region=normandie": (10, 1, 2),
    "/a-propos/": (2, 1, 2),
}


def _grow(n):
    spip = Partner.objects.filter(slug="spip-du-calvados").first() or PartnerFactory(
        slug="spip-du-calvados", name="SPIP du Calvados", level="justice"
    )
    for place in PlaceFactory.create_batch(n, families=["fablab"], summary="Un atelier."):
        SpaceFactory(place=place)
        PartnershipFactory(place=place, partner=spip, kind="tig")


@pytest.mark.parametrize("url", list(PINNED))
def test_query_count_is_pinned_and_constant(client, db, django_assert_num_queries, url):
    first, again, elsewhere = PINNED[url]
    other = url + ("&" if "?" in url else "?") + "page=1"
    for size in (3, 60):
        _grow(size)  # changes the data version: everything is computed afresh
        with django_assert_num_queries(first):
            assert client.get(url).status_code == 200
        with django_assert_num_queries(again):
            assert client.get(url).status_code == 200
        with django_assert_num_queries(elsewhere):
            assert client.get(other).status_code == 200


def test_typos_use_trigrams_only_for_words_found_nowhere(client, db):
    montpellier = place_in(
        "Montpellier",
        name="Labo Occitan",
        families=["fablab"],
    )
    PlaceFactory(name="Atelier de Montauban", families=["fablab"])
    # "fablab" is a known word (full text); "montpelier" is found nowhere: trigrams
    assert result_names(client.get("/lieux/", {"q": "fablab montpelier"})) == [montpellier.name]
    # an exact commune or name ranks first among equally matching places
    PlaceFactory(name="Coworking Montpellier-Est", commune="Castelnau-le-Lez")
    response = client.get("/lieux/", {"q": "montpellier"})
    assert result_names(response) == [montpellier.name, "Coworking Montpellier-Est"]


@pytest.mark.parametrize("sort", ["nom", "recent", "surface"])
def test_a_narrow_result_is_sorted_among_its_ids_as_the_filters_would_sort_it(
    client, db, monkeypatch, sort
):
    """A result of a few places is sorted among its ids (places.facets.SORT_AMONG_IDS), a
    large one with the filters in SQL: the same places in the same order either way, ties
    (same name, unknown surface) included, on the first page and the next."""
    from django.core.cache import cache

    from places import facets

    for number, name in enumerate(["Atelier", "atelier", "Éco-lieu", "Zinc", "Atelier"] * 12):
        PlaceFactory(
            name=name,
            families=["fablab" if number % 3 else "coworking"],
            built_area=None if number % 4 == 0 else 50 * (number % 5 + 1),
        )
    monkeypatch.setattr("places.views.PlaceListView.paginate_by", 15)

    def pages():
        cache.clear()  # the page ids are cached: each way computes its own
        return [
            [
                place.pk
                for place in client.get(
                    "/lieux/", {"famille": "fablab", "tri": sort, "page": page}
                ).context["places"]
            ]
            for page in (1, 2, 3)
        ]

    among_ids = pages()
    monkeypatch.setattr(facets, "SORT_AMONG_IDS", 0)
    assert pages() == among_ids
    assert sum(len(page) for page in among_ids) == 40


def test_a_card_says_what_its_place_is_today(client, db):
    """A card (``place_cards``): its name escaped, « fermé » for a closed place, the families,
    only the partnerships running today (not an ended one, not one yet to start), no photo
    element without a photo; in English, its own French summary marked lang="fr"."""
    today = datetime.date.today()
    place = PlaceFactory(
        name="L'Atelier <b>du</b> Port",
        families=["fablab"],
        summary="Un atelier partagé.",
        lifecycle="ferme",
    )
    PartnershipFactory(place=place, kind="tig", start_date=today - datetime.timedelta(days=9))
    PartnershipFactory(
        place=place,
        kind="financement",
        start_date=datetime.date(2020, 1, 1),
        end_date=today - datetime.timedelta(days=1),
    )
    PartnershipFactory(place=place, kind="locaux", start_date=today + datetime.timedelta(days=1))
    text = client.get("/lieux/?fermes=1").text
    card = text[text.index('<article class="card">') : text.index("</article>")]
    assert "L&#x27;Atelier &lt;b&gt;du&lt;/b&gt; Port</a>" in card
    assert '<span class="status ended">fermé</span>' in card
    assert '<li class="badge">Fablab / atelier de fabrication numérique</li>' in card
    assert "Travail d&#x27;intérêt général (TIG)" in card
    assert "Financement" not in card and "Mise à disposition" not in card
    assert "<img" not in card and "<p>Un atelier partagé.</p>" in card
    english = client.get("/en/lieux/?fermes=1").text
    card = english[english.index('<article class="card">') : english.index("</article>")]
    assert '<span class="status ended">closed</span>' in card
    assert '<p lang="fr">Un atelier partagé.</p>' in card
