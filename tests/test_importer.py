"""The census importer on the real file, and on files it must refuse without changing anything."""

import io

import pytest
from django.core.management import CommandError, call_command

from places.importing import SOURCE_NAME, import_cget
from places.models import Place
from places.reference_data import DEMO_PROVENANCE
from tests.conftest import CENSUS

pytestmark = pytest.mark.django_db


def run_import(path) -> str:
    out = io.StringIO()
    call_command("import_cget", str(path), stdout=out)
    return out.getvalue()


def test_real_file_imports_every_place_once(census_path):
    report = import_cget(census_path.read_bytes())
    assert (report.created, report.updated, report.unchanged) == (1512, 0, 0)
    assert report.skipped == []
    assert Place.objects.count() == 1512
    assert Place.objects.published().count() == 1512
    assert set(Place.objects.values_list("source_name", flat=True)) == {SOURCE_NAME}


def test_second_run_changes_nothing(census_path):
    run_import(census_path)
    before = dict(Place.objects.values_list("source_id", "updated_at"))
    output = run_import(census_path)
    assert "Inchangés : 1512" in output
    assert "Créés : 0" in output and "Mis à jour : 0" in output
    assert dict(Place.objects.values_list("source_id", "updated_at")) == before


def test_a_changed_row_updates_its_place_and_keeps_its_slug(census_path, tmp_path):
    run_import(census_path)
    slug = Place.objects.get(source_id="1").slug
    text = census_path.read_text(encoding="utf-8").replace(
        "1,ADE Coworking,9 Rue du Petit Châtelier", "1,ADE Coworking,11 Rue du Petit Châtelier"
    )
    changed = tmp_path / "changed.csv"
    changed.write_text(text, encoding="utf-8")
    report = import_cget(changed.read_bytes())
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1511)
    place = Place.objects.get(source_id="1")
    assert place.street == "11 Rue du Petit Châtelier"
    assert place.slug == slug


def test_departement_conflicts_are_resolved_and_reported(census_path):
    report = import_cget(census_path.read_bytes())
    by_id = {p.source_id: p for p in Place.objects.select_related("department__region")}
    # Overseas rows the file files in Corse (2A) or Guyane (973): postcode and coordinates win.
    assert by_id["1291"].department.code == "974"
    assert by_id["1211"].department.code == "971"
    assert by_id["1328"].department.code == "972"
    # A boundary commune: the declared address (commune code + postcode) wins a 2–2 tie.
    assert by_id["57"].department.code == "78"
    # Sophia Antipolis: the commune code says Calvados, everything else Alpes-Maritimes.
    assert by_id["1460"].department.code == "06"
    assert by_id["1460"].commune == "Valbonne"
    conflicting = {sid for _, sid, _, _ in report.conflicts}
    assert {"57", "100", "1211", "1291", "1294", "1328", "1409", "1460"} <= conflicting
    assert report.fixes["région vide : déduite du département"] == 7


def test_every_place_sits_in_the_departement_of_its_commune_code(census_path):
    import_cget(census_path.read_bytes())
    for insee_code, dept_code in Place.objects.exclude(insee_code="").values_list(
        "insee_code", "department__code"
    ):
        expected = insee_code[:3] if insee_code.startswith("97") else insee_code[:2]
        assert expected == dept_code, insee_code


def test_links_get_a_scheme_and_non_links_are_dropped(census_path):
    report = import_cget(census_path.read_bytes())
    assert Place.objects.get(source_id="1").website == "https://www.ade-coworking.net"
    websites = list(Place.objects.exclude(website="").values_list("website", flat=True))
    assert all(w.startswith(("http://", "https://")) for w in websites)
    assert not Place.objects.filter(website__icontains="madame").exists()
    assert report.fixes["lien web inutilisable écarté (ce n'est pas une adresse web)"] == 6


def test_typo_maps_to_families(census_path):
    import_cget(census_path.read_bytes())
    assert Place.objects.filter(families__contains=["coworking"]).count() == 1118
    assert Place.objects.filter(families__contains=["fablab"]).count() == 345
    assert Place.objects.filter(families=[]).count() == 49


def test_le_wip_is_enriched_once_in_calvados(census):
    wips = Place.objects.filter(name__icontains="wip")
    assert wips.count() == 1
    wip = wips.get()
    assert wip.source_id == "1500"
    assert (wip.department.code, wip.department.region.name) == ("14", "Normandie")
    assert wip.commune == "Colombelles"
    assert (wip.land_area, wip.built_area, wip.open_to_public) == (20_000, 3_000, True)
    assert "Société Métallurgique de Normandie" in wip.former_use
    assert "Horizons publics" in wip.provenance_note
    assert sorted(wip.spaces.values_list("kind", flat=True)) == sorted(
        ["evenementiel", "restauration", "micro-folie", "creation-artistique", "atelier"]
    )
    # Re-running everything keeps one Le Wip with the same parts.
    call_command("import_cget", str(CENSUS), stdout=io.StringIO())
    call_command("load_reference_data", stdout=io.StringIO())
    assert Place.objects.filter(name__icontains="wip").count() == 1
    assert wip.spaces.count() == 5
    assert wip.partnerships.count() == 6
    assert set(wip.partnerships.values_list("provenance", flat=True)) == {DEMO_PROVENANCE}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"NOM,VILLE\nA,B\n", "Colonnes attendues absentes"),
        (b"\xff\xfe\x00I\x00D", "UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "UTF-8"),
        (b"ID;NOM_TL;ADRESSE\n1;x;y\n", "Colonnes attendues absentes"),
        (b"", "Colonnes attendues absentes"),
    ],
)
def test_malformed_file_is_refused_and_changes_nothing(census_path, tmp_path, content, message):
    run_import(census_path)
    before = list(Place.objects.order_by("pk").values_list("pk", "name", "updated_at"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    with pytest.raises(CommandError, match=message) as error:
        run_import(bad)
    assert "rien n'a été modifié" in str(error.value)
    assert list(Place.objects.order_by("pk").values_list("pk", "name", "updated_at")) == before


def test_a_row_with_too_many_values_refuses_the_whole_file(census_path, tmp_path):
    lines = census_path.read_text(encoding="utf-8").splitlines()
    lines[600] += ",extra"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CommandError, match="Ligne 601"):
        run_import(bad)
    assert Place.objects.count() == 0


def test_bad_rows_are_skipped_with_their_reason(census_path, tmp_path):
    lines = census_path.read_text(encoding="utf-8").splitlines()
    header, first = lines[0], lines[1]
    nameless = first.replace("1,ADE Coworking,", "9001,,", 1)
    duplicate = first
    no_id = first.replace("1,ADE", ",ADE", 1)
    path = tmp_path / "rows.csv"
    path.write_text("\n".join([header, first, nameless, duplicate, no_id]), encoding="utf-8")
    report = import_cget(path.read_bytes())
    assert report.created == 1
    assert [(line, reason.split(" ")[0]) for line, _, reason in report.skipped] == [
        (3, "nom"),
        (4, "identifiant"),
        (5, "identifiant"),
    ]


def test_missing_file_gives_a_clear_message(tmp_path):
    with pytest.raises(CommandError, match="Impossible de lire"):
        run_import(tmp_path / "absent.csv")
