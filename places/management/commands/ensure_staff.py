import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Crée le compte d'équipe s'il n'existe pas, avec un mot de passe aléatoire affiché une "
        "seule fois. Ne touche jamais à un compte existant."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="equipe")

    def handle(self, *args, username, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            self.stdout.write(
                f"Compte d'équipe « {username} » déjà créé (mot de passe affiché à sa création ; "
                f"pour en changer : python manage.py changepassword {username})."
            )
            return
        password = secrets.token_urlsafe(15)
        user = User.objects.create_superuser(username=username, email="", password=password)
        user.groups.add(*Group.objects.filter(name="Modérateurs"))
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "=" * 64,
                    "Compte d'équipe créé (ce mot de passe ne sera plus affiché) :",
                    f"  identifiant  : {username}",
                    f"  mot de passe : {password}",
                    "  http://127.0.0.1:8000/admin/",
                    "=" * 64,
                    "",
                ]
            )
        )
