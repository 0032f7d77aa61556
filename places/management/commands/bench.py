"""`manage.py bench` (`make bench`): the directory under load, against a floor and a peer.

In a database of its own (``tierslieux_bench``, on the same PostgreSQL server as the project),
with production settings (debug off) and gunicorn (tierslieux/gunicorn.conf.py), wrk drives each
page type for a few seconds and reports p50 / p95 / p99 latency and throughput, at each size (the
1,512 real places, then with synthetic places up to 100,000). In the same run: the floor
(``/sante/``, a view doing nothing, through the same middleware) and the peer (the Django admin
changelist searching the same words over the same places, logged in). Each figure is given as a
ratio to the floor, each search as a ratio to the peer; the first (uncached) request of each page
is timed too. The relevance set is checked at each size, the workers' memory read after each
run, and the results replace the generated part of docs/performance.md.
"""

import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import django
import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

DATABASE = "tierslieux_bench"
REAL_PLACES = 1512
BENCH_PREFIX = "tierslieux-bench"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
LONG_QUERY = "tiers lieu coworking " * 500  # 10,500 characters
ALL_FILTERS = (
    "q=atelier&region=normandie&departement=14&famille=coworking&famille=fablab"
    "&partenariat=tig&niveau=justice&partenariat_actif=1&espace=atelier&ouvert=1"
    "&activite=atelier&public=jeunes&tri=nom"
)
# (key, label, path, kind). kind: floor, page, search (compared with the peer of the same
# words), peer, worst.
SCENARIOS = [
    ("floor", "Floor: minimal view (/sante/)", "/sante/", "floor"),
    ("home", "Home", "/", "page"),
    ("list", "Directory, no filter", "/lieux/", "page"),
    (
        "list_filters",
        "Directory, two filters",
        "/lieux/?region=normandie&famille=coworking",
        "page",
    ),
    ("search_common", "Search, common word", "/lieux/?q=coworking", "search"),
    ("search_rare", "Search, rare word", "/lieux/?q=colombelles", "search"),
    ("search_typo", "Search, typo", "/lieux/?q=montpelier", "search"),
    ("search_filters", "Search + filters", "/lieux/?q=fablab&region=bretagne", "page"),
    ("place", "Place page", "/lieux/le-wip/", "page"),
    ("geojson", "Map GeoJSON, one région", "/lieux.geojson?region=normandie", "page"),
    ("last_page", "Worst: last page", "/lieux/?page={last}", "worst"),
    ("all_filters", "Worst: every filter at once", "/lieux/?" + ALL_FILTERS, "worst"),
    ("long_query", "Worst: 10,000-character query", "/lieux/?q=" + quote(LONG_QUERY), "worst"),
    ("peer_common", "Peer: admin search, common word", "/admin/places/place/?q=coworking", "peer"),
    ("peer_rare", "Peer: admin search, rare word", "/admin/places/place/?q=colombelles", "peer"),
    ("peer_typo", "Peer: admin search, typo", "/admin/places/place/?q=montpelier", "peer"),
]
WORKERS = (os.cpu_count() or 1) * 2 + 1
PEER_OF = {"search_common": "peer_common", "search_rare": "peer_rare", "search_typo": "peer_typo"}
PAGE_TARGETS = ("list", "list_filters", "place")  # p50 ≤ 8 × floor
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.timeout
  io.write(string.format(
    '\\nRESULT {"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, '
    .. '"p50": %d, "p95": %d, "p99": %d}\\n',
    summary.requests, summary.duration, errors, summary.errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _redis_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Command(BaseCommand):
    help = (
        "Mesure les pages sous charge (wrk, gunicorn) à 1 512 et 100 000 lieux ; "
        "voir docs/performance.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="1512,100000", help="Nombres de lieux (total)")
        parser.add_argument("--duration", type=int, default=8, help="Secondes par mesure")
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--threads", type=int, default=2)
        parser.add_argument("--write", type=Path, help="docs/performance.md à mettre à jour")
        parser.add_argument("--keep", action="store_true", help="Garder la base de mesure")

    def handle(self, *args, sizes, duration, connections, threads, write, keep, **options):
        if not shutil.which("wrk"):
            raise CommandError("wrk est introuvable : `make bench` l'installe (paquet Debian).")
        sizes = sorted(int(size) for size in sizes.split(","))
        if sizes[0] < REAL_PLACES:
            raise CommandError(
                f"Chaque taille doit valoir au moins {REAL_PLACES} (les lieux réels)."
            )
        self.duration, self.connections, self.threads = duration, connections, threads
        self.workdir = Path(tempfile.mkdtemp(prefix="tierslieux-bench-"))
        (self.workdir / "report.lua").write_text(WRK_SCRIPT)
        self.env = self._environment()
        started = time.monotonic()
        try:
            self._clear_bench_cache()
            self._create_database()
            self._prepare()
            runs = {}
            for size in sizes:
                self._grow_to(size)
                runs[size] = self._measure(size)
            report = self._report(runs, sizes, time.monotonic() - started)
        finally:
            self._clear_bench_cache()
            if not keep:
                self._drop_database()
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.stdout.write(report)
        if write:
            self._write(write, report)
            self.stdout.write(f"\n{write} mis à jour.")

    # The database and the server
    # -----------------------------------------------------------------------------------------

    def _server(self) -> dict:
        db = connection.settings_dict
        return {
            "host": db["HOST"] or "127.0.0.1",
            "port": str(db["PORT"] or 5432),
            "user": db["USER"] or "postgres",
            "password": db["PASSWORD"] or "",
        }

    def _database_url(self) -> str:
        server = self._server()
        credentials = quote(server["user"], safe="")
        if server["password"]:
            credentials += ":" + quote(server["password"], safe="")
        host = quote(server["host"], safe="")
        return f"postgres://{credentials}@{host}:{server['port']}/{DATABASE}"

    def _admin_connection(self):
        server = self._server()
        return psycopg.connect(
            dbname="postgres",
            host=server["host"],
            port=server["port"],
            user=server["user"],
            password=server["password"] or None,
            autocommit=True,
        )

    def _create_database(self):
        self._drop_database()
        with self._admin_connection() as admin:
            admin.execute(f'CREATE DATABASE "{DATABASE}"')

    def _drop_database(self):
        with self._admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')

    def _environment(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(
            DATABASE_URL=self._database_url(),
            DJANGO_SECRET_KEY="bench-" + os.urandom(16).hex(),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_SECURE_COOKIES="0",
            DJANGO_STATIC_ROOT=str(self.workdir / "static"),
            DJANGO_MEDIA_ROOT=str(self.workdir / "media"),
            DJANGO_LOG_LEVEL="ERROR",
            CACHE_KEY_PREFIX=BENCH_PREFIX,
        )
        if not env.get("REDIS_URL") and _redis_answers("127.0.0.1", 6379):
            env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        self.redis_url = env.get("REDIS_URL")
        return env

    def _clear_bench_cache(self):
        """Remove this benchmark's keys from Redis (never the whole database)."""
        if not self.redis_url:
            return
        import redis

        client = redis.Redis.from_url(self.redis_url)
        for key in client.scan_iter(f"{BENCH_PREFIX}:*"):
            client.delete(key)

    def _manage(self, *arguments, capture=False) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=settings.BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise CommandError(f"manage.py {' '.join(arguments)} : {result.stderr[-2000:]}")
        return result.stdout

    def _prepare(self):
        self.stdout.write("Base de mesure : migrations, fichiers statiques, données réelles…")
        self._manage("migrate", "--no-input", "-v0")
        self._manage("collectstatic", "--no-input", "-v0")
        self._manage("import_cget", str(settings.BASE_DIR / "data" / "cget-tiers-lieux-2019.csv"))
        self._manage("load_reference_data")
        self.session = (
            self._manage(
                "shell",
                "-c",
                "from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, "
                "HASH_SESSION_KEY; from django.contrib.sessions.backends.db import SessionStore; "
                "user = get_user_model().objects.create_superuser('bench', None, None); "
                "s = SessionStore(); s[SESSION_KEY] = str(user.pk); "
                "s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'; "
                "s[HASH_SESSION_KEY] = user.get_session_auth_hash(); s.create(); "
                "print(s.session_key)",
            )
            .strip()
            .splitlines()[-1]
        )

    def _grow_to(self, size: int):
        current = int(
            self._manage(
                "shell", "-c", "from places.models import Place; print(Place.objects.count())"
            ).split()[-1]
        )
        if size > current:
            self.stdout.write(f"Lieux synthétiques : +{size - current}…")
            self.stdout.write(self._manage("generate_places", "--count", str(size - current)))
        # Let the bulk load's aftermath (checkpoint, autovacuum) pass before measuring.
        with self._admin_connection() as admin:
            admin.execute("CHECKPOINT")
        time.sleep(5)

    def _free_port(self) -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def _start_gunicorn(self):
        port = self._free_port()
        self.base = f"http://127.0.0.1:{port}"
        env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
        self.gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(settings.BASE_DIR / "tierslieux" / "gunicorn.conf.py"),
                "tierslieux.wsgi",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.workdir / "gunicorn.log", "ab"),  # noqa: SIM115
        )
        for _ in range(200):
            try:
                urllib.request.urlopen(self.base + "/sante/", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        raise CommandError(
            "gunicorn n'a pas démarré : " + (self.workdir / "gunicorn.log").read_text()
        )

    def _stop_gunicorn(self):
        self.gunicorn.send_signal(signal.SIGTERM)
        self.gunicorn.wait(timeout=30)

    def _worker_rss_mb(self) -> list[float]:
        """Resident memory of each gunicorn worker (children of the master), in MB."""
        sizes = []
        children = Path(f"/proc/{self.gunicorn.pid}/task/{self.gunicorn.pid}/children")
        for pid in children.read_text().split():
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            if match:
                sizes.append(int(match.group(1)) / 1024)
        return sizes

    # Measures
    # -----------------------------------------------------------------------------------------

    def _request(self, path: str, cookie: str | None) -> float:
        request = urllib.request.Request(self.base + path, headers={"Accept-Encoding": "gzip"})
        if cookie:
            request.add_header("Cookie", cookie)
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            if response.status != 200:
                raise CommandError(f"{path} : HTTP {response.status}")
        return (time.perf_counter() - started) * 1000

    def _wrk(self, path: str, cookie: str | None, duration: int) -> dict:
        command = [
            "wrk",
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{duration}s",
            "--timeout",
            "30s",
            "-s",
            str(self.workdir / "report.lua"),
        ]
        # What a browser sends: compressed responses are welcome.
        command += ["-H", "Accept-Encoding: gzip"]
        if cookie:
            command += ["-H", f"Cookie: {cookie}"]
        output = subprocess.run(
            [*command, self.base + path], capture_output=True, text=True, check=True
        ).stdout
        result = json.loads(output.split("RESULT ", 1)[1])
        result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
        return result

    def _measure(self, size: int) -> dict:
        self.stdout.write(f"Mesures à {size} lieux…")
        self._start_gunicorn()
        cookie = f"sessionid={self.session}"
        results = {}
        try:
            last = max(1, math.ceil(size / 50))
            for key, _label, path, kind in SCENARIOS:
                path = path.format(last=last)
                auth = cookie if kind == "peer" else None
                cold = self._request(path, auth)  # the first request: nothing cached yet
                # Warm up long enough for every worker to have computed the page once (with a
                # local-memory cache each worker computes it; with Redis the first did).
                warm = 1 if self.redis_url else min(20, 1 + math.ceil(cold * WORKERS / 1000))
                self._wrk(path, auth, warm)
                result = self._wrk(path, auth, self.duration)
                result["cold_ms"] = cold
                results[key] = result
                self.stdout.write(
                    f"  {key:15} p50 {result['p50'] / 1000:7.1f} ms  p95 "
                    f"{result['p95'] / 1000:7.1f} ms  {result['rps']:7.0f} req/s"
                )
            rss = self._worker_rss_mb()
        finally:
            self._stop_gunicorn()
        misses = json.loads(
            self._manage(
                "shell",
                "-c",
                "import json; from places.relevance import misses; print(json.dumps(misses()))",
            )
            .strip()
            .splitlines()[-1]
        )
        return {"results": results, "rss": rss, "relevance_misses": misses}

    # Report
    # -----------------------------------------------------------------------------------------

    def _machine(self) -> str:
        cpu = "?"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            postgres = cursor.fetchone()[0]
        return (
            f"{os.cpu_count()} cores ({cpu}), {int(memory.group(1)) / 1024 / 1024:.0f} GB RAM; "
            f"PostgreSQL {postgres}; Python {platform.python_version()}, Django "
            f"{django.get_version()}; gunicorn with (2 × cores) + 1 sync workers; wrk "
            f"{self.threads} threads, {self.connections} connections (sending Accept-Encoding: "
            f"gzip, as browsers do), {self.duration} s per "
            f"measure after a warm-up, on the same machine; cache: "
            f"{'Redis (shared by the workers)' if self.redis_url else 'local memory'}."
        )

    def _report(self, runs: dict, sizes: list[int], elapsed: float) -> str:
        lines = [
            f"Measured on {time.strftime('%Y-%m-%d')} with `make bench` "
            f"({elapsed / 60:.0f} min): {self._machine()}",
            "",
        ]
        for size in sizes:
            run = runs[size]
            results = run["results"]
            floor = results["floor"]["p50"]
            lines += [
                f"### {size:,} places".replace(",", " "),
                "",
                "| page | p50 ms | p95 ms | p99 ms | req/s | p50 ÷ floor | vs admin (p50) "
                "| first request ms |",
                "|---|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for key, label, _path, _kind in SCENARIOS:
                result = results[key]
                peer = PEER_OF.get(key)
                versus = f"{results[peer]['p50'] / result['p50']:.1f}× faster" if peer else ""
                lines.append(
                    f"| {label} | {result['p50'] / 1000:.1f} | {result['p95'] / 1000:.1f} | "
                    f"{result['p99'] / 1000:.1f} | {result['rps']:.0f} | "
                    f"{result['p50'] / floor:.1f} | {versus} | {result['cold_ms']:.0f} |"
                )
                if result["errors"] or result["non2xx"]:
                    lines[-1] += f" ⚠ {result['errors']} errors, {result['non2xx']} non-2xx"
            rss = ", ".join(f"{mb:.0f}" for mb in run["rss"])
            lines += [
                "",
                f"Worker memory after the run (RSS, MB): {rss}. Relevance set: "
                + (
                    "all 38 queries find their places in the first five."
                    if not run["relevance_misses"]
                    else f"{len(run['relevance_misses'])} misses: "
                    + "; ".join(run["relevance_misses"])
                ),
                "",
            ]
        lines += ["### Targets", "", *self._targets(runs, sizes), ""]
        return "\n".join(lines)

    def _targets(self, runs: dict, sizes: list[int]) -> list[str]:
        small, large = runs[sizes[0]]["results"], runs[sizes[-1]]["results"]
        checks = []
        for size in sizes:
            results = runs[size]["results"]
            floor = results["floor"]["p50"]
            for key in PAGE_TARGETS:
                ratio = results[key]["p50"] / floor
                checks.append((ratio <= 8, f"{key} p50 at {size}: {ratio:.1f}× the floor (≤ 8)"))
        for key, peer in PEER_OF.items():
            ratio = large[peer]["p50"] / large[key]["p50"]
            checks.append(
                (ratio >= 5, f"{key} at {sizes[-1]}: {ratio:.1f}× faster than the admin (≥ 5)")
            )
        for key, _label, _path, kind in SCENARIOS:
            if kind in ("floor", "peer"):
                continue
            ratio = large[key]["p95"] / small[key]["p95"]
            checks.append((ratio <= 2, f"{key} p95 {sizes[-1]} ÷ {sizes[0]}: {ratio:.1f} (≤ 2)"))
        worst_rss = max(mb for run in runs.values() for mb in run["rss"])
        checks.append((worst_rss <= 200, f"largest worker RSS: {worst_rss:.0f} MB (≤ 200)"))
        return [f"- {'✅ met' if ok else '❌ missed'}: {text}" for ok, text in checks]

    def _write(self, path: Path, report: str):
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if START in text and END in text:
            before, rest = text.split(START, 1)
            after = rest.split(END, 1)[1]
            text = f"{before}{START}\n{report}\n{END}{after}"
        else:
            text += f"\n{START}\n{report}\n{END}\n"
        path.write_text(text, encoding="utf-8")
