"""The moderation queue: pending proposals first, their age and kind; for each, what it proposes
beside what the directory holds (a correction field by field, with a box per field), and the
decision: accept (all or the ticked fields; a new place as a draft or published), reject with a
reason, or mark as a duplicate. Modérateurs decide; Éditeurs read."""

import datetime

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contributions import services
from contributions.forms import HTML_MESSAGE, HTML_TAG
from contributions.models import Comment, Kind, Proposal, RejectionReason, Status
from places.models import Family, Partner, PartnerLevel, PartnershipKind, Place


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "status", "age", "created_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["place"]
    search_fields = ["place__name", "source", "message"]
    date_hierarchy = "created_at"
    change_form_template = "admin/contributions/proposal/change_form.html"
    fields = ["kind", "status", "place", "source", "message", "role", "email", "created_at"]
    readonly_fields = fields + [
        "decided_at",
        "decided_by",
        "accepted_fields",
        "rejection_reason",
        "decision_note",
        "created_place",
        "created_partnership",
    ]

    @admin.display(description=gettext_lazy("attend depuis"), ordering="created_at")
    def age(self, obj):
        if obj.status != Status.PENDING:
            return "—"
        return timesince(obj.created_at, timezone.now())

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # decided through the buttons below, never edited

    def changelist_view(self, request, extra_context=None):
        if "status__exact" not in request.GET and not request.GET.get("q"):
            url = reverse("admin:contributions_proposal_changelist")
            return redirect(f"{url}?status__exact={Status.PENDING}")
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        proposal = self.get_object(request, unquote(object_id))
        if proposal is None:  # unknown or malformed id: the admin's own answer
            return super().change_view(request, object_id, form_url, extra_context)
        can_moderate = request.user.has_perm("contributions.moderate_proposal")
        can_comment = request.user.has_perm("contributions.add_comment")
        if request.method == "POST" and "_comment" in request.POST:
            if not can_comment:
                raise PermissionDenied
            text = request.POST.get("comment", "").strip()
            if not text or len(text) > 2000:
                messages.error(request, _("Un commentaire a entre 1 et 2 000 caractères."))
            elif HTML_TAG.search(text):
                messages.error(request, str(HTML_MESSAGE))
            else:
                Comment.objects.create(proposal=proposal, author=request.user, text=text)
                messages.success(request, _("Commentaire ajouté."))
                return redirect(request.path)
            request.method = "GET"
        if request.method == "POST":
            if not can_moderate:
                raise PermissionDenied
            try:
                self._decide(request, proposal)
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                return redirect("admin:contributions_proposal_changelist")
            request.method = "GET"  # show the page again, with the messages
        extra_context = {
            **(extra_context or {}),
            "proposal": proposal,
            "rows": rows(proposal),
            "can_moderate": can_moderate and proposal.status == Status.PENDING,
            "can_comment": can_comment,
            "comments": proposal.comments.select_related("author"),
            "reasons": RejectionReason.choices,
            "is_correction": proposal.kind == Kind.CORRECTION,
            "is_new_place": proposal.kind == Kind.NEW_PLACE,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _decide(self, request, proposal):
        post = request.POST
        if "_accept" in post:
            fields = post.getlist("accept_field") if proposal.kind == Kind.CORRECTION else None
            services.accept(proposal, request.user, fields=fields, publish="publish" in post)
            messages.success(request, _("Proposition acceptée."))
        elif "_reject" in post:
            services.reject(proposal, request.user, post.get("reason", ""), post.get("note", ""))
            messages.success(request, _("Proposition refusée."))
        elif "_duplicate" in post:
            original = None
            if post.get("duplicate_of", "").strip():
                original = (
                    Proposal.objects.filter(
                        pk=int(post["duplicate_of"]) if post["duplicate_of"].isdigit() else 0
                    )
                    .exclude(pk=proposal.pk)
                    .first()
                )
                if original is None:
                    raise ValidationError(_("Aucune autre proposition ne porte ce numéro."))
            services.mark_duplicate(proposal, request.user, original)
            messages.success(request, _("Proposition marquée comme doublon."))
        else:
            raise ValidationError(_("Choisissez une décision."))


def rows(proposal: Proposal) -> list[dict]:
    """What the proposal says, field by field, beside the directory's current value."""
    data = proposal.data
    if proposal.kind == Kind.CORRECTION and proposal.place:
        return [
            {
                "name": name,
                "label": Place._meta.get_field(name).verbose_name,
                "current": _shown(getattr(proposal.place, name)),
                "proposed": _shown(value),
            }
            for name, value in data.items()
        ]
    labels = {
        "name": _("nom"),
        "summary": _("résumé"),
        "street": _("adresse"),
        "postcode": _("code postal"),
        "commune": _("commune"),
        "insee_code": _("code INSEE"),
        "department": _("département"),
        "families": _("familles"),
        "website": _("site web"),
        "email": _("e-mail de la structure"),
        "phone": _("téléphone"),
        "description": _("description"),
        "partner_name": _("partenaire"),
        "new_partner_name": _("nouveau partenaire"),
        "new_partner_level": _("niveau du nouveau partenaire"),
        "kind": _("nature"),
        "start_date": _("début"),
        "end_date": _("fin"),
        "what": _("signalement"),
        "date": _("date"),
        "new_address": _("nouvelle adresse"),
    }
    choices = {
        "families": dict(Family.choices),
        "kind": dict(PartnershipKind.choices),
        "new_partner_level": dict(PartnerLevel.choices),
        "what": {"ferme": _("fermeture"), "demenage": _("déménagement")},
    }
    shown = []
    for name, value in data.items():
        if name == "partner":
            continue
        if name in choices:
            values = value if isinstance(value, list) else [value]
            value = ", ".join(str(choices[name].get(item, item)) for item in values)
        if name in ("start_date", "end_date", "date") and value:
            value = datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
        shown.append({"name": name, "label": labels.get(name, name), "proposed": _shown(value)})
    if data.get("partner"):
        partner = Partner.objects.filter(pk=data["partner"]).first()
        if partner:
            shown.insert(0, {"name": "partner", "label": _("partenaire"), "proposed": str(partner)})
    return shown


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return _("oui")
    if value is False:
        return _("non")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
