from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from places import communes


class Command(BaseCommand):
    help = (
        "Load or update the French communes (INSEE COG 2026) from data/communes-2026.csv; "
        "idempotent, run again when the file is updated."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(communes.DEFAULT_PATH))
        parser.add_argument("--force", action="store_true", help="write even if unchanged")

    def handle(self, *args, path, force, **options):
        try:
            counts = communes.load(Path(path), force=force)
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from None
        if counts["unchanged"]:
            self.stdout.write(f"{counts['communes']} communes, already up to date.")
            return
        self.stdout.write(
            f"{counts['communes']} communes ({counts['located']} located), "
            f"{counts['removed']} removed. {communes.CREDIT}."
        )
