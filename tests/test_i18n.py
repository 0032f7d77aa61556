"""French by default, English complete: the catalogue translates every interface string, and the
compiled file matches it. Needs gettext (installed by `make test`)."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# "locale": makemessages would otherwise also update the catalogue it finds in the project.
IGNORE = [".venv", "var", "tests", "staticfiles", "media", "screenshots", "locale"]


def statistics(po: Path) -> str:
    result = subprocess.run(
        ["msgfmt", "--check-format", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stderr


def test_every_string_of_the_code_is_translated(tmp_path, settings, monkeypatch):
    """makemessages over the code, merged into a copy of the catalogue: nothing untranslated.
    It runs in a copy of the project made of links to the code, so that the catalogue it
    updates is the copy, never the project's own."""
    project = tmp_path / "project"
    project.mkdir()
    for source in ["tierslieux", "places", "templates"]:
        (project / source).symlink_to(ROOT / source)
    locale = project / "locale"
    shutil.copytree(ROOT / "locale", locale)
    settings.LOCALE_PATHS = [locale]
    monkeypatch.chdir(project)
    call_command("makemessages", locale=["en"], ignore_patterns=IGNORE, symlinks=True, verbosity=0)
    stats = statistics(locale / "en" / "LC_MESSAGES" / "django.po")
    assert "untranslated" not in stats and "fuzzy" not in stats, stats


def test_the_compiled_catalogue_is_up_to_date(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(PO)], check=True)
    assert compiled.read_bytes() == MO.read_bytes(), "run `make messages` and commit django.mo"


@pytest.mark.django_db
def test_english_pages_are_in_english(client):
    from tests.factories import PlaceFactory

    PlaceFactory(name="Atelier Test", families=["fablab"])
    response = client.get("/en/lieux/", {"famille": "fablab", "region": "atlantide"})
    text = response.text
    for english in [
        "Places",
        "Filter",
        "Kind of place",
        "Clear all",
        "were ignored",
        "Skip to content",
    ]:
        assert english in text, english
    for french in ["Les lieux", "Filtrer", "Tout effacer", "Aller au contenu"]:
        assert french not in text, french
    assert 'lang="en"' in text
    assert 'hreflang="fr" lang="fr"' in text  # the language switcher


def test_english_pages_write_dates_the_british_way_and_mark_what_places_wrote_as_french(
    client, census
):
    """Le Wip's page in English: its census date as the page's British English writes it, the
    illustrative partnerships said in English, its own French text marked lang="fr" so that a
    screen reader pronounces it as French."""
    text = client.get("/en/lieux/le-wip/").text
    assert "13 June 2019" in text and "June 13, 2019" not in text
    assert "Illustrative (fictitious) data, not information about this place" in text
    assert "Donnée d'illustration" not in text
    assert '<p class="lead" lang="fr">' in text
    french = client.get("/lieux/le-wip/").text
    assert "13 juin 2019" in french
    assert '<p class="lead">' in french  # the whole page is French already


def test_one_french_word_for_two_things_is_translated_by_what_it_names():
    """« Familles » titles the kinds of place a place is, and names an audience of an activity:
    two English words, kept apart by a context."""
    from django.utils import translation

    from places.models import Audience

    with translation.override("en"):
        assert Audience.FAMILLES.label == "Families"
        assert translation.gettext("Familles") == "Kinds of place"
