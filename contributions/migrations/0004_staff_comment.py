"""Éditeurs and Modérateurs comment on proposals."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    comment = Permission.objects.filter(
        content_type__app_label="contributions", codename__in=["add_comment", "view_comment"]
    )
    for group in Group.objects.filter(name__in=["Modérateurs", "Éditeurs"]):
        group.permissions.add(*comment)


class Migration(migrations.Migration):
    dependencies = [("contributions", "0003_comments")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
