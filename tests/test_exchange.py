"""Staff imports from the admin (issue 11): the médiation numérique standard and the directory's
own CSV, previewed row by row, applied only when confirmed, all or nothing."""

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from places import exchange
from places.history import Source
from places.models import (
    Commune,
    Department,
    ImportFile,
    Place,
    PublicationStatus,
    condition_holds,
)
from tests.conftest import text_of
from tests.factories import UserFactory, place_in
from tests.test_admin import change_url, edit_form_data

pytestmark = pytest.mark.django_db

EXAMPLE = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "schemas"
    / "mediation-numerique"
    / "exemple-valide.csv"
)


def mediation_file(*changes: dict, example_first: bool = True) -> bytes:
    """The schema's valid example, then one row per ``changes`` (the example's row changed)."""
    with EXAMPLE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        (example,), fields = list(reader), reader.fieldnames
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    if example_first:
        writer.writerow(example)
    for number, change in enumerate(changes, start=2):
        writer.writerow({**example, "id": f"structure-{number}", **change})
    return out.getvalue().encode()


BAD_ROWS = (
    {"nom": "Médiathèque", "typologie": "BIB"},  # not a tiers-lieu
    {"nom": ""},
    {"nom": "Nulle part", "code_insee": "", "code_postal": "ABCDE"},
    {"nom": "Mauvaise latitude", "latitude": "nord"},
    {"nom": "La Fabrique de Reims", "site_web": "pas un site", "latitude": "", "longitude": ""},
)


def upload(client, data: bytes, name="lieux.csv", **fields):
    file = io.BytesIO(data)
    file.name = name
    return client.post(
        reverse("admin:places_place_import"),
        {"file": file, "licence": "Licence Ouverte 2.0 (Etalab)", **fields},
    )


def test_a_mediation_file_is_previewed_row_by_row_and_imported_only_when_confirmed(moderator):
    Commune.objects.create(
        insee="51454",
        name="Reims",
        search_name="reims",
        department_code="51",
        department=Department.objects.get(code="51"),
        postcodes=["51100"],
        latitude=49.2628,
        longitude=4.0347,
    )
    response = upload(moderator, mediation_file(*BAD_ROWS))
    assert response.status_code == 302
    preview = moderator.get(response["Location"])
    rows = {row.line: row for row in preview.context["plan"].rows}
    assert [rows[line].fate for line in sorted(rows)] == [
        "new",
        "refused",
        "refused",
        "refused",
        "refused",
        "refused",
    ]
    text = text_of(preview)
    assert "pas un tiers-lieu : la typologie ne contient pas TIERS_LIEUX" in text
    assert "nom du lieu vide" in text
    assert "aucun département déterminable" in text
    assert "« nord » n'est pas un nombre" in text
    assert "Saisissez une URL valide" in text or "Enter a valid URL" in text
    # the example's coordinates lie in Provence, its commune in the Marne: dropped, and said
    assert "coordonnées écartées : à" in text and "de Reims" in text
    assert "horaires" in preview.context["plan"].ignored_columns
    assert Place.objects.count() == 0  # nothing written yet

    confirmed = moderator.post(response["Location"])
    assert confirmed.status_code == 302
    place = Place.objects.get()
    assert (place.name, place.department.code, place.status) == (
        "Anonymal",
        "51",
        PublicationStatus.DRAFT,
    )
    assert (place.source_name, place.source_id) == ("Médiation numérique : Hubik", "structure-1")
    assert place.source_licence == "Licence Ouverte 2.0 (Etalab)"
    assert place.website == "https://www.laquincaillerie.tl/"
    assert place.email == "contact@laquincaillerie.tl"
    assert place.latitude is None
    version = place.history.get()
    assert version.history_source == Source.IMPORT and version.history_user == moderator.user
    assert ImportFile.objects.get().outcome == {
        "new": 1,
        "changed": 0,
        "unchanged": 0,
        "refused": 5,
    }

    # the same file again: the place is matched by its source identifier, nothing changes
    again = moderator.get(upload(moderator, mediation_file())["Location"])
    assert again.context["plan"].counts == {"new": 0, "changed": 0, "unchanged": 1, "refused": 0}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("nom,commune\nA,B\n".encode("latin-1"), "Format non reconnu"),
        ("nom;ville\nCafé;Caen\n".encode("latin-1"), "n'est pas encodé en UTF-8"),
        (b"", "Le fichier soumis est vide"),
        (b"id,pivot,nom,commune,code_postal,adresse,typologie\n", "aucune ligne"),
        (b"\x00\x01", "octets nuls"),
    ],
)
def test_a_bad_file_is_refused_and_changes_nothing(moderator, content, message):
    response = upload(moderator, content)
    assert response.status_code == 200
    assert message in text_of(response)
    assert ImportFile.objects.count() == 0 and Place.objects.count() == 0


def test_a_failure_while_writing_imports_nothing(moderator, monkeypatch):
    location = upload(moderator, mediation_file({"nom": "Deuxième lieu"}))["Location"]

    def broken(ids, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exchange, "refresh_search", broken)
    with pytest.raises(RuntimeError):
        moderator.post(location)
    assert Place.objects.count() == 0
    assert ImportFile.objects.get().applied_at is None


def test_a_row_is_matched_to_a_census_place_by_the_duplicate_detector(census, moderator):
    pasteur = Place.objects.get(slug="hotel-pasteur")
    data = mediation_file(
        {
            "nom": "Hôtel Pasteur",
            "commune": "Rennes",
            "code_insee": "35238",
            "code_postal": "35000",
            "latitude": str(pasteur.latitude),
            "longitude": str(pasteur.longitude),
            "site_web": "",
        },
        example_first=False,
    )
    preview = moderator.get(upload(moderator, data)["Location"])
    (row,) = preview.context["plan"].rows
    assert row.fate == "changed" and row.place.pk == pasteur.pk
    changed = {label for label, _old, _new in row.changes}
    assert "résumé" in changed  # empty in the census: filled
    assert "nom" not in changed  # the census's name is the import's own: replaced only if changed


def test_the_directorys_own_csv_round_trips_and_respects_a_persons_change(census, moderator):
    wip = Place.objects.get(slug="le-wip")
    other = Place.objects.get(slug="hotel-pasteur")
    exported = moderator.post(
        reverse("admin:places_place_changelist"),
        {"action": "export_csv", "_selected_action": [wip.pk, other.pk]},
    )
    assert exported["Content-Disposition"] == 'attachment; filename="lieux-annuaire.csv"'
    text = exported.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["slug"] for row in rows} == {"le-wip", "hotel-pasteur"}
    assert next(r for r in rows if r["slug"] == "le-wip")["url"].endswith("/lieux/le-wip/")

    # unchanged, the export imports as "unchanged" everywhere
    preview = moderator.get(upload(moderator, text.encode(), name="export.csv")["Location"])
    assert preview.context["plan"].counts["unchanged"] == 2

    # staff change Le Wip's website; a spreadsheet edit offers another website and a summary
    moderator.post(
        change_url(wip),
        edit_form_data(wip, website="https://www.le-wip.com"),
    )
    for row in rows:
        if row["slug"] == "hotel-pasteur":
            row["resume"] = "Université foraine : un bâtiment ouvert aux projets."
        else:
            row["site_web"] = "https://autre.example.org"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    location = upload(moderator, out.getvalue().encode(), name="modifie.csv")["Location"]
    preview = moderator.get(location)
    by_slug = {row.place.slug: row for row in preview.context["plan"].rows}
    assert by_slug["hotel-pasteur"].fate == "changed"
    assert by_slug["le-wip"].fate == "unchanged"
    assert by_slug["le-wip"].kept == [
        ("site web", "https://www.le-wip.com", "https://autre.example.org")
    ]
    assert "site web garde « https://www.le-wip.com »" in text_of(preview)
    moderator.post(location)
    wip.refresh_from_db()
    other.refresh_from_db()
    assert wip.website == "https://www.le-wip.com"
    assert other.summary == "Université foraine : un bâtiment ouvert aux projets."


def test_editors_import_as_drafts_and_anonymous_users_cannot(client):
    assert client.get(reverse("admin:places_place_import")).status_code == 302
    editor = UserFactory(username="editeur", group="Éditeurs")
    client.force_login(editor)
    form = client.get(reverse("admin:places_place_import"))
    assert "publish" not in form.context["form"].fields
    place_in("Caen", name="Existant")
    location = upload(client, mediation_file(), publish="on")["Location"]
    client.post(location)
    assert Place.objects.get(source_id="structure-1").status == PublicationStatus.DRAFT


def test_planning_a_file_costs_the_same_queries_for_10_rows_or_60(django_assert_num_queries):
    """Rows matched by their slug cost no query of their own: the départements, communes and
    places a file names are read once (places.exchange.Lookups)."""
    for count in (10, 60):
        Place.objects.all().delete()
        places = [place_in("Caen", name=f"Lieu {n}") for n in range(count)]
        out = io.StringIO()
        csv.writer(out).writerows(
            exchange.export_rows(Place.objects.filter(pk__in=[p.pk for p in places]), str)
        )
        # départements, communes, places by slug (every slug found: no former slug asked)
        with django_assert_num_queries(3):
            result = exchange.plan(out.getvalue().encode())
        assert result.counts["unchanged"] == count


@pytest.mark.parametrize(
    "values",
    [
        {"latitude": Decimal("91"), "longitude": Decimal("2")},
        {"latitude": Decimal("48.1"), "longitude": None},
        {"latitude": None, "longitude": None},
        {"postcode": "1400"},
        {"postcode": "14000", "insee_code": "14118"},
        {"insee_code": "9999"},
        {"land_area": 0},
        {"opening_date": date(2020, 1, 1), "closing_date": date(2019, 1, 1)},
        {"opening_date": None, "closing_date": date(2019, 1, 1)},
    ],
)
def test_check_constraints_evaluated_in_python_agree_with_the_database(values):
    place = Place(**{**{"name": "Essai", "department_id": 1}, **values})
    row = {f.name: getattr(place, f.attname) for f in Place._meta.concrete_fields}
    for constraint in Place._meta.constraints:
        if not isinstance(constraint, models.CheckConstraint):
            continue
        try:
            constraint.validate(Place, place)
            in_database = True
        except ValidationError:
            in_database = False
        assert (condition_holds(constraint.condition, row) is not False) == in_database, (
            constraint.name
        )


def test_a_file_a_moderator_asked_to_publish_stays_draft_when_an_editor_confirms(moderator, client):
    location = upload(moderator, mediation_file(), publish="on")["Location"]
    assert ImportFile.objects.get().publish
    client.force_login(UserFactory(username="editeur", group="Éditeurs"))
    client.post(location)
    assert Place.objects.get().status == PublicationStatus.DRAFT


def test_a_file_over_the_row_limit_is_refused(moderator):
    rows = [{"nom": f"Lieu {n}"} for n in range(exchange.MAX_ROWS)]
    response = upload(moderator, mediation_file(*rows))
    assert response.status_code == 200
    assert "Plus de 1000 lignes : découpez le fichier." in text_of(response)
    assert ImportFile.objects.count() == 0
