from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from places.importing import ImportFileError, import_cget


class Command(BaseCommand):
    help = (
        "Importe le recensement CGET/ANCT 2019 des tiers-lieux (CSV UTF-8). Idempotent sur la "
        "colonne ID ; un fichier invalide ne change rien."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="Chemin du fichier CSV")

    def handle(self, *args, file: Path, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Impossible de lire {file} : {exc.strerror}.") from None
        try:
            report = import_cget(data)
        except ImportFileError as exc:
            raise CommandError(f"{file} refusé, rien n'a été modifié : {exc}") from None
        self.stdout.write(report.as_text())
