"""The map's points (/carte/points.json): the matching places inside a view, clustered on a
grid counted in the database, and the first ones by name for the list beside the map."""

import json

import pytest

from places.clusters import LISTED, TERRITORIES
from places.models import Place

pytestmark = pytest.mark.django_db

FRANCE = "-5.2,41.3,9.6,51.1"


@pytest.fixture
def reader(committed_census, db):
    return committed_census


def points(client, zoom, bbox=FRANCE, **filters):
    response = client.get("/carte/points.json", {"bbox": bbox, "zoom": zoom, **filters})
    assert response.status_code == 200, response.content
    return response.json()


def located(**filters):
    return (
        Place.objects.published()
        .exclude(lifecycle="ferme")
        .filter(latitude__isnull=False, **filters)
    )


def test_every_place_in_view_is_in_one_cluster_or_drawn_alone(client, reader):
    data = points(client, 5)
    mainland = located(
        latitude__gte=41.3, latitude__lte=51.1, longitude__gte=-5.2, longitude__lte=9.6
    ).count()
    # the box widened to whole cells may take in a few more places, never fewer
    assert mainland <= data["in_view"] <= mainland + 20
    assert (
        sum(count for _lat, _lon, count in data["clusters"]) + len(data["places"])
        == (data["in_view"])
    )
    assert len(data["clusters"]) + len(data["places"]) < 300  # not 1,400 markers
    assert all(count > 1 for _lat, _lon, count in data["clusters"])
    # the list beside the map: the first places by name
    assert len(data["listed"]) == LISTED
    first = located(
        latitude__gte=41.3, latitude__lte=51.1, longitude__gte=-5.2, longitude__lte=9.6
    ).order_by("name", "pk")[0]
    assert data["listed"][0]["name"] == first.name


def test_zooming_in_breaks_the_clusters_up(client, reader):
    far = points(client, 5, region="normandie")
    near = points(client, 12, bbox="-0.45,49.1,-0.25,49.25", region="normandie")  # Caen
    assert far["in_view"] == located(department__region__slug="normandie").count()
    assert len(near["places"]) >= 1
    caen = near["places"] + near["listed"]
    assert all(49.0 <= place["lat"] <= 49.3 for place in caen)


def test_the_directory_filters_apply(client, reader):
    data = points(client, 5, famille="fablab", region="normandie")
    assert (
        data["in_view"]
        == located(families__contains=["fablab"], department__region__slug="normandie").count()
    )
    assert data["total"] == 12


def test_a_view_that_cannot_be_read_is_explained(client, reader):
    for params in [
        {},
        {"bbox": "a,b,c,d", "zoom": "5"},
        {"bbox": FRANCE, "zoom": "99"},
        {"bbox": "9.6,51.1,-5.2,41.3", "zoom": "5"},
        {"bbox": "nan,1,2,3", "zoom": "5"},
    ]:
        response = client.get("/carte/points.json", params)
        assert response.status_code == 400
        assert response.json()["error"]


def test_the_queries_are_few_and_do_not_grow_with_the_view(
    client, reader, django_assert_num_queries
):
    points(client, 5)  # the first request of a data version builds the facet index
    # the data version; the clusters, the places alone, the listed places (and the région
    # named, validated by the filter's form)
    with django_assert_num_queries(5):
        points(client, 6, region="normandie")
    with django_assert_num_queries(4):
        points(client, 12, bbox="-0.45,49.1,-0.25,49.25", famille="fablab")
    with django_assert_num_queries(1):  # cached per data version, query and view
        points(client, 6, region="normandie")


def test_the_map_opens_on_the_matching_places(client, reader):
    response = client.get("/carte/", {"region": "normandie"})
    south, west, north, east = json.loads(response.context["bounds"])
    assert 48 < south < north < 51 and -2 < west < east < 2
    overseas = client.get("/carte/", {"departement": "974"})
    box = json.loads(overseas.context["bounds"])
    assert -21.5 < box[0] <= box[2] < -20.8
    everywhere = json.loads(client.get("/carte/").context["bounds"])
    assert everywhere == list(TERRITORIES[0][2:])  # mainland France
