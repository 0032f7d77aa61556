import io
from pathlib import Path

import pytest
from django.core.management import call_command

CENSUS = Path(__file__).resolve().parent.parent / "data" / "cget-tiers-lieux-2019.csv"


@pytest.fixture(autouse=True)
def _test_storage(settings, tmp_path):
    """Plain static storage (no collectstatic manifest in tests) and a throw-away media root."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    settings.WHITENOISE_USE_FINDERS = True


@pytest.fixture
def census_path():
    return CENSUS


@pytest.fixture
def census(db):
    """The real census imported, Le Wip enriched, the demo data loaded: what `make run` serves."""
    call_command("import_cget", str(CENSUS), stdout=io.StringIO())
    call_command("load_reference_data", stdout=io.StringIO())
