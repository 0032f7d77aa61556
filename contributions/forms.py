"""The four public forms. No account; every one guarded the same way (``Guarded``):

- a honeypot field no person sees or fills, and a signed start time: a form sent back less than
  ``CONTRIBUTION_MIN_SECONDS`` after it was shown, or more than a day later, is refused with a
  sentence that says why and what to do;
- every text bounded (``max_length``), and plain text only: anything that looks like an HTML
  tag is refused with a clear message (what is accepted is shown to moderators as text anyway);
- the rate limit (``CONTRIBUTION_RATE_LIMIT`` per address) is in the views.

The place forms are ModelForms of ``Place`` and ``Partnership`` that are never saved: the model's
own validation (constraints included, with the messages on their fields) runs on what a person
proposes, exactly as it will when a moderator accepts it.
"""

import re
import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from contributions.models import Role
from places import communes
from places.models import Commune, Family, Partner, PartnerLevel, Partnership, Place

HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!?]")
HTML_MESSAGE = _("Écrivez en texte simple : les balises HTML (< >) ne sont pas acceptées.")
PRIVACY = _(
    "Facultatif, pour vous tenir informé de la décision. Seuls les modérateurs le voient ; il "
    "est effacé dès la décision prise, ou au plus tard après 90 jours."
)
SIGNING_SALT = "contributions.form-started"


class Guarded(forms.Form):
    """What every public form shares: who is writing, their e-mail, and the abuse guards."""

    role = forms.ChoiceField(
        label=_("Qui êtes-vous ? (facultatif)"),
        choices=[("", _("Je préfère ne pas le dire"))] + Role.choices,
        required=False,
    )
    contributor_email = forms.EmailField(
        label=_("Votre e-mail (facultatif)"), required=False, max_length=254, help_text=PRIVACY
    )
    # The honeypot: hidden from people (CSS and aria-hidden), filled by robots.
    homepage = forms.CharField(
        label=_("Ne remplissez pas ce champ"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    started = forms.CharField(widget=forms.HiddenInput)

    guard_fields = ("homepage", "started")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["started"].initial = signing.dumps(time.time(), salt=SIGNING_SALT)

    def clean_homepage(self):
        if self.cleaned_data.get("homepage"):
            raise ValidationError(
                _("Ce formulaire a été rempli par un programme : il n'est pas enregistré."),
                code="honeypot",
            )
        return ""

    def clean_started(self):
        try:
            started = float(
                signing.loads(self.cleaned_data["started"], salt=SIGNING_SALT, max_age=86400)
            )
        except (signing.BadSignature, TypeError, ValueError):
            raise ValidationError(
                _("Ce formulaire a expiré : rechargez la page puis envoyez-le à nouveau."),
                code="expired",
            ) from None
        age = time.time() - started
        if age > 86400:
            raise ValidationError(
                _("Ce formulaire a expiré : rechargez la page puis envoyez-le à nouveau."),
                code="expired",
            )
        if age < settings.CONTRIBUTION_MIN_SECONDS:
            raise ValidationError(
                _("Envoi trop rapide : relisez votre proposition, puis envoyez-la à nouveau."),
                code="too_fast",
            )
        return self.cleaned_data["started"]

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            values = value if isinstance(value, list) else [value]
            if any(isinstance(item, str) and HTML_TAG.search(item) for item in values):
                self.add_error(name, ValidationError(HTML_MESSAGE, code="html"))
        return cleaned

    def proposal_fields(self):
        """The visible fields of the proposal itself (not the guards nor the contributor)."""
        others = {"homepage", "role", "contributor_email"}
        return [field for field in self.visible_fields() if field.name not in others]

    def guard_errors(self):
        """The guards' refusals, shown at the top of the form (their fields are invisible)."""
        return [error for name in self.guard_fields for error in self.errors.get(name, [])]

    def contributor(self) -> dict:
        return {
            "role": self.cleaned_data.get("role", ""),
            "email": self.cleaned_data.get("contributor_email", ""),
        }


def text(label, max_length, required=True, rows=None, help_text=""):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=widget,
        help_text=help_text,
        strip=True,
    )


SOURCE_HELP = _(
    "Comment le savez-vous ? Une adresse web, le nom d'un document, ou « je fais partie du "
    "lieu » : un modérateur doit pouvoir vérifier."
)


def resolve_commune(name: str, postcode: str, insee: str) -> Commune | None:
    """The commune a person chose (the autocomplete sets its INSEE code), or the only one whose
    name (and postcode, when given) matches what they typed without JavaScript."""
    if insee:
        commune = Commune.objects.filter(insee=insee.upper()).first()
        if commune:
            return commune
    candidates = Commune.objects.filter(search_name=communes.normalise(name))
    if postcode:
        candidates = candidates.filter(postcodes__contains=[postcode])
    found = list(candidates[:2])
    return found[0] if len(found) == 1 else None


# The fields of a place a person may propose or correct (public fields only).
PLACE_FIELDS = [
    "name",
    "summary",
    "street",
    "postcode",
    "commune",
    "website",
    "email",
    "phone",
    "open_to_public",
    "access_notes",
    "opening_hours",
    "step_free_access",
    "accessible_toilets",
    "hearing_loop",
    "acceslibre_url",
    "description",
]


def https_urls(field, **kwargs):
    """Web addresses typed without a scheme are https:// (as in the admin)."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class PlaceFields(Guarded, forms.ModelForm):
    """A place's public fields, validated by the model (never saved by this form)."""

    class Meta:
        formfield_callback = https_urls
        model = Place
        fields = PLACE_FIELDS
        widgets = {"summary": forms.Textarea(attrs={"rows": 2})}

    # Texts the model leaves unbounded get a bound here (and a maxlength in the page).
    BOUNDS = {"description": 3000, "access_notes": 1000}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, limit in self.BOUNDS.items():
            if name in self.fields:
                field = self.fields[name]
                self.fields[name] = forms.CharField(
                    label=field.label,
                    required=field.required,
                    max_length=limit,
                    help_text=field.help_text,
                    widget=forms.Textarea(attrs={"rows": 5}),
                )
        self.fields["email"].label = _(
            "E-mail général de la structure (jamais celui d'une personne)"
        )
        self.fields["phone"].label = _("Téléphone de la structure")


class ProposePlaceForm(PlaceFields):
    """« Proposer un lieu »."""

    insee = forms.CharField(required=False, max_length=5, widget=forms.HiddenInput)
    families = forms.MultipleChoiceField(
        label=_("Ce qu'on y trouve"),
        choices=Family.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    source = text(_("Source"), 500, help_text=SOURCE_HELP)

    class Meta(PlaceFields.Meta):
        fields = [f for f in PLACE_FIELDS if f not in ("open_to_public", "access_notes")]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].required = True
        self.fields["commune"].widget.attrs.update(
            {"autocomplete": "off", "data-commune-autocomplete": "", "list": "communes-list"}
        )
        self.fields["commune"].help_text = _(
            "Commencez à taper le nom ou le code postal, puis choisissez dans la liste."
        )

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("commune", "")
        if name:
            commune = resolve_commune(name, cleaned.get("postcode", ""), cleaned.get("insee", ""))
            if commune is None:
                self.add_error(
                    "commune",
                    _("Commune introuvable : choisissez-la dans la liste (nom et code postal)."),
                )
            else:
                self.commune = commune
                cleaned["insee"] = commune.insee
                cleaned["commune"] = commune.name
                self.instance.insee_code = commune.insee
                if commune.department_id is None:
                    self.add_error(
                        "commune", _("Cette commune n'est dans aucun département de l'annuaire.")
                    )
                else:
                    self.instance.department_id = commune.department_id
        return cleaned

    def _post_clean(self):
        if not hasattr(self, "commune"):
            # no commune resolved: the model's validation would only repeat it (no département)
            self._validate_unique = False
            return
        super()._post_clean()

    def proposal_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        data.update(
            insee_code=self.commune.insee,
            department=self.commune.department.code,
            families=self.cleaned_data.get("families", []),
        )
        return {key: value for key, value in data.items() if value not in ("", None, [])}


class CorrectionForm(PlaceFields):
    """« Proposer une correction »: the place's public fields, pre-filled."""

    message = text(
        _("Ce qui change, et comment vous le savez"),
        2000,
        rows=4,
        help_text=SOURCE_HELP,
    )

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.changed_fields():
            raise ValidationError(
                _("Vous n'avez rien modifié : corrigez ce qui est faux avant d'envoyer."),
                code="unchanged",
            )
        return cleaned

    def changed_fields(self) -> list[str]:
        return [name for name in PLACE_FIELDS if name in self.changed_data]

    def proposal_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.changed_fields()}


class PartnershipProposalForm(Guarded, forms.ModelForm):
    """« Déclarer un partenariat public »."""

    partner = forms.ModelChoiceField(
        label=_("Partenaire public"),
        queryset=Partner.objects.order_by("name"),
        required=False,
        empty_label=_("Un autre partenaire (à préciser ci-dessous)"),
    )
    new_partner_name = text(
        _("Nom du partenaire, s'il n'est pas dans la liste"),
        200,
        required=False,
        help_text=_("Par exemple : « Mission locale de Lyon », « SPIP du Rhône »."),
    )
    new_partner_level = forms.ChoiceField(
        label=_("Niveau de ce partenaire"),
        choices=[("", "—")] + PartnerLevel.choices,
        required=False,
    )
    source = text(_("Source"), 300, help_text=SOURCE_HELP)

    class Meta:
        model = Partnership
        fields = ["partner", "kind", "start_date", "end_date", "description"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {"description": _("En quoi il consiste")}

    def __init__(self, *args, place, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.place = place
        self.fields["description"].max_length = 2000
        self.fields["description"].widget.attrs["maxlength"] = 2000
        self.fields["end_date"].help_text = _("Laissez vide s'il est en cours.")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("partner"):
            if not cleaned.get("new_partner_name"):
                self.add_error(
                    "partner", _("Choisissez un partenaire dans la liste, ou donnez son nom.")
                )
            elif not cleaned.get("new_partner_level"):
                self.add_error("new_partner_level", _("Indiquez le niveau de ce partenaire."))
        return cleaned

    def _post_clean(self):
        self.instance.provenance = (self.cleaned_data.get("source") or "")[:300]
        if not self.cleaned_data.get("partner"):
            # a new partner: the model cannot check what needs it (the uniqueness)
            self._validate_unique = False
            opts = self._meta
            try:
                self.instance = forms.models.construct_instance(
                    self, self.instance, opts.fields, opts.exclude
                )
                self.instance.full_clean(
                    exclude=["partner", "place", "provenance"], validate_unique=False
                )
            except ValidationError as error:
                self._update_errors(error)
            return
        super()._post_clean()

    def proposal_data(self) -> dict:
        cleaned = self.cleaned_data
        data = {
            "kind": cleaned["kind"],
            "start_date": cleaned["start_date"].isoformat(),
            "end_date": cleaned["end_date"].isoformat() if cleaned.get("end_date") else None,
            "description": cleaned.get("description", ""),
        }
        if cleaned.get("partner"):
            data["partner"] = cleaned["partner"].pk
            data["partner_name"] = cleaned["partner"].name
        else:
            data["new_partner_name"] = cleaned["new_partner_name"]
            data["new_partner_level"] = cleaned["new_partner_level"]
        return data


class ClosureForm(Guarded):
    """« Signaler une fermeture ou un déménagement »."""

    what = forms.ChoiceField(
        label=_("Que s'est-il passé ?"),
        choices=[("ferme", _("Le lieu a fermé")), ("demenage", _("Le lieu a déménagé"))],
        widget=forms.RadioSelect,
    )
    date = forms.DateField(
        label=_("Depuis quand (facultatif)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    new_address = text(_("Nouvelle adresse, s'il a déménagé"), 300, required=False)
    message = text(_("Comment le savez-vous ?"), 2000, rows=4, help_text=SOURCE_HELP)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("what") == "demenage" and not cleaned.get("new_address"):
            self.add_error("new_address", _("Indiquez la nouvelle adresse."))
        return cleaned

    def proposal_data(self) -> dict:
        cleaned = self.cleaned_data
        return {
            "what": cleaned["what"],
            "date": cleaned["date"].isoformat() if cleaned.get("date") else None,
            "new_address": cleaned.get("new_address", ""),
        }
