"""Keeping the data right over years (issue 11): history with diffs and revert, deleted places
restored, duplicates found and merged (and the merge undone), freshness, closed places, and
imports that leave a person's correction alone."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from contributions.models import Kind, Proposal
from contributions.services import accept
from places.duplicates import find_pairs, merge, undo_merge
from places.history import Source
from places.importing import import_cget
from places.models import (
    Activity,
    Lifecycle,
    Merge,
    Partnership,
    Photo,
    Place,
    Space,
)
from tests.conftest import CENSUS, assert_counts_match_sql, text_of
from tests.factories import (
    ActivityFactory,
    PartnershipFactory,
    PlaceFactory,
    SpaceFactory,
    UserFactory,
    place_in,
)
from tests.test_admin import change_url, edit_form_data
from tests.test_photos import image_bytes

pytestmark = pytest.mark.django_db


def census_with_row(tmp_path, source_id: str, **changes) -> bytes:
    """The census file with some columns of one row changed."""
    with CENSUS.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows, fields = list(reader), reader.fieldnames
    for row in rows:
        if row["ID"] == source_id:
            row.update(changes)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


# History: who, when, what, from where; diff and revert
# ---------------------------------------------------------------------------------------------


def test_a_moderator_sees_the_diff_of_le_wips_summary_and_reverts_it(census, moderator):
    wip = Place.objects.get(slug="le-wip")
    before = wip.summary
    response = moderator.post(
        change_url(wip),
        edit_form_data(wip, summary="Un résumé changé par erreur."),
    )
    assert response.status_code == 302, response.context["errors"]
    wip.refresh_from_db()
    assert wip.summary == "Un résumé changé par erreur."

    history = moderator.get(reverse("admin:places_place_history", args=[wip.pk]))
    text = text_of(history)
    assert "Résumé" in text and before in text and "Un résumé changé par erreur." in text
    assert "moderatrice" in text and "administration" in text
    latest = wip.history.first()
    assert (latest.history_source, latest.history_user) == (Source.ADMIN, moderator.user)

    # the version before the change, opened and saved again: the revert
    previous = wip.history.all()[1]
    url = reverse("admin:places_place_simple_history", args=[wip.pk, previous.history_id])
    form = moderator.get(url)
    assert form.status_code == 200 and before in text_of(form)
    response = moderator.post(url, edit_form_data(wip, summary=previous.summary))
    assert response.status_code == 302
    wip.refresh_from_db()
    assert wip.summary == before
    assert wip.history.first().summary == before


def test_every_record_of_the_directory_is_versioned_with_its_source():
    place = PlaceFactory()
    space = SpaceFactory(place=place)
    partnership = PartnershipFactory(place=place)
    activity = ActivityFactory(place=place, partnership=partnership)
    for record in (place, space, partnership, activity, partnership.partner):
        assert record.history.count() == 1
        assert record.history.first().history_source == Source.COMMAND
    space.name = "Grande salle"
    space.save()
    delta = space.history.first().diff_against(space.history.last())
    assert [change.field for change in delta.changes] == ["name"]


def test_an_accepted_proposal_writes_a_version_saying_so():
    place = PlaceFactory(summary="")
    staff = UserFactory(username="moderation", group="Modérateurs")
    proposal = Proposal.objects.create(
        kind=Kind.CORRECTION, place=place, data={"summary": "Un café-atelier."}
    )
    accept(proposal, staff)
    version = place.history.first()
    assert version.summary == "Un café-atelier."
    assert version.history_source == Source.PROPOSAL
    assert version.history_user == staff
    assert version.history_change_reason == f"Proposition n° {proposal.pk} acceptée"


def test_publishing_from_the_list_writes_one_version_per_place(moderator):
    places = [PlaceFactory(status="draft") for _ in range(3)]
    moderator.post(
        reverse("admin:places_place_changelist"),
        {"action": "publish", "_selected_action": [p.pk for p in places]},
    )
    for place in places:
        version = place.history.first()
        assert (version.status, version.history_user) == ("published", moderator.user)


# Deleted places
# ---------------------------------------------------------------------------------------------


def test_a_deleted_place_is_restored_with_its_parts(moderator, client):
    place = place_in("Colombelles", name="Atelier du Plateau", status="published")
    SpaceFactory(place=place, name="Atelier bois")
    partnership = PartnershipFactory(place=place)
    ActivityFactory(place=place, partnership=partnership, title="Repair café")
    Photo.objects.create(place=place, image=image_bytes_file(), alt_text="La halle", order=1)
    pk, slug = place.pk, place.slug

    response = moderator.post(reverse("admin:places_place_delete", args=[pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Place.objects.filter(pk=pk).exists()
    assert not Space.objects.filter(place_id=pk).exists()

    listing = moderator.get(reverse("admin:places_place_deleted"))
    assert "Atelier du Plateau" in text_of(listing)
    deletion = Place.history.get(id=pk, history_type="-")
    response = moderator.post(reverse("admin:places_place_restore", args=[deletion.history_id]))
    assert response.status_code == 302

    place = Place.objects.get(pk=pk)
    assert place.slug == slug
    assert list(place.spaces.values_list("name", flat=True)) == ["Atelier bois"]
    assert place.partnerships.get().pk == partnership.pk
    assert Activity.objects.get(place=place).partnership_id == partnership.pk
    assert place.photos.get().alt_text == "La halle"
    assert place.history.first().history_source == Source.RESTORE
    assert client.get(place.get_absolute_url()).status_code == 200
    listing = text_of(moderator.get(reverse("admin:places_place_deleted")))
    assert "Restaurer Atelier du Plateau" not in listing


def image_bytes_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("halle.jpg", image_bytes(), content_type="image/jpeg")


def test_only_moderators_see_and_restore_deleted_places(editor):
    place = PlaceFactory()
    pk = place.pk
    place.delete()
    deletion = Place.history.get(id=pk, history_type="-")
    assert editor.get(reverse("admin:places_place_deleted")).status_code == 403
    response = editor.post(reverse("admin:places_place_restore", args=[deletion.history_id]))
    assert response.status_code == 403
    assert not Place.objects.filter(pk=pk).exists()


# Duplicates
# ---------------------------------------------------------------------------------------------


def test_find_duplicates_lists_hotel_pasteur_among_its_top_pairs(census):
    out = io.StringIO()
    call_command("find_duplicates", "--limit", "10", stdout=out)
    top = out.getvalue().splitlines()[:10]
    assert any("/lieux/lhotel-pasteur/" in line and "/lieux/hotel-pasteur/" in line for line in top)


def test_merging_hotel_pasteur_keeps_both_records_data_and_redirects(census, moderator, client):
    kept = Place.objects.get(slug="hotel-pasteur")
    other = Place.objects.get(slug="lhotel-pasteur")
    assert (kept.website, other.website) == ("", "http://www.hotelpasteur.fr")
    SpaceFactory(place=other, name="Salle commune")
    url = reverse("admin:places_place_merge", args=sorted([kept.pk, other.pk]))
    assert "Hôtel Pasteur" in text_of(moderator.get(url))
    response = moderator.post(url, {"kept": str(kept.pk), "merge": "1"})
    assert response.status_code == 302

    assert not Place.objects.filter(pk=other.pk).exists()
    kept.refresh_from_db()
    assert kept.website == "http://www.hotelpasteur.fr"
    assert list(kept.spaces.values_list("name", flat=True)) == ["Salle commune"]
    assert "L'Hôtel Pasteur" in kept.provenance_note
    for prefix in ("", "/en"):
        response = client.get(f"{prefix}/lieux/lhotel-pasteur/")
        assert response.status_code == 301
        assert response["Location"] == f"{prefix}/lieux/hotel-pasteur/"
    # searching "hotel pasteur" now shows one place
    listing = client.get("/lieux/", {"q": "hotel pasteur"})
    assert listing.context["paginator"].count == 1
    # the merged record's history moved with it
    history = text_of(moderator.get(reverse("admin:places_place_history", args=[kept.pk])))
    assert "Fiche fusionnée ici : L'Hôtel Pasteur" in history
    # the pair is no longer proposed
    assert not any({p.first.pk, p.second.pk} == {kept.pk, other.pk} for p in find_pairs())
    # and an import of the unchanged census does not bring the merged record back
    report = import_cget(CENSUS.read_bytes())
    assert (report.created, report.updated) == (0, 0)
    assert [kept_place for _line, _sid, kept_place in report.merged] == [kept]


def test_a_merge_is_undone(census):
    kept = Place.objects.get(slug="hotel-pasteur")
    other = Place.objects.get(slug="lhotel-pasteur")
    SpaceFactory(place=other, name="Salle commune")
    record = merge(kept, other)
    restored = undo_merge(record)
    assert restored.pk == other.pk and restored.slug == "lhotel-pasteur"
    assert list(restored.spaces.values_list("name", flat=True)) == ["Salle commune"]
    kept.refresh_from_db()
    assert kept.website == "" and "L'Hôtel Pasteur" not in kept.provenance_note
    assert Merge.objects.get().undone_at is not None


def test_not_a_duplicate_silences_the_pair(moderator):
    first = place_in("Rennes", name="Hôtel Pasteur", latitude=48.1146, longitude=-1.6755)
    second = place_in("Rennes", name="L'Hôtel Pasteur", latitude=48.1147, longitude=-1.6754)
    assert [{p.first.pk, p.second.pk} for p in find_pairs()] == [{first.pk, second.pk}]
    listing = text_of(moderator.get(reverse("admin:places_place_duplicates")))
    assert "Hôtel Pasteur" in listing and "à 13 m l'un de l'autre" in listing
    url = reverse("admin:places_place_merge", args=[first.pk, second.pk])
    moderator.post(url, {"not_duplicate": "1"})
    assert find_pairs() == []
    assert Place.objects.count() == 2


def test_branches_of_a_network_far_apart_score_low():
    a = place_in("Caen", name="La Fabrique", website="https://la-fabrique.example.org")
    b = place_in(
        "Rennes",
        name="La Fabrique",
        website="https://la-fabrique.example.org/",
        latitude=48.11,
        longitude=-1.68,
    )
    (pair,) = find_pairs()
    assert {pair.first.pk, pair.second.pk} == {a.pk, b.pk}
    assert pair.far_apart and pair.score < 50


def test_editors_cannot_merge(editor):
    first, second = PlaceFactory(), PlaceFactory()
    url = reverse("admin:places_place_merge", args=[first.pk, second.pk])
    assert editor.post(url, {"kept": str(first.pk)}).status_code == 403
    assert Place.objects.count() == 2


# Imports respect people
# ---------------------------------------------------------------------------------------------


def test_an_import_keeps_le_wips_website_changed_by_staff_and_reports_it(
    census, moderator, tmp_path
):
    wip = Place.objects.get(slug="le-wip")
    response = moderator.post(
        change_url(wip),
        edit_form_data(wip, website="https://www.le-wip.com"),
    )
    assert response.status_code == 302
    data = census_with_row(
        tmp_path, wip.source_id, WEB="https://ancien-site.example.org", ADRESSE="Rue Neuve"
    )
    report = import_cget(data)
    assert report.updated == 1
    wip.refresh_from_db()
    assert wip.website == "https://www.le-wip.com"  # the staff's
    assert wip.street == "Rue Neuve"  # nobody changed it: the file's new value
    kept = {(name, label): (value, new) for _l, _s, name, label, value, new in report.kept}
    assert kept[("Le Wip", "site web")] == (
        "https://www.le-wip.com",
        "https://ancien-site.example.org",
    )
    assert "site web garde « https://www.le-wip.com »" in report.as_text()
    assert wip.history.first().history_source == Source.IMPORT
    # the admin says where each imported field's value comes from
    text = text_of(moderator.get(change_url(wip)))
    assert "modifié depuis par une personne" in text

    versions = Place.history.count()
    again = import_cget(data)
    assert (again.created, again.updated, again.kept) == (0, 0, [])
    assert Place.history.count() == versions


def test_an_unchanged_reimport_changes_and_bumps_nothing(census):
    versions = Place.history.count()
    before = dict(Place.objects.values_list("pk", "updated_at"))
    out = io.StringIO()
    call_command("import_cget", str(CENSUS), stdout=out)
    assert "Mis à jour : 0" in out.getvalue() and "Créés : 0" in out.getvalue()
    assert "laissés tels quels : 0" in out.getvalue()
    assert dict(Place.objects.values_list("pk", "updated_at")) == before
    assert Place.history.count() == versions


# Freshness
# ---------------------------------------------------------------------------------------------


def test_moderators_mark_places_verified_and_the_dashboard_counts_the_rest(moderator):
    old = timezone.localdate() - datetime.timedelta(days=400)
    recent = place_in("Caen", name="Vérifié récemment", last_verified=timezone.localdate())
    stale = place_in("Caen", name="Vérifié il y a longtemps", last_verified=old)
    never = place_in("Rennes", name="Jamais vérifié")

    dashboard = moderator.get(reverse("admin:places_place_freshness"))
    regions = {region.name: region for region in dashboard.context["regions"]}
    normandie, bretagne = regions["Normandie"], regions["Bretagne"]
    assert (normandie.total, normandie.never, normandie.stale) == (2, 0, 1)
    assert (bretagne.total, bretagne.never, bretagne.stale) == (1, 1, 0)
    changelist = reverse("admin:places_place_changelist")
    stale_list = moderator.get(changelist, {"verification": "ancienne"})
    assert [p.pk for p in stale_list.context["cl"].result_list] == [stale.pk]

    moderator.post(
        changelist, {"action": "mark_verified", "_selected_action": [stale.pk, never.pk]}
    )
    for place in (stale, never):
        place.refresh_from_db()
        assert place.last_verified == timezone.localdate()
        assert place.verified_by == moderator.user
        assert place.history.first().last_verified == timezone.localdate()
    recent.refresh_from_db()
    assert recent.verified_by is None


def test_the_change_form_checkbox_records_a_verification(moderator):
    place = place_in("Caen", name="Atelier")
    data = edit_form_data(place, verify_now="on")
    assert moderator.post(change_url(place), data).status_code == 302
    place.refresh_from_db()
    assert (place.last_verified, place.verified_by) == (timezone.localdate(), moderator.user)


def test_editors_cannot_mark_verified(editor):
    place = place_in("Caen", name="Atelier")
    editor.post(change_url(place), edit_form_data(place, verify_now="on"))
    editor.post(
        reverse("admin:places_place_changelist"),
        {"action": "mark_verified", "_selected_action": [place.pk]},
    )
    place.refresh_from_db()
    assert place.last_verified is None


@pytest.mark.parametrize(
    ("language", "never", "verified"),
    [
        (
            "fr",
            "Informations jamais vérifiées par l'équipe",
            "Informations vérifiées le 3 mars 2026",
        ),
        ("en", "Information never verified by the team", "Information verified on"),
    ],
)
def test_place_pages_say_how_fresh_their_information_is(client, language, never, verified):
    place = place_in("Caen", name="Atelier", status="published")
    with translation.override(language):
        url = place.get_absolute_url()
    assert never in text_of(client.get(url))
    Place.objects.filter(pk=place.pk).update(last_verified=datetime.date(2026, 3, 3))
    text = text_of(client.get(url))
    assert verified in text and "2026" in text


# Closed places, ended partnerships
# ---------------------------------------------------------------------------------------------


def test_closed_places_are_left_out_unless_asked_for(client):
    open_place = place_in("Caen", name="Atelier ouvert", status="published")
    closed = place_in(
        "Caen",
        name="Atelier fermé",
        status="published",
        lifecycle=Lifecycle.FERME,
        closing_date=datetime.date(2025, 6, 30),
    )
    listing = client.get("/lieux/")
    assert [p.pk for p in listing.context["places"]] == [open_place.pk]
    flag = next(f for f in listing.context["facets"] if f.name == "fermes")
    assert flag.options[0].count == 1
    assert "Inclure les lieux fermés" in text_of(listing)

    both = client.get("/lieux/", {"fermes": "1"})
    assert {p.pk for p in both.context["places"]} == {open_place.pk, closed.pk}
    assert both.context["paginator"].count == 2
    assert "fermé" in text_of(both)
    by_name = client.get("/lieux/", {"fermes": "1", "tri": "nom"})
    assert by_name.context["paginator"].count == 2
    assert client.get("/lieux/", {"tri": "nom"}).context["paginator"].count == 1

    assert_counts_match_sql("fermes=1", hidden=True)
    assert_counts_match_sql("famille=fablab", hidden=True)

    detail = text_of(client.get(closed.get_absolute_url()))
    assert "Ce lieu a fermé le 30 juin 2025." in detail
    assert closed.pk not in [p.pk for p in client.get("/").context["latest"]]


def test_partnerships_show_ended_and_upcoming_states(client):
    place = place_in("Caen", name="Atelier", status="published")
    today = timezone.localdate()
    PartnershipFactory(
        place=place,
        start_date=today - datetime.timedelta(days=900),
        end_date=today - datetime.timedelta(days=1),
    )
    PartnershipFactory(place=place, start_date=today + datetime.timedelta(days=30))
    text = text_of(client.get(place.get_absolute_url()))
    assert "terminé" in text and "à venir" in text
    assert "en cours" not in text
    assert Partnership.objects.active().count() == 0
