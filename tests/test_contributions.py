"""Data coming in from the people who know: four public forms, a moderation queue, and nothing
public before a moderator decides."""

import html
import re
import time

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from contributions.forms import SIGNING_SALT
from contributions.models import Kind, Proposal, Status
from places.models import Partnership, Place, PublicationStatus
from tests.conftest import figures
from tests.factories import PartnerFactory, PlaceFactory, UserFactory, place_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_minimum_time(settings):
    settings.CONTRIBUTION_MIN_SECONDS = 0  # the tests that time submissions set their own


def started(seconds_ago: float = 30) -> str:
    return signing.dumps(time.time() - seconds_ago, salt=SIGNING_SALT)


def post(client, url, data, ip="203.0.113.20"):
    return client.post(url, {"started": started(), **data}, REMOTE_ADDR=ip)


@pytest.fixture
def wip():
    return PlaceFactory(
        name="Le Wip",
        website="https://www.lewip.fr",
        phone="02 31 00 00 00",
        postcode="14460",
        commune="Colombelles",
    )


@pytest.fixture
def moderator():
    client = Client()
    client.force_login(UserFactory(username="moderatrice", group="Modérateurs"))
    return client


def correction_data(place, **changes):
    data = {
        "name": place.name,
        "summary": place.summary,
        "street": place.street,
        "postcode": place.postcode,
        "commune": place.commune,
        "website": place.website,
        "email": place.email,
        "phone": place.phone,
        "open_to_public": "unknown",
        "access_notes": place.access_notes,
        "description": place.description,
        "message": "Je travaille au Wip : le site a changé en 2025.",
    }
    return {**data, **changes}


# The four forms
# ---------------------------------------------------------------------------------------------


def test_each_place_page_leads_to_the_three_forms(client, wip):
    page = client.get(wip.get_absolute_url()).text
    for name in ("correct", "partnership", "closure"):
        url = reverse(f"contributions:{name}", kwargs={"slug": wip.slug})
        assert f'href="{url}"' in page
        assert client.get(url).status_code == 200
    assert 'href="/contribuer/"' in client.get("/").text  # home and footer


def test_a_correction_is_a_pending_proposal_and_changes_nothing_public(client, wip):
    url = reverse("contributions:correct", kwargs={"slug": wip.slug})
    form = client.get(url).text
    assert 'value="https://www.lewip.fr"' in form  # pre-filled
    response = post(
        client,
        url,
        correction_data(wip, website="https://lewip.fr", contributor_email="a@example.org"),
    )
    assert response.status_code == 302
    assert response["Location"] == "/contribuer/merci/?nature=correction"
    assert "Merci pour votre proposition" in client.get(response["Location"]).text
    proposal = Proposal.objects.get()
    assert proposal.kind == Kind.CORRECTION and proposal.status == Status.PENDING
    assert proposal.data == {"website": "https://lewip.fr"}  # only what changed
    assert proposal.email == "a@example.org"
    wip.refresh_from_db()
    assert wip.website == "https://www.lewip.fr"
    assert "lewip.fr" in client.get(wip.get_absolute_url()).text


def test_a_correction_that_changes_nothing_is_refused(client, wip):
    url = reverse("contributions:correct", kwargs={"slug": wip.slug})
    response = post(client, url, correction_data(wip))
    assert response.status_code == 200
    assert "Vous n'avez rien modifié" in html.unescape(response.text)
    assert not Proposal.objects.exists()


def test_a_correction_gets_the_constraints_messages_on_its_fields(client, wip):
    url = reverse("contributions:correct", kwargs={"slug": wip.slug})
    response = post(client, url, correction_data(wip, postcode="1446"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["postcode"] == ["Un code postal a cinq chiffres (14460), ou laissez vide."]
    assert "contrainte" not in response.text
    assert not Proposal.objects.exists()


def test_declare_a_tig_partnership_for_a_place_in_lyon(client):
    lyon = place_in("Lyon", name="La Cordée Lyon")
    url = reverse("contributions:partnership", kwargs={"slug": lyon.slug})
    response = post(
        client,
        url,
        {
            "new_partner_name": "SPIP du Rhône",
            "new_partner_level": "justice",
            "kind": "tig",
            "start_date": "2025-09-01",
            "description": "Accueil de deux personnes en TIG par an, entretien des espaces.",
            "source": "https://www.justice.fr/exemple-convention-tig",
            "role": "agent-public",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    proposal = Proposal.objects.get()
    assert proposal.kind == Kind.PARTNERSHIP and proposal.place == lyon
    assert proposal.source == "https://www.justice.fr/exemple-convention-tig"
    assert not Partnership.objects.exists()  # nothing public yet


def test_a_partnership_without_source_or_partner_is_refused(client, wip):
    url = reverse("contributions:partnership", kwargs={"slug": wip.slug})
    response = post(
        client, url, {"kind": "tig", "start_date": "2025-09-01", "end_date": "2025-01-01"}
    )
    errors = response.context["form"].errors
    assert "source" in errors
    assert errors["partner"] == ["Choisissez un partenaire dans la liste, ou donnez son nom."]
    assert not Proposal.objects.exists()
    partner = PartnerFactory()
    response = post(
        client,
        url,
        {
            "partner": partner.pk,
            "kind": "tig",
            "start_date": "2025-09-01",
            "end_date": "2025-01-01",
            "source": "Convention 2025",
        },
    )
    assert response.context["form"].errors["end_date"] == [
        "La date de fin ne peut pas précéder la date de début."
    ]


def test_report_a_closure(client, wip):
    url = reverse("contributions:closure", kwargs={"slug": wip.slug})
    response = post(client, url, {"what": "demenage", "message": "Vu sur leur site."})
    assert response.context["form"].errors["new_address"] == ["Indiquez la nouvelle adresse."]
    response = post(
        client, url, {"what": "ferme", "date": "2026-06-30", "message": "Annoncé sur leur site."}
    )
    assert response.status_code == 302
    assert Proposal.objects.get().data == {"what": "ferme", "date": "2026-06-30", "new_address": ""}
    assert Place.objects.get(pk=wip.pk).lifecycle == wip.lifecycle


@pytest.fixture
def colombelles(db):
    from places.models import Commune, Department

    return Commune.objects.create(
        insee="14167",
        name="Colombelles",
        search_name="colombelles",
        department_code="14",
        department=Department.objects.get(code="14"),
        postcodes=["14460"],
        population=7243,
    )


def test_propose_a_place_with_its_commune_found_without_javascript(client, colombelles):
    response = post(
        client,
        "/contribuer/",
        {
            "name": "La Fabrique de Colombelles",
            "commune": "colombelles",  # typed, no autocomplete: found by name
            "families": ["fablab", "ateliers-artisanaux"],
            "website": "fabrique.example.org",
            "description": "Un atelier partagé ouvert le samedi.",
            "source": "J'y suis bénévole.",
            "role": "membre",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    proposal = Proposal.objects.get()
    assert proposal.data["insee_code"] == "14167"
    assert proposal.data["department"] == "14"
    assert proposal.data["commune"] == "Colombelles"
    assert proposal.data["website"] == "https://fabrique.example.org"
    assert not Place.objects.filter(name="La Fabrique de Colombelles").exists()
    unknown = post(client, "/contribuer/", {"name": "X", "commune": "Atlantide", "source": "s"})
    assert unknown.context["form"].errors["commune"] == [
        "Commune introuvable : choisissez-la dans la liste (nom et code postal)."
    ]


# Abuse
# ---------------------------------------------------------------------------------------------


def test_the_honeypot_refuses_and_says_why(client, wip):
    url = reverse("contributions:closure", kwargs={"slug": wip.slug})
    response = post(client, url, {"what": "ferme", "message": "x", "homepage": "http://spam"})
    assert response.status_code == 200
    assert "rempli par un programme" in response.text
    assert not Proposal.objects.exists()


def test_a_too_fast_or_expired_submission_is_refused(client, wip, settings):
    settings.CONTRIBUTION_MIN_SECONDS = 3
    url = reverse("contributions:closure", kwargs={"slug": wip.slug})
    data = {"what": "ferme", "message": "Annoncé."}
    fast = client.post(url, {**data, "started": started(seconds_ago=0.5)})
    assert "Envoi trop rapide" in fast.text
    forged = client.post(url, {**data, "started": "123"})
    assert "a expiré" in forged.text
    old = client.post(url, {**data, "started": started(seconds_ago=2 * 86400)})
    assert "a expiré" in old.text
    assert not Proposal.objects.exists()
    assert client.post(url, {**data, "started": started(seconds_ago=5)}).status_code == 302


def test_the_eleventh_proposal_of_an_hour_gets_a_429(client, wip):
    url = reverse("contributions:closure", kwargs={"slug": wip.slug})
    for number in range(10):
        response = post(client, url, {"what": "ferme", "message": f"Essai {number}"})
        assert response.status_code == 302
    eleventh = post(client, url, {"what": "ferme", "message": "Encore"})
    assert eleventh.status_code == 429
    assert "Trop de demandes" in eleventh.text
    assert Proposal.objects.count() == 10
    # another address is not limited
    assert post(Client(), url, {"what": "ferme", "message": "x"}, ip="192.0.2.4").status_code == 302


def test_a_100000_character_field_is_refused(client, wip):
    url = reverse("contributions:closure", kwargs={"slug": wip.slug})
    response = post(client, url, {"what": "ferme", "message": "a" * 100_000})
    assert response.status_code == 200
    assert response.context["form"].errors["message"] == [
        "Assurez-vous que cette valeur comporte au plus 2000 caractères (actuellement 100000)."
    ]
    assert not Proposal.objects.exists()


def test_html_is_refused_in_every_field(client, wip):
    url = reverse("contributions:correct", kwargs={"slug": wip.slug})
    html = "<b>promo</b>"
    fields = ["name", "summary", "street", "commune", "phone", "access_notes", "description"]
    response = post(client, url, correction_data(wip, message=html, **dict.fromkeys(fields, html)))
    errors = response.context["form"].errors
    for name in [*fields, "message"]:
        assert "les balises HTML (< >) ne sont pas acceptées" in " ".join(errors[name]), name
    assert not Proposal.objects.exists()
    assert '<a href="https://spam.example">' not in response.text  # echoed escaped


# The moderation queue
# ---------------------------------------------------------------------------------------------


def propose(client, place, **changes):
    url = reverse("contributions:correct", kwargs={"slug": place.slug})
    assert post(client, url, correction_data(place, **changes)).status_code == 302
    return Proposal.objects.latest("created_at")


def test_the_queue_shows_the_pending_proposals_and_their_count(client, wip, moderator):
    propose(client, wip, website="https://lewip.fr")
    index = moderator.get("/admin/").text
    assert "1 proposition du public attend une décision" in index
    queue = moderator.get("/admin/contributions/proposal/", follow=True)
    assert "Correction — Le Wip" in queue.text
    assert "attend depuis" in queue.text.lower() or "Attend depuis" in queue.text


def test_a_correction_accepted_field_by_field_changes_only_the_ticked_fields(
    client, wip, moderator
):
    proposal = propose(client, wip, website="https://lewip.fr", phone="02 31 11 11 11")
    page = moderator.get(f"/admin/contributions/proposal/{proposal.pk}/change/").text
    assert "https://www.lewip.fr" in page and "https://lewip.fr" in page  # current, proposed
    assert 'name="accept_field" value="website"' in page
    response = moderator.post(
        f"/admin/contributions/proposal/{proposal.pk}/change/",
        {"_accept": "1", "accept_field": ["website"]},
    )
    assert response.status_code == 302
    wip.refresh_from_db()
    assert wip.website == "https://lewip.fr"
    assert wip.phone == "02 31 00 00 00"  # not ticked: unchanged
    assert f"Contribution n° {proposal.pk}" in wip.provenance_note
    proposal.refresh_from_db()
    assert proposal.status == Status.ACCEPTED and proposal.accepted_fields == ["website"]
    page = client.get(wip.get_absolute_url()).text
    assert "Dernière contribution acceptée le" in page


def test_an_accepted_partnership_is_public_with_its_source(client, moderator):
    lyon = place_in("Lyon", name="La Cordée Lyon")
    url = reverse("contributions:partnership", kwargs={"slug": lyon.slug})
    post(
        client,
        url,
        {
            "new_partner_name": "SPIP du Rhône",
            "new_partner_level": "justice",
            "kind": "tig",
            "start_date": "2025-09-01",
            "source": "https://www.justice.fr/exemple-convention-tig",
        },
    )
    proposal = Proposal.objects.get()
    assert figures("partenariat=tig").total == 0
    response = moderator.post(
        f"/admin/contributions/proposal/{proposal.pk}/change/", {"_accept": "1"}
    )
    assert response.status_code == 302
    partnership = Partnership.objects.get()
    assert partnership.partner.name == "SPIP du Rhône"
    assert "https://www.justice.fr/exemple-convention-tig" in partnership.provenance
    assert "illustration" not in partnership.provenance
    page = client.get(lyon.get_absolute_url()).text
    assert "SPIP du Rhône" in page and "exemple-convention-tig" in page
    assert "La Cordée Lyon" in client.get("/partenariats/tig/").text
    assert figures("partenariat=tig").total == 1


def test_a_rejection_tells_the_contributor_and_forgets_their_address(
    client, wip, moderator, django_capture_on_commit_callbacks
):
    proposal = propose(client, wip, website="https://lewip.fr", contributor_email="a@example.org")
    url = f"/admin/contributions/proposal/{proposal.pk}/change/"
    response = moderator.post(url, {"_reject": "1", "reason": "autre"})
    assert response.status_code == 200  # "autre" needs its precision
    assert "Précisez le motif du refus" in response.text
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator.post(
            url, {"_reject": "1", "reason": "source", "note": "Le site indiqué ne répond pas."}
        )
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["a@example.org"]]
    assert "n'a pas été retenue" in mail.outbox[0].body
    assert "Le site indiqué ne répond pas." in mail.outbox[0].body
    proposal.refresh_from_db()
    assert proposal.status == Status.REJECTED and proposal.email == ""
    wip.refresh_from_db()
    assert wip.website == "https://www.lewip.fr"


def test_a_new_place_is_created_as_a_draft_or_published(client, moderator, colombelles):
    for publish in (False, True):
        name = f"La Fabrique {publish}"
        post(client, "/contribuer/", {"name": name, "commune": "Colombelles", "source": "s"})
        proposal = Proposal.objects.latest("created_at")
        data = {"_accept": "1", **({"publish": "on"} if publish else {})}
        moderator.post(f"/admin/contributions/proposal/{proposal.pk}/change/", data)
        place = Place.objects.get(name=name)
        expected = PublicationStatus.PUBLISHED if publish else PublicationStatus.DRAFT
        assert place.status == expected
        assert place.department.code == "14" and place.insee_code == "14167"
        assert place.source_name == "Contribution du public"


def test_editors_read_the_queue_but_cannot_decide(client, wip):
    proposal = propose(client, wip, website="https://lewip.fr")
    editor = Client()
    editor.force_login(UserFactory(username="editeur", group="Éditeurs"))
    url = f"/admin/contributions/proposal/{proposal.pk}/change/"
    page = editor.get(url)
    assert page.status_code == 200 and "https://lewip.fr" in page.text
    assert 'name="_accept"' not in page.text
    assert editor.post(url, {"_accept": "1"}).status_code == 403
    assert Proposal.objects.get().status == Status.PENDING


def test_proposals_are_shown_as_text_to_moderators(client, wip, moderator):
    url = reverse("contributions:closure", kwargs={"slug": wip.slug})
    post(client, url, {"what": "ferme", "message": "Voir https://example.org/fermeture"})
    proposal = Proposal.objects.get()
    page = moderator.get(f"/admin/contributions/proposal/{proposal.pk}/change/").text
    assert "Voir https://example.org/fermeture" in page
    assert not re.search(r'<a [^>]*href="https://example.org', page)


def test_an_unknown_or_malformed_proposal_address_is_not_an_error(moderator):
    for pk in ("999999", "1/change/widgets.css"):
        response = moderator.get(f"/admin/contributions/proposal/{pk}/change/")
        assert response.status_code in (302, 404), pk


def test_the_digest_tells_the_moderators_and_forgets_old_emails(wip, mailoutbox):
    import datetime

    from django.core.management import call_command
    from django.utils import timezone

    UserFactory(username="moderatrice", group="Modérateurs", email="moderation@example.org")
    UserFactory(username="editeur", group="Éditeurs", email="editeur@example.org")
    fresh = Proposal.objects.create(kind=Kind.CLOSURE, place=wip, email="a@example.org")
    old = Proposal.objects.create(kind=Kind.CLOSURE, place=wip, email="b@example.org")
    Proposal.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=91)
    )
    call_command("send_moderation_digest", site="https://annuaire.example.fr")
    assert [message.to for message in mailoutbox] == [["moderation@example.org"]]
    assert mailoutbox[0].subject == "2 propositions attendent une décision"
    body = mailoutbox[0].body
    assert "Fermeture ou déménagement — Le Wip" in body
    assert (
        "https://annuaire.example.fr/admin/contributions/proposal/?status__exact=en-attente" in body
    )
    assert Proposal.objects.get(pk=fresh.pk).email == "a@example.org"
    assert Proposal.objects.get(pk=old.pk).email == ""


def test_editors_and_moderators_comment_on_a_proposal(client, wip, moderator):
    proposal = propose(client, wip, website="https://lewip.fr")
    url = f"/admin/contributions/proposal/{proposal.pk}/change/"
    editor = Client()
    editor.force_login(UserFactory(username="editeur", group="Éditeurs"))
    response = editor.post(url, {"_comment": "1", "comment": "J'ai appelé le lieu : c'est exact."})
    assert response.status_code == 302
    assert editor.post(url, {"_comment": "1", "comment": "<b>x</b>"}).status_code == 200
    page = html.unescape(moderator.get(url).text)
    assert "J'ai appelé le lieu : c'est exact." in page
    assert proposal.comments.get().author.username == "editeur"
    assert Proposal.objects.get().status == Status.PENDING  # a comment decides nothing
    assert "J'ai appelé" not in html.unescape(client.get(wip.get_absolute_url()).text)


def test_a_duplicate_names_the_proposal_it_repeats(client, wip, moderator):
    first = propose(client, wip, website="https://lewip.fr")
    second = propose(client, wip, website="https://lewip.fr", phone="02")
    url = f"/admin/contributions/proposal/{second.pk}/change/"
    response = moderator.post(url, {"_duplicate": "1", "duplicate_of": "99999"})
    assert "Aucune autre proposition ne porte ce numéro." in response.text
    response = moderator.post(url, {"_duplicate": "1", "duplicate_of": str(first.pk)})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == Status.DUPLICATE and second.duplicate_of == first
