from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tierslieux.backups import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and the photos into one timestamped archive (tierslieux.backups)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            default=str(settings.BACKUP_DIR),
            help="where to write the archive (default: BACKUP_DIR, var/backups)",
        )

    def handle(self, *args, **options):
        try:
            path, manifest = backup(Path(options["dir"]))
        except BackupError as error:
            raise CommandError(str(error)) from None
        held = ", ".join(f"{count} {name}" for name, count in manifest["counts"].items())
        self.stdout.write(
            f"{path} ({path.stat().st_size / 1e6:.1f} MB): {held}; "
            f"{manifest['media_files']} photo files."
        )
