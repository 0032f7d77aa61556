"""Keep each place's search columns current when the place or one of its parts changes."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from places.models import Activity, Partner, Partnership, Photo, Place, Space
from places.search import refresh_search


@receiver(post_save, sender=Place, dispatch_uid="search_place_saved")
def place_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        refresh_search([instance.pk])


@receiver(post_save, sender=Space, dispatch_uid="search_space_saved")
@receiver(post_delete, sender=Space, dispatch_uid="search_space_deleted")
@receiver(post_save, sender=Partnership, dispatch_uid="search_partnership_saved")
@receiver(post_delete, sender=Partnership, dispatch_uid="search_partnership_deleted")
@receiver(post_save, sender=Activity, dispatch_uid="search_activity_saved")
@receiver(post_delete, sender=Activity, dispatch_uid="search_activity_deleted")
@receiver(post_save, sender=Photo, dispatch_uid="search_photo_saved")
@receiver(post_delete, sender=Photo, dispatch_uid="search_photo_deleted")
def part_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        refresh_search([instance.place_id])


@receiver(post_save, sender=Partner, dispatch_uid="search_partner_saved")
def partner_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        place_ids = Partnership.objects.filter(partner=instance).values_list("place_id", flat=True)
        refresh_search(place_ids)
