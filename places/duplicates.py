"""Probable duplicates, and merging two records of one place.

A pair is probable when the names are alike (trigram similarity of the unaccented, lower-case
names) *and* the places lie within ``DISTANCE_M`` metres of each other, or when both give the
same website (a website shared by more than ``SHARED_SITE_MAX`` places is a network's, not a
place's, and proves nothing). Nearby places are found through a grid of cells of about
``DISTANCE_M`` (a hash join, linear in the number of places), never by comparing every pair.

``merge`` keeps one place: the other's spaces, partnerships, activities, photos, proposals,
former addresses and history move to it, its empty fields are filled from the other, the other's
address answers with a 301 to it; one transaction, undone by ``undo_merge``.
"""

import math
import re
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from places.history import PARTS, Source, recording
from places.models import FormerSlug, Merge, NotDuplicate, Partnership, Place

DISTANCE_M = 300
NAME_SIMILARITY = 0.45
SHARED_SITE_MAX = 3
# What does not tell two websites apart (scheme, "www.", trailing slashes): one pattern for
# PostgreSQL's regexp_replace and Python's re.sub.
SITE_NOISE = r"^https?://(www[.])?|/+$"
# Beyond this, a shared name and website are a network's branches more often than a duplicate.
BRANCHES_APART_M = 5_000
# Degrees of latitude per cell (about DISTANCE_M); longitude cells are wider (up to 55° N).
CELL_LAT = DISTANCE_M / 111_000
CELL_LON = CELL_LAT / 0.57

PAIRS_SQL = """
WITH p AS (
    SELECT id, lower(unaccent(name)) AS name_key,
           latitude::float8 AS lat, longitude::float8 AS lon,
           floor(latitude::float8 / %(cell_lat)s)::int AS cy,
           floor(longitude::float8 / %(cell_lon)s)::int AS cx,
           nullif(regexp_replace(lower(website), %(site_noise)s, '', 'g'), '') AS site
      FROM {place}
),
sites AS (
    SELECT site FROM p WHERE site IS NOT NULL GROUP BY site
    HAVING count(*) BETWEEN 2 AND %(shared_site_max)s
),
candidates AS (
    SELECT a.id AS first, b.id AS second
      FROM p a
      CROSS JOIN (VALUES (-1), (0), (1)) AS dy(d)
      CROSS JOIN (VALUES (-1), (0), (1)) AS dx(d)
      JOIN p b ON b.cy = a.cy + dy.d AND b.cx = a.cx + dx.d AND a.id < b.id
     WHERE similarity(a.name_key, b.name_key) >= %(similarity)s
    UNION
    SELECT a.id, b.id
      FROM p a JOIN p b ON a.site = b.site AND a.id < b.id
     WHERE a.site IN (SELECT site FROM sites)
)
SELECT c.first, c.second, similarity(a.name_key, b.name_key),
       CASE WHEN a.lat IS NULL OR b.lat IS NULL THEN NULL ELSE
           2 * 6371000 * asin(sqrt(
               power(sin(radians(b.lat - a.lat) / 2), 2)
               + cos(radians(a.lat)) * cos(radians(b.lat))
                 * power(sin(radians(b.lon - a.lon) / 2), 2)
           )) END,
       coalesce(a.site = b.site, false)
  FROM candidates c JOIN p a ON a.id = c.first JOIN p b ON b.id = c.second
 WHERE NOT EXISTS (
     SELECT 1 FROM {not_duplicate} n WHERE n.first_id = c.first AND n.second_id = c.second
 )
"""


def metres_between(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance (haversine), as PAIRS_SQL computes it."""
    lat1, lon1, lat2, lon2 = map(math.radians, map(float, (lat1, lon1, lat2, lon2)))
    a = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


@dataclass
class Pair:
    first: Place
    second: Place
    name_similarity: float
    metres: float | None
    same_website: bool

    @property
    def score(self) -> int:
        """0–100: name likeness counts most, then nearness, then a shared website."""
        near = 0.0 if self.metres is None else max(0.0, 1 - self.metres / DISTANCE_M)
        score = 0.6 * self.name_similarity + 0.25 * near + 0.15 * self.same_website
        return round(100 * score * (0.5 if self.far_apart else 1))

    @property
    def far_apart(self) -> bool:
        return self.metres is not None and self.metres > BRANCHES_APART_M

    @property
    def reasons(self) -> list[str]:
        reasons = [_("noms semblables à %(percent)d %%") % {"percent": 100 * self.name_similarity}]
        if self.metres is not None and self.metres <= DISTANCE_M:
            reasons.append(_("à %(metres)d m l'un de l'autre") % {"metres": self.metres})
        if self.same_website:
            reasons.append(_("même site web"))
        if self.far_apart:
            reasons.append(
                _("mais à %(km)d km : peut-être deux lieux d'un même réseau")
                % {"km": self.metres / 1000}
            )
        return reasons


def find_pairs(limit: int | None = None) -> list[Pair]:
    """Probable duplicates, most probable first (pairs said distinct are left out)."""
    tables = {"place": Place._meta.db_table, "not_duplicate": NotDuplicate._meta.db_table}
    params = {
        "cell_lat": CELL_LAT,
        "cell_lon": CELL_LON,
        "similarity": NAME_SIMILARITY,
        "shared_site_max": SHARED_SITE_MAX,
        "site_noise": SITE_NOISE,
    }
    with connection.cursor() as cursor:
        cursor.execute(PAIRS_SQL.format(**tables), params)
        rows = [
            row
            for row in cursor.fetchall()
            # nearby and alike, or the same website
            if row[4] or (row[3] is not None and row[3] <= DISTANCE_M)
        ]
    places = Place.objects.select_related("department").in_bulk(
        {pk for row in rows for pk in row[:2]}
    )
    pairs = [
        Pair(places[first], places[second], similarity, metres, same_site)
        for first, second, similarity, metres, same_site in rows
    ]
    pairs.sort(key=lambda pair: (-pair.score, pair.first.name, pair.first.pk))
    return pairs[:limit] if limit else pairs


MATCH_SQL = """
WITH c AS (
    SELECT * FROM unnest(%(keys)s::int[], %(names)s::text[], %(departments)s::bigint[],
                         %(lats)s::float8[], %(lons)s::float8[], %(sites)s::text[])
        AS c(key, name, department, lat, lon, site)
)
SELECT DISTINCT ON (c.key) c.key, p.id
  FROM c JOIN {place} p ON p.department_id = c.department
 WHERE (p.latitude BETWEEN c.lat - %(cell_lat)s AND c.lat + %(cell_lat)s
        AND p.longitude BETWEEN c.lon - %(cell_lon)s AND c.lon + %(cell_lon)s
        AND similarity(lower(unaccent(p.name)), lower(unaccent(c.name))) >= %(similarity)s)
    OR (c.site <> ''
        AND regexp_replace(lower(p.website), %(site_noise)s, '', 'g') = c.site)
 ORDER BY c.key, similarity(lower(unaccent(p.name)), lower(unaccent(c.name))) DESC, p.id
"""


@dataclass
class Candidate:
    """A record from outside (a row of an imported file) looking for its place."""

    name: str
    department_id: int
    latitude: object = None
    longitude: object = None
    website: str = ""


def probable_matches(candidates: dict) -> dict:
    """For each candidate (key → Candidate), the place of the same département it most probably
    describes: a name alike within about DISTANCE_M, or the same website. One query for all
    (an import matches its rows with it when no identifier does)."""
    if not candidates:
        return {}
    keys = list(candidates)
    rows = [candidates[key] for key in keys]

    def number(value):
        return None if value is None else float(value)

    params = {
        "keys": list(range(len(keys))),
        "names": [row.name for row in rows],
        "departments": [row.department_id for row in rows],
        "lats": [number(row.latitude) for row in rows],
        "lons": [number(row.longitude) for row in rows],
        "sites": [re.sub(SITE_NOISE, "", (row.website or "").lower()) for row in rows],
        "cell_lat": CELL_LAT,
        "cell_lon": CELL_LON,
        "similarity": NAME_SIMILARITY,
        "site_noise": SITE_NOISE,
    }
    with connection.cursor() as cursor:
        cursor.execute(MATCH_SQL.format(place=Place._meta.db_table), params)
        found = dict(cursor.fetchall())
    places = Place.objects.in_bulk(set(found.values()))
    return {keys[index]: places[pk] for index, pk in found.items()}


def not_duplicate(first: Place, second: Place, user=None) -> NotDuplicate:
    low, high = sorted([first, second], key=lambda place: place.pk)
    decision, _created = NotDuplicate.objects.get_or_create(
        first=low, second=high, defaults={"decided_by": user}
    )
    return decision


# ---------------------------------------------------------------------------------------------
# Merging
# ---------------------------------------------------------------------------------------------

# Fields filled on the kept place when empty there (never its address, status or source).
NOT_FILLED = {
    "id",
    "slug",
    "status",
    "families",
    "source_name",
    "source_id",
    "source_date",
    "source_licence",
    "source_url",
    "provenance_note",
    "last_verified",
    "verified_by",
    "created_at",
    "updated_at",
}


def fillable_fields():
    return [
        field
        for field in Place._meta.concrete_fields
        if field.editable and field.name not in NOT_FILLED
    ]


def _empty(value) -> bool:
    return value is None or value == "" or value == []


@transaction.atomic
def merge(kept: Place, other: Place, user=None) -> Merge:
    """Merge ``other`` into ``kept`` (see the module's docstring). Returns the Merge, which
    ``undo_merge`` undoes."""
    from contributions.models import Proposal

    if kept.pk == other.pk:
        raise ValueError("a place cannot be merged into itself")
    kept, other = (Place.objects.select_for_update().get(pk=place.pk) for place in (kept, other))
    record = Merge.objects.create(
        kept=kept,
        merged_id=other.pk,
        merged_name=other.name,
        merged_slug=other.slug,
        merged_source_name=other.source_name,
        merged_source_id=other.source_id,
        merged_by=user,
    )
    with recording(Source.MERGE, record.reason, user):
        filled = []
        for field in fillable_fields():
            mine, theirs = getattr(kept, field.attname), getattr(other, field.attname)
            if _empty(mine) and not _empty(theirs):
                setattr(kept, field.attname, theirs)
                filled.append(field.name)
        kept.families = list(dict.fromkeys([*kept.families, *other.families]))
        note = _("Fusionné avec « %(name)s »") % {"name": other.name}
        if other.source_name:
            note += f" ({other.source_name}, {other.source_id})"
        kept.provenance_note = "\n".join(filter(None, [kept.provenance_note, note + "."]))
        kept.save()
        for name in PARTS:
            for part in getattr(other, name).all():
                if isinstance(part, Partnership) and _same_partnership(kept, part):
                    part.delete()  # the kept place holds it already
                    continue
                part.place = kept
                part.save()
        record.moved = {
            "proposals": list(Proposal.objects.filter(place=other).values_list("pk", flat=True)),
            "former_slugs": list(
                FormerSlug.objects.filter(place=other).values_list("pk", flat=True)
            ),
            "merges": list(Merge.objects.filter(kept=other).values_list("pk", flat=True)),
        }
        Proposal.objects.filter(place=other).update(place=kept)
        FormerSlug.objects.filter(place=other).update(place=kept)
        Merge.objects.filter(kept=other).update(kept=kept)
        other.delete()
        FormerSlug.objects.update_or_create(slug=other.slug, defaults={"place": kept})
    record.filled_fields = filled
    record.save(update_fields=["filled_fields", "moved"])
    return record


def _same_partnership(place: Place, partnership: Partnership) -> bool:
    return place.partnerships.filter(
        partner_id=partnership.partner_id,
        kind=partnership.kind,
        start_date=partnership.start_date,
    ).exists()


@transaction.atomic
def undo_merge(record: Merge, user=None) -> Place:
    """Bring the merged place back as it was, with its parts, proposals and addresses; the kept
    place gets back the fields the merge filled. Returns the merged place."""
    from contributions.models import Proposal

    record = Merge.objects.select_for_update().get(pk=record.pk)
    if record.undone_at is not None:
        raise ValueError("this merge was already undone")
    reason = record.reason
    with recording(Source.RESTORE, _("Annulation de la fusion"), user):
        deletion = Place.history.filter(
            id=record.merged_id, history_type="-", history_change_reason=reason
        ).latest("history_date")
        FormerSlug.objects.filter(slug=record.merged_slug, place=record.kept).delete()
        merged = deletion.instance
        merged.save(force_insert=True)
        for name in PARTS:
            model = Place._meta.get_field(name).related_model
            for version in model.history.filter(history_change_reason=reason).order_by(
                "history_date"
            ):
                if version.history_type == "-":  # a partnership the kept place held already
                    version.instance.save(force_insert=True)
                    continue
                part = model.objects.filter(pk=version.id, place=record.kept).first()
                if part is not None:
                    part.place = merged
                    part.save()
        moved = record.moved
        Proposal.objects.filter(pk__in=moved.get("proposals", [])).update(place=merged)
        FormerSlug.objects.filter(pk__in=moved.get("former_slugs", [])).update(place=merged)
        Merge.objects.filter(pk__in=moved.get("merges", [])).update(kept=merged)
        merge_version = Place.history.filter(
            id=record.kept_id, history_change_reason=reason
        ).earliest("history_date")
        before = merge_version.prev_record
        kept = Place.objects.get(pk=record.kept_id)
        if before is not None:
            for name in [*record.filled_fields, "families", "provenance_note"]:
                field = Place._meta.get_field(name)
                setattr(kept, field.attname, getattr(before, field.attname))
            kept.save()
    record.undone_at = timezone.now()
    record.save(update_fields=["undone_at"])
    return merged
