import time

from django.core.management.base import BaseCommand

from places.search import refresh_search


class Command(BaseCommand):
    help = "Recalcule les colonnes de recherche de tous les lieux (après une migration, par ex.)."

    def handle(self, *args, **options):
        started = time.monotonic()
        count = refresh_search()
        self.stdout.write(f"{count} lieux réindexés en {time.monotonic() - started:.1f} s.")
