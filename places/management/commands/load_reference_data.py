from django.core.management.base import BaseCommand

from places.reference_data import enrich_le_wip, load_demo


class Command(BaseCommand):
    help = (
        "Enrichit Le Wip (ID 1500 du recensement) des faits sourcés et crée les partenariats et "
        "activités d'illustration. Idempotent ; à lancer après import_cget."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-demo", action="store_true", help="N'ajoute pas les données d'illustration."
        )

    def handle(self, *args, no_demo=False, **options):
        place = enrich_le_wip()
        if place is None:
            self.stderr.write("Le Wip (ID 1500) est absent : lancez d'abord import_cget.")
        else:
            self.stdout.write(f"Le Wip enrichi : {place.get_absolute_url()}")
        if not no_demo:
            counts = load_demo()
            self.stdout.write(
                "Données d'illustration créées : {partners} partenaires, {partnerships} "
                "partenariats, {activities} activités.".format(**counts)
            )
