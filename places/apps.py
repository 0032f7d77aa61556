from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "places"
    verbose_name = _("Annuaire des tiers-lieux")

    def ready(self):
        from places import signals  # noqa: F401  (connects the search refresh)
