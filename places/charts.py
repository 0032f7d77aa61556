"""Charts drawn on the server as SVG (no chart is made in the browser): the geometry of bar
charts and of a tile-grid cartogram of the départements, for templates/includes/chart_*.html.

The cartogram gives each département one square, placed roughly where the département is: its
population-weighted centre (from the communes the file locates) projected onto a grid, the most
populous départements placed first, each other one on the free square nearest its centre. No
boundary file is needed. The overseas départements sit in a row of their own below.
"""

import math
from dataclasses import dataclass

from django.db.models import F, FloatField, Sum
from django.db.models.functions import Cast
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from places.models import Commune

WIDTH = 720
BAR_ROW = 28
BAR_GAP = 8
CHAR = 7.2  # average width of a character at the chart's font size, for the label column
TILE = 44
TILE_GAP = 4
# Sequential blues, light to dark, each with the text colour that reads on it (≥ 4.5:1)
PALETTE = [("#deebf7", "#1e1e1e"), ("#9ecae1", "#1e1e1e"), ("#6baed6", "#1e1e1e"),
           ("#2171b5", "#ffffff"), ("#08306b", "#ffffff")]  # fmt: skip
EMPTY = ("#ffffff", "#1e1e1e")


def number(value, decimals: int = 0) -> str:
    """A number as the active language writes it (« 1 234,5 », "1,234.5")."""
    if value is None:
        return "–"
    return number_format(value, decimals, use_l10n=True, force_grouping=True)


@dataclass
class Bar:
    label: str
    value: str
    y: float
    width: float
    value_x: float  # where the value is written, right of the bar


def bars(table) -> dict:
    """Horizontal bars, one per row of the table, scaled to the largest value."""
    rows = table.bars()
    longest = max((len(label) for label, _value in rows), default=0)
    label_width = min(max(longest * CHAR + 12, 80), WIDTH * 0.45)
    top = max((value for _label, value in rows), default=0) or 1
    room = WIDTH - label_width - 90
    drawn = [
        Bar(
            label=label,
            value=number(value, table.value_decimals),
            y=index * BAR_ROW,
            width=round(room * value / top, 1),
            value_x=round(label_width + room * value / top + 6, 1),
        )
        for index, (label, value) in enumerate(rows)
    ]
    return {
        "width": WIDTH,
        "height": len(drawn) * BAR_ROW + BAR_GAP,
        "label_width": round(label_width, 1),
        "bars": drawn,
        "bar_height": BAR_ROW - BAR_GAP,
    }


def department_centres() -> dict[str, tuple[float, float]]:
    """Each département's population-weighted centre (latitude, longitude) by its code, from
    its located communes: one aggregate query."""
    weight = Cast(F("population"), FloatField())
    rows = (
        Commune.objects.exclude(latitude=None)
        .exclude(department=None)
        .filter(population__gt=0)
        .values("department__code")
        .annotate(
            people=Sum("population"),
            lat=Sum(Cast(F("latitude"), FloatField()) * weight),
            lon=Sum(Cast(F("longitude"), FloatField()) * weight),
        )
        .order_by()
    )
    return {
        row["department__code"]: (row["lat"] / row["people"], row["lon"] / row["people"])
        for row in rows
    }


def tile_positions(
    centres: dict[str, tuple[float, float]], weights: dict[str, int], columns: int = 14
) -> dict[str, tuple[int, int]]:
    """(column, row) of each mainland code on a grid ``columns`` wide, each on the free square
    nearest its centre, the heaviest (most populous) placed first."""
    if not centres:
        return {}
    scale = math.cos(math.radians(46.5))  # longitude degrees are shorter at France's latitude
    points = {code: (lon * scale, -lat) for code, (lat, lon) in centres.items()}
    xs = [x for x, _y in points.values()]
    ys = [y for _x, y in points.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1
    unit = span / (columns - 1)
    wanted = {code: ((x - min(xs)) / unit, (y - min(ys)) / unit) for code, (x, y) in points.items()}
    taken, placed = set(), {}
    for code in sorted(wanted, key=lambda code: (-weights.get(code, 0), code)):
        x, y = wanted[code]
        best = None
        for radius in range(columns + 2):
            cells = [
                (col, row)
                for col in range(round(x) - radius, round(x) + radius + 1)
                for row in range(round(y) - radius, round(y) + radius + 1)
                if (col, row) not in taken and col >= 0 and row >= 0
            ]
            if cells:
                best = min(cells, key=lambda cell: ((cell[0] - x) ** 2 + (cell[1] - y) ** 2, cell))
                break
        taken.add(best)
        placed[code] = best
    return placed


def tiles(table, centres: dict[str, tuple[float, float]]) -> dict:
    """The cartogram of a table of départements (rows with ``code``, ``name``, ``places``,
    ``per``), coloured by places per 100,000 inhabitants in five classes of equal counts."""
    rows = {row["code"]: row for row in table.rows}
    mainland = {
        code: centres[code] for code in rows if not code.startswith("97") and code in centres
    }
    positions = tile_positions(mainland, {code: rows[code]["population"] for code in mainland})
    last_row = max((row for _col, row in positions.values()), default=0)
    columns = max((col for col, _row in positions.values()), default=0) + 1
    others = sorted(code for code in rows if code not in positions)
    start, width = (last_row + 2 if positions else 0), max(columns, 6)
    for index, code in enumerate(others):  # the overseas départements, in rows below
        positions[code] = (index % width, start + index // width)
    last_row = max(row for _col, row in positions.values())
    values = sorted(row["per"] for row in rows.values() if row["per"])
    # five classes of about as many départements each (fewer when values repeat)
    breaks = []
    if values:
        breaks = sorted({values[len(values) * step // 5] for step in range(1, 5)} - {values[0]})
    legend = []
    if values:
        bounds = [values[0], *breaks, values[-1]]
        legend = [
            {
                "fill": PALETTE[index][0],
                "label": _("de %(low)s à %(high)s")
                % {"low": number(bounds[index], 1), "high": number(bounds[index + 1], 1)},
            }
            for index in range(len(bounds) - 1)
        ]
    legend.insert(0, {"fill": EMPTY[0], "label": _("aucun lieu")})
    drawn = []
    for code, (col, row) in sorted(positions.items()):
        data = rows[code]
        if data["per"]:
            fill, text = PALETTE[sum(1 for limit in breaks if data["per"] >= limit)]
        else:
            fill, text = EMPTY
        drawn.append(
            {
                "code": code,
                "x": col * (TILE + TILE_GAP),
                "y": row * (TILE + TILE_GAP),
                "fill": fill,
                "text": text,
                "title": _("%(name)s (%(code)s) : %(places)s lieux, %(per)s pour 100 000 habitants")
                % {
                    "name": data["name"],
                    "code": code,
                    "places": number(data["places"]),
                    "per": number(data["per"], 1),
                },
            }
        )
    columns = max(col for col, _row in positions.values()) + 1
    return {
        "width": columns * (TILE + TILE_GAP),
        "height": (last_row + 1) * (TILE + TILE_GAP),
        "tile": TILE,
        "half": TILE / 2,
        "tiles": drawn,
        "legend": legend,
    }
