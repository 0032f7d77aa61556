"""The two staff groups. Éditeurs add and change places and their parts but cannot publish or
delete; Modérateurs may do everything on places, including publishing and deleting."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PARTS = ["place", "space", "partnership", "activity", "photo", "partner"]
EDITORS = "Éditeurs"
MODERATORS = "Modérateurs"


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(actions, models):
        codenames = [f"{action}_{model}" for action in actions for model in models]
        return Permission.objects.filter(content_type__app_label="places", codename__in=codenames)

    editors, _ = Group.objects.get_or_create(name=EDITORS)
    editors.permissions.set(
        list(perms(["add", "change", "view"], PARTS))
        + list(perms(["view"], ["region", "department"]))
    )
    moderators, _ = Group.objects.get_or_create(name=MODERATORS)
    moderators.permissions.set(
        list(perms(["add", "change", "delete", "view"], PARTS))
        + list(perms(["view"], ["region", "department"]))
        + list(
            Permission.objects.filter(content_type__app_label="places", codename="publish_place")
        )
    )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[EDITORS, MODERATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("places", "0002_territories"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
