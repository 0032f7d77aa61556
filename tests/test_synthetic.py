"""Synthetic places for load tests: marked as such everywhere, valid, searchable, removable."""

import io

import pytest
from django.core.management import CommandError, call_command

from places.models import Activity, Partner, Partnership, Place, Space
from places.synthetic import PARTNER_SLUG_PREFIX, SOURCE_NAME, SYNTHETIC

pytestmark = pytest.mark.django_db


def test_generate_and_delete(client):
    real = Place.objects.create(
        name="Lieu réel",
        commune="Caen",
        department_id=Place._meta.get_field("department").related_model.objects.get(code="14").pk,
        status="published",
    )
    out = io.StringIO()
    call_command("generate_places", count=300, stdout=out)
    assert "300 lieux synthétiques ajoutés" in out.getvalue()
    synthetic = Place.objects.filter(source_name=SOURCE_NAME)
    assert synthetic.count() == 300
    assert not synthetic.filter(provenance_note="").exists()
    assert synthetic.filter(status="published").count() == 300
    assert synthetic.filter(search_vector__isnull=True).count() == 0
    assert synthetic.values("department").distinct().count() > 50  # spread over the territory
    for place in synthetic[:50]:
        place.full_clean()  # postcodes, INSEE codes, coordinates pass the model's checks
    assert Space.objects.filter(place__in=synthetic).exists()
    assert (
        not Partnership.objects.filter(place__in=synthetic).exclude(provenance=SYNTHETIC).exists()
    )
    assert not Activity.objects.filter(place__in=synthetic).exclude(provenance=SYNTHETIC).exists()
    assert Partner.objects.filter(slug__startswith=PARTNER_SLUG_PREFIX, name__contains="fictif")
    # the synthetic places are in the directory, with their parts' words searchable
    assert client.get("/lieux/", {"q": "fictif"}).context["paginator"].count >= 300
    # a second run adds more, after the first ones
    call_command("generate_places", count=10, stdout=io.StringIO())
    assert synthetic.count() == 310
    call_command("generate_places", delete=True, stdout=out)
    assert not Place.objects.filter(source_name=SOURCE_NAME).exists()
    assert not Partner.objects.filter(slug__startswith=PARTNER_SLUG_PREFIX).exists()
    assert Place.objects.filter(pk=real.pk).exists()


def test_generate_needs_a_count():
    with pytest.raises(CommandError, match="--count"):
        call_command("generate_places", stdout=io.StringIO())


def test_make_run_never_loads_synthetic_places():
    makefile = Place._meta.apps.get_app_config("places").path + "/../Makefile"
    with open(makefile, encoding="utf-8") as handle:
        assert "generate_places" not in handle.read().split("## bench")[0]
