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

from django.db.models import BooleanField, Case, Count, ExpressionWrapper, Q, Sum, Value, When
from django.db.models.functions import ExtractYear
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from places import charts
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
    PublicationStatus,
    Region,
)
from places.reference_data import DEMO_PROVENANCE
from tierslieux.routers import read_connection

# Places per 100,000 inhabitants
PER = 100_000
# "Verified recently": within this many days
FRESH_DAYS = 365


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

    def department_ids(self, departments: dict) -> set[int] | None:
        """The ids of the scope's départements (None: France, every one and none), from every
        département by id."""
        if self.department:
            return {self.department.pk}
        if self.region:
            return {pk for pk, d in departments.items() if d.region_id == self.region.pk}
        return None


def find_scope(slug: str) -> Scope | None:
    """The scope a URL names, whatever its case: a département's code (« 14 », « 2a »), else a
    région's slug (« Normandie »). Its own ``slug`` is the one address to use."""
    department = Department.objects.select_related("region").filter(code=slug.upper()).first()
    if department:
        return Scope(region=department.region, department=department)
    region = Region.objects.filter(slug=slug.lower()).first()
    return Scope(region=region) if region else None


@dataclass
class Column:
    key: str
    label: str
    numeric: bool = False
    decimals: int = 0


def _written(value, column: Column) -> str:
    if value is None or column.numeric:
        return charts.number(value, column.decimals)
    return str(value)


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
        """(text, numeric, URL or "") of each cell, row by row, for the page's table: numbers
        written as the active language does (« 60 625 », « 13,2 »), none as « – »."""
        links = self.links or [""] * len(self.rows)
        return [
            [
                (
                    _written(row[column.key], column),
                    column.numeric,
                    links[index] if column.key == "name" else "",
                )
                for column in self.columns
            ]
            for index, row in enumerate(self.rows)
        ]

    def bars(self) -> list[tuple[str, float]]:
        """(label, value) for each row."""
        return [(str(row[self.label]), float(row[self.value] or 0)) for row in self.rows]

    @property
    def value_decimals(self) -> int:
        return next(column.decimals for column in self.columns if column.key == self.value)


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
    tables: list[Table]
    coverage: dict

    @property
    def population(self) -> int:
        return self.coverage["population"]

    def table(self, slug: str) -> Table | None:
        return next((table for table in self.tables if table.slug == slug), None)


def compute(
    scope: Scope, geography: "Geography | None" = None, today: datetime.date | None = None
) -> Statistics:
    """Every figure of the scope, in five to seven queries whatever the number of places (none
    reads a row per place into Python; the places' counts come from ``place_statistics_idx``
    alone), three fewer when the ``geography`` of this data version is given."""
    today = today or timezone.localdate()
    counts = _counts(scope.places(), today)
    total, closed = counts["total"], counts["lifecycle"][Lifecycle.FERME]
    geography = geography or Geography.read()
    departments = {d.pk: d for d in Department.objects.select_related("region").order_by("code")}
    ids = scope.department_ids(departments)
    tables = [
        *_territories(scope, counts["departments"], geography, departments, ids),
        *_coverage_tables(scope, ids, geography, departments),
        _vocabulary(
            "familles",
            _("Lieux par famille"),
            _("Famille"),
            Family,
            counts["families"],
            note=_("Un lieu peut appartenir à plusieurs familles."),
        ),
        _vocabulary(
            "gestion",
            _("Lieux par mode de gestion"),
            _("Mode de gestion"),
            ManagementType,
            counts["management_type"],
        ),
        _vocabulary(
            "cycle",
            _("Lieux par étape"),
            _("Étape"),
            Lifecycle,
            counts["lifecycle"],
        ),
        *_partnerships(scope.places(), today),
        _freshness(counts["sources"], total, counts["fresh"]),
    ]
    return Statistics(scope, total, closed, tables, geography.coverage(ids))


def _territories(
    scope: Scope, by_department: Counter, geography: "Geography", departments: dict, ids
) -> list[Table]:
    """Places and places per 100,000 inhabitants, by région and département (France), by
    département (a région), by intercommunalité (a département)."""
    if scope.department:
        return [_epcis(geography, scope.department.pk)]
    people = {pk: area.population for pk, area in geography.areas.items()}
    tables = []
    departments = [d for d in departments.values() if ids is None or d.pk in ids]
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


def _commune_code_sql() -> tuple[str, dict]:
    """The commune's INSEE code of a place ``p`` (an arrondissement's → its commune's), as SQL
    and its parameters."""
    whens, params = [], {}
    for index, (prefix, commune) in enumerate(ARRONDISSEMENTS):
        whens.append(f"WHEN p.insee_code LIKE %(prefix{index})s THEN %(commune{index})s")
        params |= {f"prefix{index}": f"{prefix}%", f"commune{index}": commune}
    return f"CASE {' '.join(whens)} ELSE p.insee_code END", params


# One pass over the published places, each joined to its commune of 2026 by code (the places
# read from place_statistics_idx alone): by département and intercommunalité, the communes
# that hold places, how many, their people, their places ("located"); by département, the
# places no commune holds ("unplaced"). A few thousand rows whatever the number of places.
GEOGRAPHY_SQL = """
WITH per_commune AS (
    SELECT c.insee, c.department_id, c.epci_siren, c.population,
           CASE WHEN c.insee IS NULL THEN p.department_id END AS unplaced_in,
           count(*) AS places
      FROM {place} p LEFT JOIN {commune} c ON c.insee = {code}
     WHERE p.status = %(published)s
     GROUP BY c.insee, c.department_id, c.epci_siren, c.population, unplaced_in
)
SELECT true, department_id, epci_siren, count(*), sum(population), sum(places)
  FROM per_commune WHERE insee IS NOT NULL
 GROUP BY department_id, epci_siren
 UNION ALL
SELECT false, unplaced_in, NULL, NULL, NULL, sum(places)
  FROM per_commune WHERE insee IS NULL
 GROUP BY unplaced_in
"""


def _epcis(geography: "Geography", department_id: int) -> Table:
    """A département's intercommunalités: the places of their communes in it, their people."""
    rows = []
    for siren, member in geography.members.get(department_id, {}).items():
        places = member.places
        name = geography.epcis[siren].name if siren else _("Sans intercommunalité")
        rows.append(
            {
                "name": name,
                "siren": siren,
                "communes": member.communes,
                "places": places,
                "population": member.population,
                "per": per_inhabitants(places, member.population),
            }
        )
    rows.sort(key=lambda row: row["name"])
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


@dataclass
class Area:
    """Communes summed: how many, their people, the people living in a commune that holds at
    least one place, and in an intercommunalité that does."""

    communes: int = 0
    population: int = 0
    in_commune: int = 0
    in_epci: int = 0
    places: int = 0

    def add(self, other: "Area"):
        self.communes += other.communes
        self.population += other.population
        self.in_commune += other.in_commune
        self.in_epci += other.in_epci
        self.places += other.places


@dataclass
class Epci:
    """An intercommunalité: its name, its whole population and places, its départements."""

    name: str
    population: int = 0
    places: int = 0
    departments: set = field(default_factory=set)


@dataclass
class Geography:
    """The communes (``data/communes-2026.csv``) joined to the published places, summed by
    département and intercommunalité in the database (three queries of a few thousand rows):
    the same for every scope and every language, so read once per data version and narrowed
    to a scope here."""

    areas: dict  # département id (None: outside départements) → Area
    epcis: dict  # SIREN → Epci
    members: dict  # département id → SIREN ("": none) → Area of its communes in the département
    unplaced: Counter  # published places by département id that no commune of 2026 holds

    @classmethod
    def read(cls) -> "Geography":
        tables = {"place": Place._meta.db_table, "commune": Commune._meta.db_table}
        code, params = _commune_code_sql()
        params["published"] = PublicationStatus.PUBLISHED.value
        located, unplaced = {}, Counter()
        with read_connection().cursor() as cursor:
            cursor.execute(GEOGRAPHY_SQL.format(code=code, **tables), params)
            for in_commune, department_id, siren, communes, population, places in cursor:
                if in_commune:
                    located[department_id, siren] = (communes, int(population), int(places))
                else:
                    unplaced[department_id] = int(places)
        communes = (
            Commune.objects.order_by()
            .values_list("department_id", "epci_siren", "epci_name")
            .annotate(n=Count("pk"), population=Sum("population"))
        )
        epcis, members, areas = {}, defaultdict(dict), defaultdict(Area)
        for department_id, siren, name, count, population in communes:
            with_places, in_commune, places = located.get((department_id, siren), (0, 0, 0))
            members[department_id][siren] = Area(count, population, in_commune, 0, places)
            if siren:
                epci = epcis.get(siren) or epcis.setdefault(siren, Epci(name))
                epci.population += population
                epci.places += places
                epci.departments.add(department_id)
        for department_id, by_siren in members.items():
            area = areas[department_id]
            for siren, member in by_siren.items():
                # everyone in a covered intercommunalité; without one, those of the communes
                # that hold a place
                covered = siren and epcis[siren].places
                member.in_epci = member.population if covered else member.in_commune
                area.add(member)
        return cls(dict(areas), epcis, dict(members), unplaced)

    def area(self, ids: set[int] | None) -> Area:
        """The communes of the départements ``ids`` summed (None: every commune)."""
        total = Area()
        for pk, area in self.areas.items():
            if ids is None or pk in ids:
                total.add(area)
        return total

    def coverage(self, ids: set[int] | None) -> dict:
        """Shares of the population of the départements ``ids`` (None: all) living in a
        commune, and in an intercommunalité, that holds at least one place; how many of their
        places no commune of 2026 holds."""
        area = self.area(ids)
        return {
            "population": area.population,
            "commune_share": share(area.in_commune, area.population),
            "epci_share": share(area.in_epci, area.population),
            "unplaced": sum(n for pk, n in self.unplaced.items() if ids is None or pk in ids),
        }


def _coverage_tables(
    scope: Scope, ids: set[int] | None, geography: Geography, departments: dict
) -> list[Table]:
    """The intercommunalités without any place: listed for a région or a département, counted
    by département for France (the page of a département lists them)."""
    if scope.region or scope.department:
        rows = []
        for siren, epci in geography.epcis.items():
            inside = epci.departments & ids
            if epci.places or not inside:
                continue
            codes = sorted(departments[pk].code for pk in inside if pk in departments)
            rows.append(
                {
                    "departments": " / ".join(codes),
                    "name": epci.name,
                    "siren": siren,
                    "population": epci.population,
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
    for epci in geography.epcis.values():
        for pk in epci.departments:
            row = counted[pk]
            row["epcis"] += 1
            if not epci.places:
                row["without"] += 1
                row["population"] += epci.population
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


def _counts(places, today: datetime.date) -> dict:
    """The scope's places counted by département, source, family, management type and stage,
    with the total and those verified in the last twelve months: one query, grouped by all of
    these at once (a few thousand rows, whatever the number of places), summed here."""
    since = today - datetime.timedelta(days=FRESH_DAYS)
    rows = (
        places.order_by()
        .annotate(fresh=ExpressionWrapper(Q(last_verified__gte=since), BooleanField()))
        .values_list(
            "department_id", "source_name", "management_type", "lifecycle", "families", "fresh"
        )
        .annotate(n=Count("pk"))
    )
    counts = {
        key: Counter()
        for key in ("departments", "sources", "management_type", "lifecycle", "families")
    }
    total = fresh = 0
    for department_id, source, management_type, lifecycle, families, is_fresh, count in rows:
        total += count
        fresh += count if is_fresh else 0
        counts["departments"][department_id] += count
        counts["sources"][source] += count
        counts["management_type"][management_type] += count
        counts["lifecycle"][lifecycle] += count
        for family in families or ():
            counts["families"][family] += count
    return {**counts, "total": total, "fresh": fresh}


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
    """Partnerships counted in the database by kind, partner level, starting year, state today
    and whether they are illustrative (a few hundred rows, whatever their number)."""
    state = Case(
        When(start_date__gt=today, then=Value("upcoming")),
        When(end_date__lt=today, then=Value("ended")),
        default=Value("active"),
    )
    rows = list(
        Partnership.objects.filter(place__in=places.order_by().values("pk"))
        .order_by()
        .annotate(
            year=ExtractYear("start_date"),
            state=state,
            demo=Case(When(provenance=DEMO_PROVENANCE, then=Value(1)), default=Value(0)),
        )
        .values_list("kind", "partner__level", "year", "state", "demo")
        .annotate(n=Count("pk"))
    )
    total = sum(row[5] for row in rows)
    illustrative = sum(row[5] for row in rows if row[4])
    note = ""
    if illustrative:
        note = _(
            "%(illustrative)s de ces %(total)s partenariats sont des données d'illustration "
            "(fictives), en attendant ceux que les partenaires transmettront."
        ) % {"illustrative": illustrative, "total": total}

    by_kind, levels, years = defaultdict(Counter), Counter(), Counter()
    for kind, level, year, when, _demo, count in rows:
        by_kind[kind][when] += count
        levels[level] += count
        years[year] += count
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


def _freshness(sources: Counter, total: int, fresh: int) -> Table:
    """Where the records come from (their source, as each record states it: the census, the
    public's contributions, an import; none when staff typed it), and how many were verified
    in the last twelve months."""
    rows = [
        {
            "name": name or _("Saisis par l'équipe (sans source)"),
            "places": count,
            "share": share(count, total),
        }
        for name, count in sorted(sources.items(), key=lambda item: (-item[1], item[0]))
    ]
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


def coverage_summary(geography: Geography | None = None) -> dict:
    """For the home page: the share of the population of France living in an intercommunalité
    that holds at least one place, and in a commune that does."""
    return (geography or Geography.read()).coverage(None)
