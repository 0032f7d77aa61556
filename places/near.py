"""Near a commune: the places within a radius of a commune's centre — ``pres`` (the commune) and
``rayon`` (km) on the directory, the map, the exports and the API.

A commune is found from its INSEE code, a postcode, the label the autocomplete offers
(« Caen (14000) ») or its name (accents and case ignored; the most populous of that name). Its
centre is the town centre of ``data/communes-2026.csv`` when the file locates it (8,102 communes);
otherwise the centre of the directory's places in that commune, else the town centre of the most
populous located commune of its intercommunalité (EPCI), and the page says which.

Distances are great-circle distances (haversine) computed by PostgreSQL, after a bounding box on
the indexed latitude and longitude, so that only the places of the box are measured. Plain SQL
rather than the ``earthdistance`` extension: it needs nothing installed on the server and, the
box first, costs the same for radii of 100 km at most.
"""

import array
import math
import re
from dataclasses import dataclass

from django.db.models import Avg, F, FloatField, Func, Value
from django.db.models.functions import ASin, Cast, Cos, Power, Radians, Sin, Sqrt
from django.utils.translation import gettext_lazy as _

from places.communes import normalise
from places.models import Commune, Place, PublicationStatus
from tierslieux.routers import read_connection

RADII = (5, 10, 20, 50, 100)
DEFAULT_RADIUS = 20
EARTH_RADIUS_KM = 6371.0
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180  # along a meridian

# How the centre of a commune was found (said on the page when it is not the commune's own).
COMMUNE, PLACES, EPCI = "commune", "places", "epci"
HOW = {
    PLACES: _("position approchée : le centre des lieux recensés dans la commune"),
    EPCI: _("position approchée : le centre de %(town)s, ville principale de %(epci)s"),
}

LABEL_RE = re.compile(r"^(?P<name>.+?)\s*\((?P<postcode>\d{5})[^)]*\)$")


@dataclass(frozen=True)
class Origin:
    """The centre distances are measured from."""

    insee: str
    name: str
    department_code: str
    latitude: float
    longitude: float
    how: str = COMMUNE
    town: str = ""  # the EPCI's town whose centre is borrowed
    epci: str = ""

    def __str__(self) -> str:
        return f"{self.name} ({self.department_code})"

    @property
    def approximation(self) -> str:
        """What the page says when the centre is borrowed; empty when it is the commune's."""
        if self.how == COMMUNE:
            return ""
        return str(HOW[self.how]) % {"town": self.town, "epci": self.epci}

    def box(self, radius: float) -> tuple[float, float, float, float]:
        """(south, north, west, east): every point within ``radius`` km lies inside."""
        latitude = radius / KM_PER_DEGREE
        # the parallels narrow towards the poles: the widest box, at the edge nearer the pole
        widest = math.cos(math.radians(min(89.0, abs(self.latitude) + latitude)))
        longitude = radius / (KM_PER_DEGREE * widest)
        return (
            self.latitude - latitude,
            self.latitude + latitude,
            self.longitude - longitude,
            self.longitude + longitude,
        )

    def distance_km(self, latitude, longitude) -> float | None:
        """Haversine distance to a point, in km (the same formula as ``distance``)."""
        if latitude is None or longitude is None:
            return None
        phi1, phi2 = math.radians(self.latitude), math.radians(float(latitude))
        half_dphi = (phi2 - phi1) / 2
        half_dlambda = math.radians(float(longitude) - self.longitude) / 2
        h = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def find_commune(text: str) -> Commune | None:
    """The commune meant by ``text``: an INSEE code, a postcode, « Nom (code postal) » or a name."""
    text = " ".join(text.split())[:120]
    if not text:
        return None
    communes = Commune.objects.order_by("-population", "name")
    if re.fullmatch(r"\d{5}|2[abAB]\d{3}", text):
        return (
            communes.filter(insee=text.upper()).first()
            or communes.filter(postcodes__contains=[text]).first()
        )
    match = LABEL_RE.match(text)
    if match:
        found = communes.filter(
            search_name=normalise(match["name"]), postcodes__contains=[match["postcode"]]
        ).first()
        if found:
            return found
        text = match["name"]
    return communes.filter(search_name=normalise(text)).first()


def origin(commune: Commune) -> Origin | None:
    """Where distances from ``commune`` are measured from; None when nothing locates it."""
    own = {"insee": commune.insee, "name": commune.name, "department_code": commune.department_code}
    if commune.latitude is not None:
        return Origin(**own, latitude=float(commune.latitude), longitude=float(commune.longitude))
    centre = Place.objects.filter(insee_code=commune.insee, latitude__isnull=False).aggregate(
        latitude=Avg(Cast("latitude", FloatField())),
        longitude=Avg(Cast("longitude", FloatField())),
    )
    if centre["latitude"] is not None:
        return Origin(**own, **centre, how=PLACES)
    if commune.epci_siren:
        town = (
            Commune.objects.filter(epci_siren=commune.epci_siren, latitude__isnull=False)
            .order_by("-population", "name")
            .first()
        )
        if town is not None:
            return Origin(
                **own,
                latitude=float(town.latitude),
                longitude=float(town.longitude),
                how=EPCI,
                town=town.name,
                epci=commune.epci_name,
            )
    return None


def distance(origin: Origin, place: str = ""):
    """The haversine distance from ``origin`` to a place, in km, as a database expression;
    ``place`` is the path to the place (``"place__"`` from a space)."""
    latitude = Radians(Cast(f"{place}latitude", FloatField()))
    longitude = Radians(Cast(f"{place}longitude", FloatField()))
    phi = Value(math.radians(origin.latitude))
    lam = Value(math.radians(origin.longitude))
    h = Power(Sin((latitude - phi) / 2), 2) + Cos(phi) * Cos(latitude) * Power(
        Sin((longitude - lam) / 2), 2
    )
    least = Func(Value(1.0), Sqrt(h), function="LEAST", output_field=FloatField())
    return Value(2 * EARTH_RADIUS_KM) * ASin(least)


def within(queryset, origin: Origin, radius: float, place: str = ""):
    """The rows of ``queryset`` (places, or spaces with ``place="place__"``) within ``radius`` km
    of ``origin``, with ``distance_km``: a bounding box on the indexed coordinates first."""
    south, north, west, east = origin.box(radius)
    return (
        queryset.filter(
            **{
                f"{place}latitude__range": (south, north),
                f"{place}longitude__range": (west, east),
            }
        )
        .annotate(distance_km=distance(origin, place))
        .filter(distance_km__lte=radius)
    )


def ids_by_distance(origin: Origin, radius: float) -> array.array:
    """Every published place within ``radius`` km of ``origin``, nearest first (closed places
    included: the directory's bitmaps leave them out unless asked), in one query."""
    places = within(
        Place.objects.filter(status=PublicationStatus.PUBLISHED), origin, radius
    ).order_by(F("distance_km").asc(), "name", "pk")
    sql, params = places.values("pk").query.sql_with_params()
    with read_connection().cursor() as cursor:
        cursor.execute(f"SELECT array_agg(near.id) FROM ({sql}) AS near(id)", params)
        ids = cursor.fetchone()[0]
    return array.array("I", ids or [])
