"""The map's points for one view: the matching places inside the map's bounding box, grouped on
a grid whose cells shrink as the map zooms in, and the first places in view by name for the
list beside the map. A few hundred markers whatever the number of places (100,000 would not
draw), counted in the database: three queries, each bounded by the view.

A view is a bounding box and a zoom level, as Leaflet gives them. Cells are a quarter of a map
tile wide (about 64 pixels, the size of a cluster's marker); the box is widened to whole cells,
so that the views of one zoom share their cells (and their cached answers) as the map pans.
"""

import math
from dataclasses import dataclass

from django.db.models import Avg, Count, FloatField, IntegerField, Max, Min
from django.db.models.functions import Cast, Floor
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CELLS_PER_TILE = 4
MAX_ZOOM = 18
# The places listed beside the map, by name (a longer list is no longer read, it is scrolled)
LISTED = 50

# Where the map opens, and the buttons beside it: (key, label, south, west, north, east)
TERRITORIES = (
    ("metropole", gettext_lazy("France métropolitaine"), 41.3, -5.2, 51.1, 9.6),
    ("guadeloupe", gettext_lazy("Guadeloupe"), 15.8, -61.9, 16.55, -61.0),
    ("martinique", gettext_lazy("Martinique"), 14.38, -61.25, 14.9, -60.8),
    ("guyane", gettext_lazy("Guyane"), 2.1, -54.6, 5.8, -51.6),
    ("reunion", gettext_lazy("La Réunion"), -21.4, 55.2, -20.85, 55.85),
    ("mayotte", gettext_lazy("Mayotte"), -13.05, 44.95, -12.6, 45.3),
)


class InvalidView(ValueError):
    """A bounding box or a zoom level that cannot be read: said to the client, never a 500."""


@dataclass(frozen=True)
class View:
    south: float
    west: float
    north: float
    east: float
    zoom: int

    @classmethod
    def parse(cls, bbox: str, zoom: str) -> "View":
        """« west,south,east,north » (GeoJSON's order, as Leaflet's ``toBBoxString``) and a
        zoom level, widened to whole cells and kept within the world."""
        try:
            west, south, east, north = (float(part) for part in bbox.split(","))
            level = int(zoom)
        except (TypeError, ValueError):
            raise InvalidView(
                _("Paramètres bbox (ouest,sud,est,nord) et zoom (0 à 18) attendus.")
            ) from None
        values = (west, south, east, north)
        if not all(math.isfinite(value) for value in values) or not 0 <= level <= MAX_ZOOM:
            raise InvalidView(_("Zoom de 0 à 18 et coordonnées finies attendus."))
        if south > north or west > east:
            raise InvalidView(_("La boîte doit aller du sud-ouest au nord-est."))
        size = cell_size(level)
        return cls(
            south=max(-90.0, math.floor(south / size) * size),
            west=max(-180.0, math.floor(west / size) * size),
            north=min(90.0, math.ceil(north / size) * size),
            east=min(180.0, math.ceil(east / size) * size),
            zoom=level,
        )

    @property
    def key(self) -> tuple:
        return (self.zoom, self.south, self.west, self.north, self.east)


def cell_size(zoom: int) -> float:
    """A cell's side in degrees at ``zoom`` (a tile spans 360 / 2^zoom degrees of longitude)."""
    return 360 / 2**zoom / CELLS_PER_TILE


def points(places, view: View) -> dict:
    """The places of ``places`` (a queryset) inside ``view``: clusters (latitude, longitude,
    count) for the cells holding several, the place itself for the cells holding one, the
    first ``LISTED`` places by name, and how many are in view."""
    inside = places.order_by().filter(
        latitude__gte=view.south,
        latitude__lte=view.north,
        longitude__gte=view.west,
        longitude__lte=view.east,
    )
    size = cell_size(view.zoom)
    cells = list(
        inside.annotate(
            x=Cast(Floor(Cast("longitude", FloatField()) / size), IntegerField()),
            y=Cast(Floor(Cast("latitude", FloatField()) / size), IntegerField()),
        )
        .values_list("x", "y")
        .annotate(n=Count("pk"), lat=Avg("latitude"), lon=Avg("longitude"), first=Min("pk"))
    )
    clusters = [
        [round(float(lat), 5), round(float(lon), 5), n]
        for _x, _y, n, lat, lon, _id in cells
        if n > 1
    ]
    alone = [first for _x, _y, n, _lat, _lon, first in cells if n == 1]
    singles = [_place(row) for row in _rows(inside.filter(pk__in=alone))]
    listed = [_place(row) for row in _rows(inside.order_by("name", "pk")[:LISTED])]
    return {
        "zoom": view.zoom,
        "bbox": [view.west, view.south, view.east, view.north],
        "in_view": sum(row[2] for row in cells),
        "clusters": clusters,
        "places": singles,
        "listed": listed,
    }


def bounds(places) -> list[float]:
    """[south, west, north, east] to open the map on: the matching places' own box when they
    all lie in one territory (mainland France or one overseas département), mainland France
    otherwise."""
    box = (
        places.order_by()
        .filter(latitude__isnull=False)
        .aggregate(
            south=Min("latitude"),
            west=Min("longitude"),
            north=Max("latitude"),
            east=Max("longitude"),
        )
    )
    if box["south"] is not None:
        found = [float(box[side]) for side in ("south", "west", "north", "east")]
        for _key, _label, south, west, north, east in TERRITORIES:
            if found[0] >= south and found[1] >= west and found[2] <= north and found[3] <= east:
                return found
    return list(TERRITORIES[0][2:])


def _rows(queryset):
    return queryset.values_list("name", "slug", "commune", "latitude", "longitude")


def _place(row) -> dict:
    name, slug, commune, lat, lon = row
    return {
        "name": name,
        "commune": commune,
        "url": reverse("places:detail", kwargs={"slug": slug}),
        "lat": float(lat),
        "lon": float(lon),
    }
