"""The four public forms and their confirmation page. Never cached (each form carries a CSRF
token); every POST counts against the address's ``CONTRIBUTION_RATE_LIMIT``."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from django_ratelimit.decorators import ratelimit
from opening_hours import ParserError

from contributions import forms
from contributions.models import Kind, Proposal
from places import hours
from places.models import Place
from places.views import former_address


def contribution_rate(group, request):
    return settings.CONTRIBUTION_RATE_LIMIT


@method_decorator(
    ratelimit(
        group="contributions",
        key="tierslieux.security.ratelimit_key",
        rate=contribution_rate,
        method="POST",
        block=True,
    ),
    name="post",
)
class ContributionView(FormView):
    template_name = "contributions/form.html"
    kind: str
    title: str
    intro: str
    place: Place | None = None

    def dispatch(self, request, *args, **kwargs):
        if "slug" in kwargs:
            self.place = Place.objects.published().filter(slug=kwargs["slug"]).first()
            if self.place is None:
                # an address the place had: the same form at its current one
                moved = former_address(request, kwargs["slug"], request.resolver_match.view_name)
                if moved is None:
                    raise Http404
                return moved
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(title=self.title, intro=self.intro, place=self.place, kind=self.kind)
        return context

    def form_valid(self, form):
        proposal = Proposal.objects.create(
            kind=self.kind,
            place=self.place,
            data=form.proposal_data(),
            message=form.cleaned_data.get("message", ""),
            source=form.cleaned_data.get("source", ""),
            **form.contributor(),
        )
        return redirect(reverse("contributions:thanks") + f"?nature={proposal.kind}")


class ProposePlaceView(ContributionView):
    form_class = forms.ProposePlaceForm
    kind = Kind.NEW_PLACE
    title = _("Proposer un lieu")
    intro = _(
        "Un tiers-lieu manque à l'annuaire ? Décrivez-le : un modérateur vérifie chaque "
        "proposition avant qu'elle ne soit publiée."
    )


class CorrectionView(ContributionView):
    form_class = forms.CorrectionForm
    kind = Kind.CORRECTION
    title = _("Proposer une correction")
    intro = _(
        "Les informations publiques du lieu sont déjà remplies : changez ce qui est faux, puis "
        "dites comment vous le savez. Rien n'est modifié avant la relecture d'un modérateur."
    )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.place}

    def get_context_data(self, **kwargs):
        """With the opening hours in the form (the place's, or those just typed) as a week:
        the syntax made readable before a moderator sees it."""
        context = super().get_context_data(**kwargs)
        value = (context["form"]["opening_hours"].value() or "").strip()
        try:
            context["hours_preview"] = hours.week(value, timezone.localdate()) if value else None
        except ParserError:
            context["hours_preview"] = None
        return context


class PartnershipView(ContributionView):
    form_class = forms.PartnershipProposalForm
    kind = Kind.PARTNERSHIP
    title = _("Déclarer un partenariat public")
    intro = _(
        "Ce lieu travaille avec un organisme public (France Travail, mission locale, SPIP, "
        "collectivité…) ? Dites-nous lequel, depuis quand et en quoi, avec une source qu'un "
        "modérateur pourra vérifier."
    )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "place": self.place}


class ClosureView(ContributionView):
    form_class = forms.ClosureForm
    kind = Kind.CLOSURE
    title = _("Signaler une fermeture ou un déménagement")
    intro = _("Ce lieu a fermé ou changé d'adresse ? Dites-le nous, avec ce qui le montre.")


class ThanksView(TemplateView):
    template_name = "contributions/thanks.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "kind": self.request.GET.get("nature")}
