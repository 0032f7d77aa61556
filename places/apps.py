from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "places"
    verbose_name = _("Annuaire des tiers-lieux")

    def ready(self):
        from places import (  # noqa: F401  (connect the history source, the search refresh)
            history,
            signals,
        )
