"""The staff admin for each group: what Éditeurs and Modérateurs may and may not do, inline
editing with a photo upload, and query counts that do not grow with rows or inlines."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from places.models import Partner, Partnership, Place, PublicationStatus
from tests.factories import (
    ActivityFactory,
    PartnerFactory,
    PartnershipFactory,
    PlaceFactory,
    SpaceFactory,
    place_in,
)
from tests.test_photos import image_bytes

pytestmark = pytest.mark.django_db

INLINES = ["spaces", "partnerships", "activities", "photos"]


def change_url(place):
    return reverse("admin:places_place_change", args=[place.pk])


def place_form_data(place=None, rows=None, **fields):
    """POST data for the place change form: the place's fields and each inline's formset."""
    data = {
        "name": place.name if place else "Nouveau lieu",
        "slug": place.slug if place else "",
        "summary": "",
        "description": "",
        "management_type": "",
        "lifecycle": "",
        "street": "",
        "postcode": place.postcode if place else "14000",
        "commune": place.commune if place else "Caen",
        "insee_code": place.insee_code if place else "",
        "department": place.department_id if place else "",
        "latitude": "",
        "longitude": "",
        "website": "",
        "email": "",
        "phone": "",
        "source_name": "",
        "source_id": "",
        "provenance_note": "",
        "open_to_public": "unknown",
    }
    if place is not None:
        data["status"] = place.status
    data.update(fields)
    rows = rows or {}
    for prefix in INLINES:
        initial = list(getattr(place, prefix).all()) if place else []
        new = rows.get(prefix, [])
        data[f"{prefix}-TOTAL_FORMS"] = len(initial) + len(new)
        data[f"{prefix}-INITIAL_FORMS"] = len(initial)
        data[f"{prefix}-MIN_NUM_FORMS"] = 0
        data[f"{prefix}-MAX_NUM_FORMS"] = 1000
        for i, obj in enumerate(initial):
            data[f"{prefix}-{i}-id"] = obj.pk
            data[f"{prefix}-{i}-place"] = place.pk
            for key, value in inline_values(obj).items():
                data[f"{prefix}-{i}-{key}"] = value
        for j, row in enumerate(new, start=len(initial)):
            for key, value in row.items():
                data[f"{prefix}-{j}-{key}"] = value
    return data


EDITABLE = [
    "summary",
    "description",
    "management_type",
    "lifecycle",
    "street",
    "latitude",
    "longitude",
    "land_area",
    "built_area",
    "former_use",
    "access_notes",
    "website",
    "email",
    "phone",
    "source_name",
    "source_id",
    "source_date",
    "source_licence",
    "source_url",
    "provenance_note",
]


def edit_form_data(place, **changes) -> dict:
    """POST data of a place's change form as the admin shows it, with ``changes``."""
    values = {name: getattr(place, name) for name in EDITABLE}
    values = {name: "" if value is None else value for name, value in values.items()}
    values["families"] = place.families
    values["open_to_public"] = {True: "true", False: "false"}.get(place.open_to_public, "unknown")
    return place_form_data(place, **{**values, **changes})


def inline_values(obj) -> dict:
    """An existing inline row's values as its form posts them (files and empty values left
    out, a checked box as "on")."""
    values = {}
    for key, value in model_to_dict(obj, exclude=["id", "place"]).items():
        if value is None or value is False or isinstance(value, FieldFile):
            continue
        values[key] = "on" if value is True else value
    return values


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(reverse("admin:places_place_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_editor_adds_a_place_as_draft_with_its_parts(editor, settings):
    partner = PartnerFactory(name="France Travail")
    data = place_form_data(
        department="14",
        rows={
            "spaces": [{"name": "Atelier bois", "kind": "atelier", "surface": "120"}],
            "partnerships": [
                {
                    "partner": partner.pk,
                    "kind": "insertion",
                    "start_date": "2024-01-15",
                    "provenance": "Convention 2024",
                }
            ],
            "activities": [{"title": "Repair café", "kind": "atelier", "is_free": "on"}],
            "photos": [
                {
                    "image": SimpleUploadedFile("halle.jpg", image_bytes(exif_gps=True)),
                    "alt_text": "La halle vue du ciel",
                    "credit": "©François Monnier – Septième Ciel",
                    "order": "0",
                }
            ],
        },
        status="published",  # ignored: an editor cannot publish
    )
    from places.models import Department

    data["department"] = Department.objects.get(code="14").pk
    response = editor.post(reverse("admin:places_place_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    place = Place.objects.get(name="Nouveau lieu")
    assert place.status == PublicationStatus.DRAFT
    assert place.slug == "nouveau-lieu"
    assert place.spaces.get().surface == 120
    assert place.partnerships.get().partner == partner
    assert place.activities.get().title == "Repair café"
    photo = place.photos.get()
    assert photo.card and photo.large


def test_editor_cannot_publish_or_delete(editor):
    place = PlaceFactory(status=PublicationStatus.DRAFT)
    changelist = editor.get(reverse("admin:places_place_changelist"))
    action_form = changelist.context["action_form"]  # None when no action is allowed
    actions = [name for name, _ in action_form.fields["action"].choices] if action_form else []
    assert "publish" not in actions and "archive" not in actions
    editor.post(
        reverse("admin:places_place_changelist"),
        {"action": "publish", "_selected_action": [place.pk]},
    )
    place.refresh_from_db()
    assert place.status == PublicationStatus.DRAFT
    assert editor.get(reverse("admin:places_place_delete", args=[place.pk])).status_code == 403
    page = editor.get(change_url(place))
    assert "status" not in page.context["adminform"].form.fields
    # Changing a place keeps its status, even when the POST says otherwise.
    response = editor.post(change_url(place), place_form_data(place, status="published"))
    assert response.status_code == 302
    place.refresh_from_db()
    assert place.status == PublicationStatus.DRAFT


def test_editor_cannot_delete_inline_rows(editor):
    space = SpaceFactory()
    data = place_form_data(space.place)
    data["spaces-0-DELETE"] = "on"
    editor.post(change_url(space.place), data)
    assert space.place.spaces.count() == 1


def test_moderator_publishes_archives_and_deletes(moderator):
    places = PlaceFactory.create_batch(3, status=PublicationStatus.DRAFT)
    url = reverse("admin:places_place_changelist")
    moderator.post(url, {"action": "publish", "_selected_action": [p.pk for p in places[:2]]})
    assert Place.objects.filter(status=PublicationStatus.PUBLISHED).count() == 2
    moderator.post(url, {"action": "archive", "_selected_action": [places[0].pk]})
    moderator.post(url, {"action": "unpublish", "_selected_action": [places[1].pk]})
    statuses = dict(Place.objects.values_list("pk", "status"))
    assert statuses[places[0].pk] == "archived"
    assert statuses[places[1].pk] == "draft"
    response = moderator.post(
        reverse("admin:places_place_delete", args=[places[2].pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Place.objects.filter(pk=places[2].pk).exists()


def test_bad_photo_upload_shows_an_error_and_stores_nothing(editor):
    place = PlaceFactory()
    data = place_form_data(
        place,
        name="Nom changé",
        rows={
            "photos": [
                {
                    "image": SimpleUploadedFile("faux.jpg", b"<html>pas une image</html>"),
                    "alt_text": "Faux",
                    "order": "0",
                }
            ]
        },
    )
    response = editor.post(change_url(place), data)
    assert response.status_code == 200
    assert response.context["errors"]
    place.refresh_from_db()
    assert place.name != "Nom changé"
    assert place.photos.count() == 0


def test_changelist_filters_and_search(moderator):
    caen = PlaceFactory(name="Atelier de Caen", families=["fablab"])
    PartnershipFactory(place=caen, kind="tig", partner=PartnerFactory(level="justice"))
    place_in(
        "Lyon",
        name="Cowork Lyon",
    )
    url = reverse("admin:places_place_changelist")

    def names(**params):
        response = moderator.get(url, params)
        assert response.status_code == 200
        return sorted(p.name for p in response.context["cl"].result_list)

    assert names(region="normandie") == ["Atelier de Caen"]
    assert names(famille="fablab") == ["Atelier de Caen"]
    assert names(partenariat="tig") == ["Atelier de Caen"]
    assert names(niveau="justice") == ["Atelier de Caen"]
    assert names(q="69001") == ["Cowork Lyon"]
    assert names(q="lyon") == ["Cowork Lyon"]


def test_changelist_search_uses_the_directorys_index(moderator, django_assert_num_queries):
    """The admin searches like the directory: full text over name, territory, partners…, typos
    corrected against the dictionary, drafts included; a number matches postcodes."""
    place_in("Montpellier", name="Labo Occitan", families=["fablab"])
    draft = PlaceFactory(name="Quincaillerie Zébulon", status="draft")
    partner = PartnerFactory(name="Mission locale du Bessin")
    PartnershipFactory(place=PlaceFactory(name="Atelier de Bayeux"), partner=partner)
    url = reverse("admin:places_place_changelist")

    def names(q):
        response = moderator.get(url, {"q": q})
        assert response.status_code == 200
        return sorted(p.name for p in response.context["cl"].result_list)

    assert names("montpelier") == ["Labo Occitan"]  # corrected to "montpellier"
    assert names("zebulon") == [draft.name]  # a draft's own word, accents ignored
    assert names("mission locale") == ["Atelier de Bayeux"]  # a partner's name
    assert names("!(&:*") == sorted(Place.objects.values_list("name", flat=True))
    # user (the session comes from the cache), how the words match, the count of results and of
    # all places, the rows, the filters' options: the same whatever the number of places
    for size in (2, 20):
        PlaceFactory.create_batch(size, name="Atelier partagé")
        with django_assert_num_queries(11):
            moderator.get(url, {"q": "atelier"})


def test_partner_page_lists_the_places_it_works_with(moderator):
    partner = PartnerFactory(name="SPIP du Calvados")
    for name in ["Le Wip", "La Fabrique"]:
        PartnershipFactory(partner=partner, place=PlaceFactory(name=name))
    response = moderator.get(reverse("admin:places_partner_change", args=[partner.pk]))
    assert response.status_code == 200
    assert "Le Wip" in response.text and "La Fabrique" in response.text
    listing = moderator.get(reverse("admin:places_partner_changelist"))
    assert listing.status_code == 200


@pytest.mark.parametrize("name", ["partnership", "activity", "partner", "department", "region"])
def test_other_changelists_render(moderator, name):
    PartnershipFactory()
    ActivityFactory()
    assert moderator.get(reverse(f"admin:places_{name}_changelist")).status_code == 200


def test_partnership_changelist_active_filter(moderator):
    today = datetime.date.today()
    PartnershipFactory(start_date=today - datetime.timedelta(days=3), description="actif")
    PartnershipFactory(
        start_date=today - datetime.timedelta(days=30),
        end_date=today - datetime.timedelta(days=2),
        description="fini",
    )
    url = reverse("admin:places_partnership_changelist")
    active = moderator.get(url, {"en_cours": "1"}).context["cl"].result_list
    assert [p.description for p in active] == ["actif"]


# --- Query counts -------------------------------------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def fill(place, n):
    partners = PartnerFactory.create_batch(n)
    for i in range(n):
        SpaceFactory(place=place)
        partnership = PartnershipFactory(
            place=place, partner=partners[i], start_date=datetime.date(2020, 1, 1 + i)
        )
        ActivityFactory(place=place, partnership=partnership)


def test_change_page_queries_do_not_grow_with_inlines(moderator):
    small, large = PlaceFactory(), PlaceFactory()
    fill(small, 1)
    fill(large, 12)
    assert count_queries(moderator, change_url(large)) == count_queries(
        moderator, change_url(small)
    )


def test_changelist_queries_do_not_grow_with_rows(moderator):
    PlaceFactory.create_batch(3)
    url = reverse("admin:places_place_changelist")
    few = count_queries(moderator, url)
    PlaceFactory.create_batch(60)
    assert count_queries(moderator, url) == few


def test_admin_on_the_real_data_stays_bounded(moderator, census, django_assert_max_num_queries):
    wip = Place.objects.get(source_id="1500")
    # Session, user, the page's rows and counts, one per filter's options: no per-row query.
    with django_assert_max_num_queries(12):
        moderator.get(reverse("admin:places_place_changelist"))
    # The place, each inline's rows once, partner labels once, and the department widget.
    with django_assert_max_num_queries(16):
        moderator.get(change_url(wip))
    assert Partnership.objects.filter(place=wip).count() == 6
    assert Partner.objects.count() >= 11


@pytest.mark.parametrize("name", ["partnership", "activity", "partner"])
def test_other_changelists_queries_do_not_grow_with_rows(moderator, name):
    url = reverse(f"admin:places_{name}_changelist")
    ActivityFactory(partnership=PartnershipFactory())
    few = count_queries(moderator, url)
    for _ in range(25):
        ActivityFactory(partnership=PartnershipFactory())
    assert count_queries(moderator, url) == few
