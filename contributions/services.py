"""Deciding a proposal: accept (all of it, or the ticked fields of a correction), reject with a
reason, or mark as a duplicate. Each decision is one transaction; what it changes goes through
the models' own validation (the same as the admin's forms); the contributor is told by e-mail
when they left one, and the e-mail is then erased."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from contributions.models import Kind, Proposal, RejectionReason, Status
from places.history import Source, recording
from places.models import Department, Lifecycle, Partner, Partnership, Place, PublicationStatus


def provenance(proposal: Proposal) -> str:
    """What an accepted fact says of where it comes from."""
    text = _("Contribution n° %(number)s acceptée le %(date)s") % {
        "number": proposal.pk,
        "date": timezone.localdate().strftime("%d/%m/%Y"),
    }
    if proposal.source:
        text += " — " + _("source : %(source)s") % {"source": proposal.source}
    return text


@transaction.atomic
def accept(proposal: Proposal, user, fields=None, publish=False) -> Proposal:
    """Apply the proposal. ``fields``: for a correction, the fields to apply (all if None);
    ``publish``: a new place is published rather than left as a draft. Raises ValidationError
    (nothing changed) when what it proposes does not pass the models' validation."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != Status.PENDING:
        raise ValidationError(_("Cette proposition a déjà été décidée."))
    reason = _("Proposition n° %(number)d acceptée") % {"number": proposal.pk}
    with recording(Source.PROPOSAL, reason, user):
        if proposal.kind == Kind.CORRECTION:
            _apply_correction(proposal, fields)
        elif proposal.kind == Kind.NEW_PLACE:
            _create_place(proposal, publish)
        elif proposal.kind == Kind.PARTNERSHIP:
            _create_partnership(proposal)
        elif proposal.kind == Kind.CLOSURE:
            _apply_closure(proposal)
    _decide(proposal, user, Status.ACCEPTED)
    return proposal


@transaction.atomic
def reject(proposal: Proposal, user, reason: str, note: str = "") -> Proposal:
    if reason not in RejectionReason.values:
        raise ValidationError(_("Choisissez un motif de refus."))
    if reason == RejectionReason.OTHER and not note.strip():
        raise ValidationError(_("Précisez le motif du refus."))
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != Status.PENDING:
        raise ValidationError(_("Cette proposition a déjà été décidée."))
    proposal.rejection_reason, proposal.decision_note = reason, note.strip()
    _decide(proposal, user, Status.REJECTED)
    return proposal


@transaction.atomic
def mark_duplicate(proposal: Proposal, user, original: Proposal | None = None) -> Proposal:
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != Status.PENDING:
        raise ValidationError(_("Cette proposition a déjà été décidée."))
    proposal.duplicate_of = original
    _decide(proposal, user, Status.DUPLICATE)
    return proposal


def _decide(proposal: Proposal, user, status: str):
    proposal.status, proposal.decided_by, proposal.decided_at = status, user, timezone.now()
    email = proposal.email
    proposal.email = ""  # erased with the decision: it served to tell the contributor
    proposal.save()
    if email:
        transaction.on_commit(lambda: notify(proposal, email))


def notify(proposal: Proposal, email: str):
    """Tell the contributor what was decided (in French, the directory's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Votre proposition n° %(number)s : %(status)s") % {
            "number": proposal.pk,
            "status": proposal.get_status_display().lower(),
        }
        body = render_to_string("contributions/email/decided.txt", {"proposal": proposal})
    send_mail(subject, body, None, [email], fail_silently=False)


def _apply_correction(proposal: Proposal, fields):
    place = Place.objects.select_for_update().get(pk=proposal.place_id)
    proposed = proposal.data
    chosen = list(proposed) if fields is None else [name for name in fields if name in proposed]
    if not chosen:
        raise ValidationError(_("Cochez au moins un champ à accepter."))
    for name in chosen:
        setattr(place, name, proposed[name])
    place.provenance_note = "\n".join(
        filter(None, [place.provenance_note, f"{provenance(proposal)} ({', '.join(chosen)})"])
    )
    place.full_clean()
    place.save()
    proposal.accepted_fields = chosen


def _create_place(proposal: Proposal, publish: bool):
    data = dict(proposal.data)
    department = Department.objects.get(code=data.pop("department"))
    place = Place(
        department=department,
        status=PublicationStatus.PUBLISHED if publish else PublicationStatus.DRAFT,
        source_name=_("Contribution du public"),
        source_id=f"contribution-{proposal.pk}",
        source_date=proposal.created_at.date(),
        provenance_note=provenance(proposal),
        **{key: value for key, value in data.items() if key in _PLACE_FIELDS},
    )
    place.full_clean()
    place.save()
    proposal.place = proposal.created_place = place


_PLACE_FIELDS = {
    "name",
    "summary",
    "street",
    "postcode",
    "commune",
    "insee_code",
    "website",
    "email",
    "phone",
    "description",
    "families",
}


def _create_partnership(proposal: Proposal):
    data = proposal.data
    if data.get("partner"):
        partner = Partner.objects.get(pk=data["partner"])
    else:
        name = data["new_partner_name"]
        partner = Partner.objects.filter(name__iexact=name).first()
        if partner is None:
            partner = Partner(
                name=name, slug=_unique_partner_slug(name), level=data["new_partner_level"]
            )
            partner.full_clean()
            partner.save()
    partnership = Partnership(
        place_id=proposal.place_id,
        partner=partner,
        kind=data["kind"],
        start_date=datetime.date.fromisoformat(data["start_date"]),
        end_date=datetime.date.fromisoformat(data["end_date"]) if data.get("end_date") else None,
        description=data.get("description", ""),
        provenance=provenance(proposal)[:300],
    )
    partnership.full_clean()
    partnership.save()
    proposal.created_partnership = partnership


def _unique_partner_slug(name: str) -> str:
    base = slugify(name)[:190] or "partenaire"
    slug, number = base, 2
    while Partner.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


def _apply_closure(proposal: Proposal):
    place = Place.objects.select_for_update().get(pk=proposal.place_id)
    data = proposal.data
    note = provenance(proposal)
    if data["what"] == "ferme":
        place.lifecycle = Lifecycle.FERME
        if data.get("date"):
            place.closing_date = datetime.date.fromisoformat(data["date"])
        note += " (" + _("fermeture") + ")"
    else:
        note += " (" + _("déménagement : %(address)s") % {"address": data["new_address"]} + ")"
    place.provenance_note = "\n".join(filter(None, [place.provenance_note, note]))
    place.full_clean()
    place.save()
