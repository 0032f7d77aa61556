"""Who changed what, when and from where: every record of the directory (places, their spaces,
partnerships, activities and photos, partners) keeps its versions with django-simple-history.

Each version says its *source*: the admin, an accepted proposal, an import, a command, a merge or
a restoration. Code that changes records outside a request says where it comes from with
``recording(Source.IMPORT, "…")``; a change made during a request (the admin) is the admin's.

A deleted record keeps its last version (history type ``-``): a place deleted by mistake is
restored with its spaces, partnerships, activities and photos (``restore_place``), for as long as
the history is kept (never purged: docs/data.md). Photo files are not deleted with their row.
"""

import contextvars
from contextlib import contextmanager
from datetime import timedelta

from django.db import models, transaction
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

# The parts of a place, restored with it (in this order: activities may point at a partnership).
PARTS = ("spaces", "partnerships", "activities", "photos")
# Deletions this close to the place's own deletion were its cascade.
CASCADE_WINDOW = timedelta(seconds=5)


class Source(models.TextChoices):
    ADMIN = "admin", _("administration")
    PROPOSAL = "proposal", _("proposition acceptée")
    IMPORT = "import", _("import")
    COMMAND = "command", _("commande")
    MERGE = "merge", _("fusion")
    RESTORE = "restore", _("restauration")


class HistorySource(models.Model):
    """The base of every historical model: where the change came from."""

    history_source = models.CharField(
        _("origine"), max_length=20, choices=Source.choices, default=Source.COMMAND
    )

    class Meta:
        abstract = True


def tracked_models() -> list:
    """The models whose versions are kept."""
    from django.apps import apps

    return [model for model in apps.get_models() if hasattr(model, "history")]


def tracked(**kwargs) -> HistoricalRecords:
    """The history of one model of the directory."""
    return HistoricalRecords(bases=[HistorySource], **kwargs)


_current: contextvars.ContextVar = contextvars.ContextVar("history_source", default=None)


@contextmanager
def recording(source: str, reason: str = "", user=None):
    """Versions created inside the block say ``source`` and ``reason`` (and ``user``, when no
    request says who)."""
    token = _current.set((source, reason, user))
    try:
        yield
    finally:
        _current.reset(token)


@receiver(pre_create_historical_record, dispatch_uid="history_source")
def set_source(sender, history_instance, **kwargs):
    current = _current.get()
    if current is not None:
        source, reason, user = current
        history_instance.history_source = source
        if reason and not history_instance.history_change_reason:
            history_instance.history_change_reason = reason
        if user is not None and history_instance.history_user_id is None:
            history_instance.history_user = user
    elif getattr(HistoricalRecords.context, "request", None) is not None:
        history_instance.history_source = Source.ADMIN


# ---------------------------------------------------------------------------------------------
# Deleted places
# ---------------------------------------------------------------------------------------------


def deleted_places():
    """The last version of every place that no longer exists, most recently deleted first."""
    from places.models import Place

    return (
        Place.history.filter(history_type="-")
        .exclude(id__in=Place.objects.values("pk"))
        .select_related("history_user")
        .order_by("-history_date")
    )


def _window(deletion) -> tuple:
    return deletion.history_date - CASCADE_WINDOW, deletion.history_date + CASCADE_WINDOW


def _deleted_versions(model, place_ids):
    """The deletion versions of ``model`` rows (a part of a place) that are still gone."""
    return (
        model.history.filter(place_id__in=place_ids, history_type="-")
        .exclude(id__in=model.objects.values("pk"))
        .order_by("history_date")
    )


def _part_models():
    from places.models import Place

    return [Place._meta.get_field(name).related_model for name in PARTS]


def deleted_parts(deletion):
    """The deleted versions of a place's parts that went with it (its cascade)."""
    for model in _part_models():
        yield from _deleted_versions(model, [deletion.id]).filter(
            history_date__range=_window(deletion)
        )


def count_deleted_parts(deletions):
    """Set ``parts`` on each deletion: how many parts went with it. One query per kind of part,
    whatever the number of deletions."""
    dates = {}
    for model in _part_models():
        versions = _deleted_versions(model, [d.id for d in deletions])
        for place_id, date in versions.values_list("place_id", "history_date"):
            dates.setdefault(place_id, []).append(date)
    for deletion in deletions:
        start, end = _window(deletion)
        deletion.parts = sum(start <= date <= end for date in dates.get(deletion.id, []))


@transaction.atomic
def restore_place(deletion, user=None):
    """Bring a deleted place back, with its spaces, partnerships, activities and photos, as they
    were when it was deleted. Returns the place."""
    from places.models import Place

    with recording(Source.RESTORE, str(_("Restauration après suppression")), user):
        place = deletion.instance
        place._history_user = user
        if Place.objects.filter(slug=place.slug).exists():  # taken since: a new one
            place.slug = ""
        place.save(force_insert=True)
        for version in list(deleted_parts(deletion)):
            part = version.instance
            part._history_user = user
            part.save(force_insert=True)
    return place
