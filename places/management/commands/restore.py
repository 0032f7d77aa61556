from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tierslieux.backups import BackupError, read_manifest, restore


class Command(BaseCommand):
    help = (
        "Replace the database and the photos with those of a backup archive (make backup). "
        "Stop the application servers first: every table is dropped and recreated."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a tierslieux-YYYYmmdd-HHMMSS.tar archive")
        parser.add_argument(
            "--yes", action="store_true", help="do not ask for confirmation (scripts, tests)"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            manifest = read_manifest(path)
            if not options["yes"]:
                answer = input(
                    f"Replace the whole database and every photo with the backup of "
                    f"{manifest['created_at']} ({manifest['counts']['places']} places)? "
                    "Type 'yes' to go on: "
                )
                if answer.strip().lower() != "yes":
                    raise CommandError("Nothing restored.")
            found = restore(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        held = ", ".join(f"{count} {name}" for name, count in found.items())
        self.stdout.write(f"Restored from {path}: {held}.")
