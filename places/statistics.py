"""Statistics and territorial coverage of the directory, for France, a région or a département.

Every figure is a ``Table``: the page draws it as a chart, writes it as a table under the chart,
and ``/statistiques/…/<table>.csv`` gives the same rows, so the three always agree.

Populations are the communes' « population municipale » of ``data/communes-2026.csv`` (INSEE,
Code officiel géographique 2026; ``manage.py load_communes``), summed by département, région and
intercommunalité (EPCI). A place belongs to a commune by its INSEE code: places whose code is
missing or not in the 2026 geography (communes merged since the 2019 census) count for their
département and région, not for coverage, and the page says how many they are.

Counts are of published places (closed ones included: the page says how many are closed),
like the directory's own list with « fermés » ticked.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from places.models import (
    Commune,
    Department,
    Family,
    Lifecycle,
    ManagementType,
    PartnerLevel,
    Partnership,
    PartnershipKind,
    Place,
    Region,
)
from places.reference_data import DEMO_PROVENANCE
from tierslieux.routers import read_connection

# Places per 100,000 inhabitants
PER = 100_000
# "Verified recently": within this many days
FRESH_DAYS = 365
COMMUNE_COLUMNS = ("insee", "department_id", "epci_siren", "epci_name", "population")


@dataclass(frozen=True)
class Scope:
    """France (neither), a région or a département."""

    region: Region | None = None
    department: Department | None = None

    @property
    def slug(self) -> str:
        """What names the scope in URLs: "", a région's slug or a département's code."""
        if self.department:
            return self.department.code
        return self.region.slug if self.region else ""

    @property
    def name(self) -> str:
        if self.department:
            return f"{self.department.name} ({self.department.code})"
        return self.region.name if self.region else _("France")

    def places(self):
        places = Place.objects.published()
        if self.department:
            return places.in_department(self.department)
        return places.in_region(self.region) if self.region else places

    def communes(self):
        communes = Commune.objects.all()
        if self.department:
            return communes.filter(department=self.department)
        return communes.filter(department__region=self.region) if self.region else communes


def find_scope(slug: str) -> Scope | None:
    """The scope a URL names: a département's code (« 14 », « 2a »), else a région's slug."""
    department = Department.objects.select_related("region").filter(code=slug.upper()).first()
    if department:
        return Scope(region=department.region, department=department)
    region = Region.objects.filter(slug=slug).first()
    return Scope(region=region) if region else None


@dataclass
class Column:
    key: str
    label: str
    numeric: bool = False
    decimals: int = 0

    @property
    def format(self) -> str:
        """The floatformat argument that writes the column's numbers as the language does."""
        return f"{self.decimals}g"


@dataclass
class Table:
    """One figure: its rows, the chart that draws them (``chart``: "bars", "tiles" or "" for a
    table alone) and the column the bars measure."""

    slug: str
    title: str
    columns: list[Column]
    rows: list[dict]
    chart: str = "bars"
    label: str = ""  # the column naming each bar
    value: str = ""  # the column the bars measure
    note: str = ""
    # the statistics of the territory a row names, linked from its "name" cell
    links: list[str] = field(default_factory=list)

    def cells(self) -> list[list]:
        return [[row[column.key] for column in self.columns] for row in self.rows]

    def linked_cells(self) -> list[list[tuple]]:
        """(value, column, URL or "") of each cell, row by row, for the page's table."""
        links = self.links or [""] * len(self.rows)
        return [
            [
                (row[column.key], column, links[index] if column.key == "name" else "")
                for column in self.columns
            ]
            for index, row in enumerate(self.rows)
        ]

    def bars(self) -> list[tuple[str, float, str]]:
        """(label, value, value as written) for each row."""
        return [
            (str(row[self.label]), float(row[self.value] or 0), _number(row[self.value]))
            for row in self.rows
        ]


def _number(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float | Decimal):
        return f"{value:.1f}"
    return str(value)


def per_inhabitants(places: int, population: int) -> float | None:
    """Places per 100,000 inhabitants, to one decimal (None without inhabitants)."""
    return round(places * PER / population, 1) if population else None


def share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Statistics:
    scope: Scope
    total: int
    closed: int
    population: int
    tables: list[Table]
    coverage: dict

    def table(self, slug: str) -> Table | None:
        return next((table for table in self.tables if table.slug == slug), None)


def compute(scope: Scope, today: datetime.date | None = None) -> Statistics:
    """Every figure of the scope, in a dozen queries whatever the number of places."""
    today = today or timezone.localdate()
    places = scope.places()
    total = places.count()
    closed = places.filter(lifecycle=Lifecycle.FERME).count()
    communes = list(scope.communes().values_list(*COMMUNE_COLUMNS))
    population = sum(row[4] for row in communes)
    by_commune, covered = _covered()
    tables = [
        *_territories(scope, places, by_commune),
        *_coverage_tables(scope, communes, covered),
        _vocabulary(
            "familles",
            _("Lieux par famille"),
            _("Famille"),
            Family,
            _family_counts(places),
            note=_("Un lieu peut appartenir à plusieurs familles."),
        ),
        _vocabulary(
            "gestion",
            _("Lieux par mode de gestion"),
            _("Mode de gestion"),
            ManagementType,
            Counter(dict(places.values_list("management_type").annotate(n=Count("pk")).order_by())),
        ),
        _vocabulary(
            "cycle",
            _("Lieux par étape"),
            _("Étape"),
            Lifecycle,
            Counter(dict(places.values_list("lifecycle").annotate(n=Count("pk")).order_by())),
        ),
        *_partnerships(places, today),
        _freshness(places, total, today),
    ]
    national = not (scope.region or scope.department)
    coverage = _coverage(places, communes, by_commune, covered, national)
    return Statistics(scope, total, closed, population, tables, coverage)


def _territories(scope: Scope, places, by_commune: Counter) -> list[Table]:
    """Places and places per 100,000 inhabitants, by région and département (France), by
    département (a région), by intercommunalité (a département)."""
    by_department = dict(places.values_list("department_id").annotate(n=Count("pk")).order_by())
    people = dict(
        scope.communes()
        .exclude(department=None)
        .values_list("department_id")
        .annotate(n=Sum("population"))
        .order_by()
    )
    tables = []
    if scope.department:
        return [_epcis(scope, by_commune)]
    departments = Department.objects.select_related("region").order_by("code")
    if scope.region:
        departments = departments.filter(region=scope.region)
    if not scope.region:
        rows, links = [], []
        for region in Region.objects.order_by("name"):
            ids = [d.pk for d in departments if d.region_id == region.pk]
            count = sum(by_department.get(pk, 0) for pk in ids)
            inhabitants = sum(people.get(pk, 0) for pk in ids)
            rows.append(
                {
                    "name": region.name,
                    "places": count,
                    "population": inhabitants,
                    "per": per_inhabitants(count, inhabitants),
                }
            )
            links.append(reverse("places:statistics_scope", args=[region.slug]))
        tables.append(
            Table(
                "regions",
                _("Lieux par région"),
                [
                    Column("name", _("Région")),
                    Column("places", _("Lieux"), True),
                    Column("population", _("Population"), True),
                    Column("per", _("Lieux pour 100 000 habitants"), True, 1),
                ],
                rows,
                label="name",
                value="places",
                links=links,
            )
        )
    rows, links = [], []
    for department in departments:
        count = by_department.get(department.pk, 0)
        inhabitants = people.get(department.pk, 0)
        rows.append(
            {
                "code": department.code,
                "name": department.name,
                "region": department.region.name,
                "places": count,
                "population": inhabitants,
                "per": per_inhabitants(count, inhabitants),
            }
        )
        links.append(reverse("places:statistics_scope", args=[department.code]))
    tables.append(
        Table(
            "departements",
            _("Lieux pour 100 000 habitants, par département"),
            [
                Column("code", _("Code")),
                Column("name", _("Département")),
                Column("region", _("Région")),
                Column("places", _("Lieux"), True),
                Column("population", _("Population"), True),
                Column("per", _("Lieux pour 100 000 habitants"), True, 1),
            ],
            rows,
            chart="tiles" if not scope.region else "bars",
            label="name",
            value="per",
            links=links,
        )
    )
    return tables


# Paris, Lyon and Marseille are divided into arrondissements with INSEE codes of their own
# (75101–75120, 69381–69389, 13201–13216, as the census files their places); the communes
# file knows the communes they belong to.
ARRONDISSEMENTS = (("751", "75056"), ("6938", "69123"), ("132", "13055"))


def commune_code(code: str) -> str:
    """The commune's INSEE code for a place's code (an arrondissement's → its commune's)."""
    for prefix, commune in ARRONDISSEMENTS:
        if code.startswith(prefix) and len(code) == 5:
            return commune
    return code


def _places_by_commune(places) -> Counter:
    """Places by commune code ("" for those without one), arrondissements counted with their
    commune."""
    counts = Counter()
    for code, count in places.values_list("insee_code").annotate(n=Count("pk")).order_by():
        counts[commune_code(code)] += count
    return counts


def _epcis(scope: Scope, by_commune: Counter) -> Table:
    """A département's intercommunalités: the places of their communes in it, their people."""
    epcis = defaultdict(lambda: {"places": 0, "population": 0, "communes": 0})
    for insee, _department, siren, name, population in scope.communes().values_list(
        *COMMUNE_COLUMNS
    ):
        row = epcis[(siren, name or _("Sans intercommunalité"))]
        row["places"] += by_commune.get(insee, 0)
        row["population"] += population
        row["communes"] += 1
    rows = [
        {
            "name": name,
            "siren": siren,
            "communes": row["communes"],
            "places": row["places"],
            "population": row["population"],
            "per": per_inhabitants(row["places"], row["population"]),
        }
        for (siren, name), row in sorted(epcis.items(), key=lambda item: item[0][1])
    ]
    return Table(
        "intercommunalites",
        _("Lieux par intercommunalité"),
        [
            Column("name", _("Intercommunalité")),
            Column("siren", _("SIREN")),
            Column("communes", _("Communes dans le département"), True),
            Column("places", _("Lieux"), True),
            Column("population", _("Population dans le département"), True),
            Column("per", _("Lieux pour 100 000 habitants"), True, 1),
        ],
        rows,
        label="name",
        value="places",
        note=_(
            "Les lieux dont le code de commune manque ou n'existe plus en 2026 n'y sont "
            "pas comptés."
        ),
    )


def _covered() -> tuple[Counter, set[str]]:
    """Published places by commune, and the intercommunalités that hold at least one (wherever
    their communes lie: an intercommunalité may cross a département's border)."""
    by_commune = _places_by_commune(Place.objects.published())
    covered = set(
        Commune.objects.filter(insee__in=list(by_commune))
        .exclude(epci_siren="")
        .values_list("epci_siren", flat=True)
    )
    return by_commune, covered


def _coverage(places, communes, by_commune: Counter, covered: set[str], national=False) -> dict:
    """Shares of the scope's population living in a commune, and in an intercommunalité, that
    holds at least one place; the scope's places that no commune of 2026 holds (``national``:
    the scope's places are all the published ones, already counted in ``by_commune``)."""
    population = sum(row[4] for row in communes)
    in_commune = sum(row[4] for row in communes if by_commune.get(row[0]))
    in_epci = sum(
        row[4] for row in communes if by_commune.get(row[0]) or (row[2] and row[2] in covered)
    )
    codes = by_commune if national else _places_by_commune(places)
    known = set(Commune.objects.filter(insee__in=list(codes)).values_list("insee", flat=True))
    unplaced = sum(count for code, count in codes.items() if code not in known)
    return {
        "population": population,
        "commune_share": share(in_commune, population),
        "epci_share": share(in_epci, population),
        "unplaced": unplaced,
    }


def _coverage_tables(scope: Scope, communes, covered: set[str]) -> list[Table]:
    """The intercommunalités without any place: listed for a région or a département, counted
    by département for France (the page of a département lists them)."""
    epcis = {}
    for _insee, department_id, siren, name, _population in communes:
        if not siren:
            continue
        epci = epcis.setdefault(siren, {"name": name, "departments": set(), "population": 0})
        epci["departments"].add(department_id)
    # an intercommunalité's whole population, wherever its communes lie
    totals = dict(
        Commune.objects.filter(epci_siren__in=list(epcis))
        .values_list("epci_siren")
        .annotate(n=Sum("population"))
        .order_by()
    )
    departments = {d.pk: d for d in Department.objects.all()}
    without = [(siren, epci) for siren, epci in epcis.items() if siren not in covered]
    if scope.region or scope.department:
        rows = []
        for siren, epci in without:
            codes = sorted(departments[pk].code for pk in epci["departments"] if pk in departments)
            rows.append(
                {
                    "departments": " / ".join(codes),
                    "name": epci["name"],
                    "siren": siren,
                    "population": totals.get(siren, 0),
                }
            )
        rows.sort(key=lambda row: (row["departments"], -row["population"], row["name"]))
        return [
            Table(
                "sans-lieu",
                _("Intercommunalités sans aucun lieu"),
                [
                    Column("departments", _("Département")),
                    Column("name", _("Intercommunalité")),
                    Column("siren", _("SIREN")),
                    Column("population", _("Population"), True),
                ],
                rows,
                label="name",
                value="population",
                note=_(
                    "Une intercommunalité compte dès qu'un lieu publié est situé dans l'une de ses "
                    "communes, même dans un autre département ; sa population est celle de toutes "
                    "ses communes."
                ),
            )
        ]
    counted = defaultdict(lambda: {"epcis": 0, "without": 0, "population": 0})
    for siren, epci in epcis.items():
        for pk in epci["departments"]:
            row = counted[pk]
            row["epcis"] += 1
            if siren not in covered:
                row["without"] += 1
                row["population"] += totals.get(siren, 0)
    rows = []
    for pk, row in counted.items():
        if pk not in departments:
            continue
        department = departments[pk]
        rows.append(
            {
                "code": department.code,
                "name": department.name,
                "epcis": row["epcis"],
                "without": row["without"],
                "population": row["population"],
            }
        )
    rows.sort(key=lambda row: row["code"])
    return [
        Table(
            "sans-lieu",
            _("Intercommunalités sans aucun lieu, par département"),
            [
                Column("code", _("Code")),
                Column("name", _("Département")),
                Column("epcis", _("Intercommunalités"), True),
                Column("without", _("Sans aucun lieu"), True),
                Column("population", _("Leur population"), True),
            ],
            rows,
            chart="",
            links=[reverse("places:statistics_scope", args=[row["code"]]) for row in rows],
            note=_(
                "Une intercommunalité qui s'étend sur deux départements compte dans chacun. La "
                "page de chaque département en donne la liste."
            ),
        )
    ]


def _family_counts(places) -> Counter:
    """Places by family, counted in the database (100,000 arrays are not sent to Python)."""
    sql, params = places.values("families").query.sql_with_params()
    with read_connection().cursor() as cursor:
        cursor.execute(
            f"SELECT family, count(*) FROM ({sql}) AS place, unnest(place.families) AS family "
            "GROUP BY family",
            params,
        )
        return Counter(dict(cursor.fetchall()))


def _vocabulary(slug, title, heading, choices, counts: Counter, note: str = "") -> Table:
    rows = [
        {"name": str(label), "places": counts.get(value, 0)} for value, label in choices.choices
    ]
    unknown = counts.get("", 0) + counts.get(None, 0)
    if unknown:
        rows.append({"name": _("Non renseigné"), "places": unknown})
    return Table(
        slug,
        title,
        [Column("name", heading), Column("places", _("Lieux"), True)],
        rows,
        label="name",
        value="places",
        note=note,
    )


def _partnerships(places, today: datetime.date) -> list[Table]:
    partnerships = Partnership.objects.filter(place__in=places)
    rows = list(
        partnerships.values_list("kind", "partner__level", "start_date", "end_date", "provenance")
    )
    illustrative = sum(1 for row in rows if row[4] == DEMO_PROVENANCE)
    note = ""
    if illustrative:
        note = _(
            "%(illustrative)s de ces %(total)s partenariats sont des données d'illustration "
            "(fictives), en attendant ceux que les partenaires transmettront."
        ) % {"illustrative": illustrative, "total": len(rows)}

    def state(start, end):
        if start > today:
            return "upcoming"
        return "ended" if end and end < today else "active"

    by_kind = defaultdict(Counter)
    for kind, _level, start, end, _provenance in rows:
        by_kind[kind][state(start, end)] += 1
    kinds = Table(
        "partenariats",
        _("Partenariats publics par nature"),
        [
            Column("name", _("Nature")),
            Column("active", _("En cours"), True),
            Column("ended", _("Terminés"), True),
            Column("upcoming", _("À venir"), True),
            Column("total", _("Total"), True),
        ],
        [
            {
                "name": str(label),
                "active": by_kind[value]["active"],
                "ended": by_kind[value]["ended"],
                "upcoming": by_kind[value]["upcoming"],
                "total": sum(by_kind[value].values()),
            }
            for value, label in PartnershipKind.choices
        ],
        label="name",
        value="total",
        note=note,
    )
    levels = Counter(row[1] for row in rows)
    by_level = Table(
        "niveaux",
        _("Partenariats par niveau du partenaire"),
        [Column("name", _("Niveau")), Column("partnerships", _("Partenariats"), True)],
        [
            {"name": str(label), "partnerships": levels.get(value, 0)}
            for value, label in PartnerLevel.choices
        ],
        label="name",
        value="partnerships",
        note=note,
    )
    years = Counter(row[2].year for row in rows)
    by_year = Table(
        "debuts",
        _("Partenariats par année de début"),
        [
            Column("year", pgettext("calendar", "Année")),
            Column("partnerships", _("Partenariats"), True),
        ],
        [{"year": year, "partnerships": years[year]} for year in sorted(years)],
        label="year",
        value="partnerships",
        note=note,
    )
    return [kinds, by_level, by_year]


def _freshness(places, total: int, today: datetime.date) -> Table:
    """Where the records come from (their source, as each record states it: the census, the
    public's contributions, an import; none when staff typed it), and how many were verified
    in the last twelve months."""
    since = today - datetime.timedelta(days=FRESH_DAYS)
    sources = (
        places.values_list("source_name").annotate(n=Count("pk")).order_by("-n", "source_name")
    )
    rows = [
        {
            "name": name or _("Saisis par l'équipe (sans source)"),
            "places": count,
            "share": share(count, total),
        }
        for name, count in sources
    ]
    fresh = places.filter(last_verified__gte=since).count()
    rows.append(
        {"name": _("Vérifiés depuis 12 mois"), "places": fresh, "share": share(fresh, total)}
    )
    return Table(
        "fraicheur",
        _("Provenance et fraîcheur des fiches"),
        [
            Column("name", _("Fiches")),
            Column("places", _("Lieux"), True),
            Column("share", _("Part (%)"), True, 1),
        ],
        rows,
        label="name",
        value="share",
        note=_(
            "Les fiches du recensement décrivent les lieux tels qu'ils étaient en 2019, tant "
            "qu'une personne ne les a pas vérifiées."
        ),
    )


def coverage_summary() -> dict:
    """For the home page: the share of the population of France living in an intercommunalité
    that holds at least one place, and in a commune that does."""
    scope = Scope()
    communes = list(scope.communes().values_list(*COMMUNE_COLUMNS))
    return _coverage(scope.places(), communes, *_covered(), national=True)
