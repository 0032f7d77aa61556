"""places.facets: facet counts from bitmaps, checked against the FilterSet's own SQL (the same
semantics: each option counted under the other active filters; partnership and activity
conditions on one and the same partnership or activity), on the real census and on data built
for the case."""

import datetime

import pytest

from places import facets
from places.facets import current_index
from tests.conftest import assert_counts_match_sql, figures
from tests.factories import ActivityFactory, PartnerFactory, PartnershipFactory, PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def partnerships(db):
    """One place with an ended TIG partnership with the SPIP and an active insertion one with
    France Travail; another with an active TIG partnership with France Travail."""
    today = datetime.date.today()
    spip = PartnerFactory(slug="spip-14", level="justice")
    france_travail = PartnerFactory(slug="france-travail", level="operateur")
    first, second = PlaceFactory(name="Premier"), PlaceFactory(name="Second")
    PartnershipFactory(
        place=first,
        partner=spip,
        kind="tig",
        start_date=datetime.date(2020, 1, 1),
        end_date=datetime.date(2021, 1, 1),
    )
    PartnershipFactory(place=first, partner=france_travail, kind="insertion", start_date=today)
    PartnershipFactory(place=second, partner=france_travail, kind="tig", start_date=today)
    ActivityFactory(place=first, kind="atelier", audiences=["jeunes"])
    ActivityFactory(place=first, kind="permanence", audiences=["seniors"])
    return first, second


def counts(query: str) -> dict[str, dict[str, int]]:
    return {
        facet.name: {option.value: option.count for option in facet.options if option.count}
        for facet in figures(query).facets
    }


def test_partnership_conditions_hold_on_one_and_the_same_partnership(partnerships):
    # the first place has a TIG partnership and a France Travail one, never both at once
    assert figures("partenariat=tig&partenaire=france-travail").total == 1
    assert figures("partenariat=tig&partenariat_actif=1").total == 1
    assert figures("partenariat=insertion&niveau=justice").total == 0
    under_tig = counts("partenariat=tig")
    assert under_tig["partenaire"] == {"spip-14": 1, "france-travail": 1}
    assert under_tig["partenariat_actif"] == {"1": 1}  # the second place's only
    assert under_tig["niveau"] == {"justice": 1, "operateur": 1}
    # partner kinds under "France Travail": the second's TIG and the first's insertion
    assert counts("partenaire=france-travail")["partenariat"] == {"tig": 1, "insertion": 1}
    assert counts("partenaire=spip-14")["partenariat"] == {"tig": 1}
    for query in ("partenariat=tig", "partenaire=france-travail&partenariat_actif=1"):
        assert_counts_match_sql(query)


def test_activity_conditions_hold_on_one_and_the_same_activity(partnerships):
    assert figures("activite=atelier&public=jeunes").total == 1
    assert figures("activite=atelier&public=seniors").total == 0
    assert counts("activite=atelier")["public"] == {"jeunes": 1}
    assert counts("public=seniors")["activite"] == {"permanence": 1}
    assert_counts_match_sql("activite=atelier&public=jeunes")


def test_drafts_are_never_counted(db):
    PlaceFactory(name="Brouillon", status="draft", families=["fablab"])
    PlaceFactory(name="Publié", families=["fablab"])
    assert counts("")["famille"] == {"fablab": 1}


def test_the_index_is_built_once_per_data_version_and_shared(
    partnerships, django_assert_num_queries
):
    version = figures("").data_version
    # places by territory and families, spaces, partnerships, activities; régions, départements
    # and partners (their labels)
    with django_assert_num_queries(7):
        index = current_index(version)
    with django_assert_num_queries(0):  # this process's copy
        assert current_index(version) is index
    facets.forget_index()  # another process: the shared cache holds it
    with django_assert_num_queries(0):
        assert current_index(version).published == index.published
    PlaceFactory(name="Troisième", families=["foodlab"])  # a new data version: built anew
    assert counts("")["famille"]["foodlab"] == 1
    assert len(current_index(figures("").data_version).published) == 3
