import time

from django.core.management.base import BaseCommand

from places.models import SearchWord
from places.search import refresh_search


class Command(BaseCommand):
    help = (
        "Recalcule les colonnes de recherche de tous les lieux et le dictionnaire des mots "
        "(corrections des fautes de frappe), après une migration par ex."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        count = refresh_search()
        words = SearchWord.objects.count()
        self.stdout.write(
            f"{count} lieux réindexés, dictionnaire de {words} mots, en "
            f"{time.monotonic() - started:.1f} s."
        )
