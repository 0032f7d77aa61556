"""Modérateurs see and decide proposals; Éditeurs read them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(*codenames):
        return Permission.objects.filter(
            content_type__app_label="contributions", codename__in=codenames
        )

    Group.objects.get(name="Modérateurs").permissions.add(
        *perms("view_proposal", "delete_proposal", "moderate_proposal")
    )
    Group.objects.get(name="Éditeurs").permissions.add(*perms("view_proposal"))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(
        name__in=["Modérateurs", "Éditeurs"]
    ):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="contributions")
        )


class Migration(migrations.Migration):
    dependencies = [("contributions", "0001_initial"), ("places", "0003_staff_groups")]
    operations = [migrations.RunPython(grant, revoke)]
