import time

from django.core.management.base import BaseCommand, CommandError

from places.synthetic import SOURCE_NAME, delete_generated, generate, vacuum_analyze


class Command(BaseCommand):
    help = (
        "Ajoute des lieux synthétiques (fictifs, signalés comme tels) pour mesurer les "
        "performances ; --delete les retire. Jamais chargé par `make run`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=0, help="Nombre de lieux à ajouter")
        parser.add_argument(
            "--delete", action="store_true", help="Retirer tous les lieux synthétiques"
        )
        parser.add_argument("--seed", type=int, default=2026, help="Graine du hasard")

    def handle(self, *args, count: int, delete: bool, seed: int, **options):
        if delete:
            deleted = delete_generated()
            self.stdout.write(f"Lieux synthétiques supprimés : {deleted}.")
            return
        if count <= 0:
            raise CommandError("Indiquez --count N (N > 0) ou --delete.")
        started = time.monotonic()
        result = generate(count, seed=seed)
        vacuum_analyze()
        self.stdout.write(
            f"{result.places} lieux synthétiques ajoutés ({result.spaces} espaces, "
            f"{result.partnerships} partenariats, {result.activities} activités, "
            f"{result.partners} partenaires fictifs) en {time.monotonic() - started:.1f} s. "
            f"Source : « {SOURCE_NAME} »."
        )
