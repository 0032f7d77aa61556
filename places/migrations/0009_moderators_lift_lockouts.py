"""Modérateurs see the sign-in attempts (django-axes) and lift a lockout by deleting the attempts
that caused it: a colleague locked out need not wait for an administrator."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATORS = "Modérateurs"
GRANTED = {
    "accessattempt": ["view", "delete"],
    "accessfailurelog": ["view"],
    "accesslog": ["view"],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [f"{action}_{model}" for model, actions in GRANTED.items() for action in actions]
    moderators = Group.objects.get(name=MODERATORS)
    moderators.permissions.add(
        *Permission.objects.filter(content_type__app_label="axes", codename__in=codenames)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    moderators = Group.objects.filter(name=MODERATORS).first()
    if moderators:
        moderators.permissions.remove(*Permission.objects.filter(content_type__app_label="axes"))


class Migration(migrations.Migration):
    dependencies = [
        ("places", "0008_drop_search_text_trigram_index"),
        ("axes", "0010_accessattemptexpiration"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
