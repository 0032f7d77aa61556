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
from functools import cached_property

from django.db.models import Case, Count, F, Q, Value, When
from django.db.models.functions import ExtractYear
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

    def department_ids(self) -> set[int] | None:
        """The ids of the scope's départements (None: France, every one and none)."""
        if self.department:
            return {self.department.pk}
        return set(self.region.departments.values_list("pk", flat=True)) if self.region else None


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
    population: int
    tables: list[Table]
    coverage: dict

    def table(self, slug: str) -> Table | None:
        return next((table for table in self.tables if table.slug == slug), None)


def compute(scope: Scope, today: datetime.date | None = None) -> Statistics:
    """Every figure of the scope, in five to seven queries whatever the number of places (none
    reads a row per place into Python)."""
    today = today or timezone.localdate()
    places = scope.places()
    counts = _counts(places, today)
    total, closed = counts["total"], counts["lifecycle"][Lifecycle.FERME]
    geography = Geography.read()
    ids = scope.department_ids()
    communes = geography.communes_in(ids)
    grouped = geography.places_in(ids)
    population = sum(row[4] for row in communes)
    tables = [
        *_territories(scope, grouped, communes, geography),
        *_coverage_tables(scope, communes, geography),
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
        *_partnerships(places, today),
        _freshness(_group(grouped, 2), total, counts["fresh"]),
    ]
    coverage = geography.coverage(communes, _group(grouped, 1))
    return Statistics(scope, total, closed, population, tables, coverage)


def _territories(scope: Scope, grouped, communes, geography: "Geography") -> list[Table]:
    """Places and places per 100,000 inhabitants, by région and département (France), by
    département (a région), by intercommunalité (a département)."""
    if scope.department:
        return [_epcis(communes, geography.places)]
    by_department = _group(grouped, 0)
    people = Counter()
    for _insee, department_id, _siren, _name, population in communes:
        people[department_id] += population
    tables = []
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


# The commune's INSEE code of a place (an arrondissement's → its commune's), as SQL
COMMUNE_CODE = Case(
    *[
        When(insee_code__startswith=prefix, then=Value(commune))
        for prefix, commune in ARRONDISSEMENTS
    ],
    default=F("insee_code"),
)


def _group(rows, column: int) -> Counter:
    """Counts of (département id, commune code, source, count) rows by one of their columns."""
    counts = Counter()
    for row in rows:
        counts[row[column]] += row[3]
    return counts


def _epcis(communes, by_commune: Counter) -> Table:
    """A département's intercommunalités: the places of their communes in it, their people."""
    epcis = defaultdict(lambda: {"places": 0, "population": 0, "communes": 0})
    for insee, _department, siren, name, population in communes:
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


@dataclass
class Geography:
    """Every commune (``COMMUNE_COLUMNS``) and the published places counted by département,
    commune code ("" without one) and source: two queries, joined and narrowed to a scope here
    rather than by sending thousands of commune codes back to the database."""

    communes: list[tuple]
    published: list[tuple]  # (département id, commune code, source, places)

    @classmethod
    def read(cls) -> "Geography":
        published = (
            Place.objects.published()
            .order_by()
            .annotate(code=COMMUNE_CODE)
            .values_list("department_id", "code", "source_name")
            .annotate(n=Count("pk"))
        )
        return cls(list(Commune.objects.order_by().values_list(*COMMUNE_COLUMNS)), list(published))

    def communes_in(self, ids: set[int] | None) -> list[tuple]:
        return self.communes if ids is None else [row for row in self.communes if row[1] in ids]

    def places_in(self, ids: set[int] | None) -> list[tuple]:
        return self.published if ids is None else [row for row in self.published if row[0] in ids]

    @cached_property
    def places(self) -> Counter:
        """Published places by commune code, every département."""
        return _group(self.published, 1)

    @cached_property
    def epci_of(self) -> dict[str, str]:
        return {insee: siren for insee, _department, siren, _name, _people in self.communes}

    @cached_property
    def covered(self) -> set[str]:
        """The intercommunalités that hold at least one place (wherever their communes lie:
        an intercommunalité may cross a département's border)."""
        return {self.epci_of[code] for code in self.places if self.epci_of.get(code)}

    @cached_property
    def epci_population(self) -> Counter:
        """Each intercommunalité's whole population, wherever its communes lie."""
        totals = Counter()
        for _insee, _department, siren, _name, population in self.communes:
            if siren:
                totals[siren] += population
        return totals

    def coverage(self, communes: list[tuple], codes: Counter) -> dict:
        """Shares of the population of ``communes`` living in a commune, and in an
        intercommunalité, that holds at least one place; how many of the places by commune
        ``codes`` no commune of 2026 holds."""
        population = sum(row[4] for row in communes)
        in_commune = sum(row[4] for row in communes if self.places.get(row[0]))
        in_epci = sum(
            row[4]
            for row in communes
            if self.places.get(row[0]) or (row[2] and row[2] in self.covered)
        )
        return {
            "population": population,
            "commune_share": share(in_commune, population),
            "epci_share": share(in_epci, population),
            "unplaced": sum(count for code, count in codes.items() if code not in self.epci_of),
        }


def _coverage_tables(scope: Scope, communes, geography: Geography) -> list[Table]:
    """The intercommunalités without any place: listed for a région or a département, counted
    by département for France (the page of a département lists them)."""
    epcis = {}
    for _insee, department_id, siren, name, _population in communes:
        if not siren:
            continue
        epci = epcis.setdefault(siren, {"name": name, "departments": set()})
        epci["departments"].add(department_id)
    covered, totals = geography.covered, geography.epci_population
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


def _counts(places, today: datetime.date) -> dict:
    """The scope's places counted by family, management type and stage, with the total and
    those verified in the last twelve months: one pass over the places (an aggregate each)."""
    choices = {"families": Family, "management_type": ManagementType, "lifecycle": Lifecycle}
    since = today - datetime.timedelta(days=FRESH_DAYS)
    aggregates = {
        "total": Count("pk"),
        "fresh": Count("pk", filter=Q(last_verified__gte=since)),
        "management_type:": Count("pk", filter=Q(management_type="")),
    }
    for field_name, vocabulary in choices.items():
        for value in vocabulary.values:
            condition = (
                {"families__contains": [value]} if field_name == "families" else {field_name: value}
            )
            aggregates[f"{field_name}:{value}"] = Count("pk", filter=Q(**condition))
    result = places.order_by().aggregate(**aggregates)
    counts = {field_name: Counter() for field_name in choices}
    for key, count in result.items():
        if ":" in key:
            field_name, value = key.split(":", 1)
            counts[field_name][value] = count
    return {**counts, "total": result["total"], "fresh": result["fresh"]}


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


def coverage_summary() -> dict:
    """For the home page: the share of the population of France living in an intercommunalité
    that holds at least one place, and in a commune that does."""
    geography = Geography.read()
    return geography.coverage(geography.communes, geography.places)
