from django.core.management.base import BaseCommand

from places.duplicates import DISTANCE_M, find_pairs


class Command(BaseCommand):
    help = (
        "Liste les doublons probables, les plus probables d'abord : noms semblables à moins de "
        f"{DISTANCE_M} m, ou même site web. Les paires dites distinctes sont écartées."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=50, help="Nombre de paires (50)")

    def handle(self, *args, limit, **options):
        pairs = find_pairs()
        for pair in pairs[:limit]:
            self.stdout.write(
                f"{pair.score:3d}  {pair.first.name} ({pair.first.commune}, /lieux/"
                f"{pair.first.slug}/)  ↔  {pair.second.name} ({pair.second.commune}, /lieux/"
                f"{pair.second.slug}/)  — {' ; '.join(pair.reasons)}"
            )
        self.stdout.write(f"{len(pairs)} paires probables.")
