"""What people who know a place propose: a new place, a correction, a public partnership, a
closure or a move. Nothing a proposal says is public before a moderator accepts it; the
contributor's e-mail (optional) is seen by moderators only and erased when the proposal is
decided, or after ``CONTRIBUTION_EMAIL_DAYS`` days."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from places.models import Partnership, Place


class Kind(models.TextChoices):
    NEW_PLACE = "lieu", _("Nouveau lieu")
    CORRECTION = "correction", _("Correction")
    PARTNERSHIP = "partenariat", _("Partenariat public")
    CLOSURE = "fermeture", _("Fermeture ou déménagement")


class Status(models.TextChoices):
    PENDING = "en-attente", _("En attente")
    ACCEPTED = "acceptee", _("Acceptée")
    REJECTED = "refusee", _("Refusée")
    DUPLICATE = "doublon", _("Doublon")


class Role(models.TextChoices):
    MEMBER = "membre", _("Je fais partie du lieu")
    AGENT = "agent-public", _("Je suis agent public")
    OTHER = "autre", _("Autre")


class RejectionReason(models.TextChoices):
    UNVERIFIABLE = "source", _("La source ne permet pas de vérifier l'information")
    WRONG = "erronee", _("L'information est inexacte")
    OFF_TOPIC = "hors-sujet", _("Ce n'est pas un tiers-lieu, ou hors du champ de l'annuaire")
    PERSONAL = "personnel", _("Le texte contient des données personnelles")
    OTHER = "autre", _("Autre raison (précisée)")


class ProposalQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Status.PENDING)


class Proposal(models.Model):
    kind = models.CharField(_("nature"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("état"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    place = models.ForeignKey(
        Place,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("lieu"),
    )
    # The proposed values, field by field (strings, lists of strings): see contributions.forms.
    data = models.JSONField(_("valeurs proposées"), default=dict)
    message = models.TextField(_("message"), blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    role = models.CharField(_("qui propose"), max_length=20, choices=Role.choices, blank=True)
    email = models.EmailField(
        _("e-mail de suivi"),
        blank=True,
        help_text=_("Vu des seuls modérateurs, effacé à la décision ou après 90 jours."),
    )
    created_at = models.DateTimeField(_("reçue le"), auto_now_add=True)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("décidée par"),
    )
    accepted_fields = ArrayField(
        models.CharField(max_length=50), default=list, blank=True, verbose_name=_("champs acceptés")
    )
    rejection_reason = models.CharField(
        _("motif du refus"), max_length=20, choices=RejectionReason.choices, blank=True
    )
    decision_note = models.TextField(_("précision sur la décision"), blank=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("doublon de")
    )
    created_place = models.ForeignKey(
        Place,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lieu créé"),
    )
    created_partnership = models.ForeignKey(
        Partnership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partenariat créé"),
    )

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("proposition")
        verbose_name_plural = _("propositions")
        permissions = [("moderate_proposal", _("Peut accepter ou refuser une proposition"))]
        indexes = [models.Index(fields=["status", "-created_at"], name="proposal_status_idx")]

    def __str__(self):
        subject = self.place.name if self.place else self.data.get("name", "")
        return f"{self.get_kind_display()} — {subject}"


class Comment(models.Model):
    """Staff's notes on a proposal (Éditeurs and Modérateurs): what they checked, whom they
    asked. Never shown to the public nor sent to the contributor."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="comments", verbose_name=_("proposition")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("auteur"),
    )
    text = models.TextField(_("commentaire"), max_length=2000)
    created_at = models.DateTimeField(_("écrit le"), auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("commentaire")
        verbose_name_plural = _("commentaires")

    def __str__(self):
        return self.text[:60]
