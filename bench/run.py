"""`make bench`: the directory under load, against a floor and a peer, cached and cold.

In a database of its own (``tierslieux_bench``, on the same PostgreSQL server as the project),
with production settings (debug off) and gunicorn (tierslieux/gunicorn.conf.py), at each size
(the 1,512 real places, then with synthetic places up to 100,000):

* **cached**: wrk drives each page type for a few seconds (p50 / p95 / p99, throughput); the
  first, uncached request of each is timed too;
* **varied**: hundreds of distinct query strings generated from the data (bench/corpus.py), each
  requested once with nothing of it cached, on one connection (the latency a visitor sees) and
  then, another set, on 8 (throughput);
* **peer**: the stock Django admin changelist (a plain ``ModelAdmin`` with ``search_fields``,
  registered for the benchmark only by bench.urls) searching the same words;
* **sitemap**: the index and every page of it, uncached.

In the same run: the floor (``/sante/``, a view doing nothing, through the same middleware). The
relevance set is checked at each size, the workers' memory read after each run, and the results
replace the generated part of docs/performance.md. Run as ``python -m bench``.
"""

import argparse
import concurrent.futures
import csv
import io
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg

from bench import corpus

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "tierslieux_bench"
REAL_PLACES = 1512
BENCH_PREFIX = "tierslieux-bench"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
# The longest search the site answers: a query string within MAX_QUERY_STRING_BYTES (4,096;
# longer ones get a 400 before any view runs), far beyond the 200 characters searched.
LONG_QUERY = "tiers lieu coworking " * 130  # 2,730 characters, 3,512 bytes once encoded
ALL_FILTERS = (
    "q=atelier&region=normandie&departement=14&famille=coworking&famille=fablab"
    "&partenariat=tig&niveau=justice&partenariat_actif=1&espace=atelier&ouvert=1"
    "&activite=atelier&public=jeunes&tri=nom"
)
STOCK_ADMIN = "/bench-admin/places/place/"
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
    (
        "long_query",
        "Worst: longest query answered (2,730 characters)",
        "/lieux/?q=" + quote(LONG_QUERY),
        "worst",
    ),
    ("api", "API: list of places (JSON)", "/api/v1/lieux/", "page"),
    ("api_search", "API: search + filter", "/api/v1/lieux/?q=fablab&region=bretagne", "page"),
    ("peer_common", "Peer: stock admin, common word", STOCK_ADMIN + "?q=coworking", "peer"),
    ("peer_rare", "Peer: stock admin, rare word", STOCK_ADMIN + "?q=colombelles", "peer"),
    ("peer_typo", "Peer: stock admin, typo", STOCK_ADMIN + "?q=montpelier", "peer"),
]
WORKERS = (os.cpu_count() or 1) * 2 + 1
# Statistics pages, each requested once uncached (France, a région, a département, in English)
STATISTICS = (
    "/statistiques/",
    "/statistiques/normandie/",
    "/statistiques/14/",
    "/en/statistiques/",
)
# The map's points for views a visitor opens or reaches by panning and zooming (France, a
# région, a city, a search, the whole world zoomed out), each requested once uncached
MAP_VIEWS = (
    "/carte/points.json?bbox=-5.2,41.3,9.6,51.1&zoom=5",
    "/carte/points.json?bbox=-5.2,41.3,9.6,51.1&zoom=6",
    "/carte/points.json?bbox=-180,-85,180,85&zoom=0",
    "/carte/points.json?region=normandie&bbox=-2,48,2,51&zoom=7",
    "/carte/points.json?bbox=-0.45,49.1,-0.25,49.25&zoom=12",
    "/carte/points.json?q=coworking&bbox=-5.2,41.3,9.6,51.1&zoom=6",
    "/carte/points.json?famille=fablab&partenariat=tig&bbox=-5.2,41.3,9.6,51.1&zoom=5",
    "/carte/?region=normandie",
)
PEER_OF = {"search_common": "peer_common", "search_rare": "peer_rare", "search_typo": "peer_typo"}
PAGE_TARGETS = ("list", "list_filters", "place")  # p50 ≤ 8 × floor
API_TARGETS = ("api", "api_search")  # p50 ≤ 10 × floor
# The varied scenario: distinct requests on one connection, another set on 8; the peer searches
# the words of the first set's searches (a sample: the stock admin takes about a second each at
# 100,000 places).
VARIED_ONE, VARIED_MANY, PEER_SAMPLE = 400, 1000, 60
# The API asked the first set's questions but late pages (its list takes every parameter of
# /lieux/).
API_SAMPLE = 200
# Whole files of every place, streamed (never cached): (key, label, path).
EXPORTS = [
    ("csv", "CSV, a row per place", "/lieux.csv"),
    ("csv_partnerships", "CSV, a row per partnership", "/lieux.csv?niveau=partenariats"),
    ("json", "JSON, nested", "/lieux.json"),
]
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


class BenchError(Exception):
    pass


def _redis_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def summary(latencies: list[float], wall: float | None = None, errors: int = 0) -> dict:
    """p50 / p95 / p99 / max in ms (and req/s over ``wall`` seconds)."""
    result = {
        "count": len(latencies),
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
        "errors": errors,
    }
    if wall:
        result["rps"] = len(latencies) / wall
    return result


def project_server() -> dict:
    """The PostgreSQL server of the project: DATABASE_URL, or the embedded one (started now)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tierslieux.settings")
    import django
    from django.db import connection

    django.setup()
    db = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": str(db["PORT"] or 5432),
        "user": db["USER"] or "postgres",
        "password": db["PASSWORD"] or "",
        "version": version,
        "django": django.get_version(),
    }


class Bench:
    def __init__(self, sizes, duration, connections, threads):
        self.sizes, self.duration = sizes, duration
        self.connections, self.threads = connections, threads
        self.server = project_server()
        self.workdir = Path(tempfile.mkdtemp(prefix="tierslieux-bench-"))
        (self.workdir / "report.lua").write_text(WRK_SCRIPT)
        self.env = self._environment()

    def log(self, text: str):
        print(text, flush=True)

    def run(self) -> str:
        started = time.monotonic()
        try:
            self._clear_cache()
            self._create_database()
            self._prepare()
            runs = {}
            for size in self.sizes:
                self._grow_to(size)
                runs[size] = self._measure(size)
            return self._report(runs, time.monotonic() - started)
        finally:
            self._clear_cache()
            self._drop_database()
            shutil.rmtree(self.workdir, ignore_errors=True)

    # The database and the server
    # -----------------------------------------------------------------------------------------

    def _database_url(self, name: str = DATABASE) -> str:
        server = self.server
        credentials = quote(server["user"], safe="")
        if server["password"]:
            credentials += ":" + quote(server["password"], safe="")
        host = quote(server["host"], safe="")
        return f"postgres://{credentials}@{host}:{server['port']}/{name}"

    def _admin_connection(self):
        return psycopg.connect(self._database_url("postgres"), autocommit=True)

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
            DJANGO_SETTINGS_MODULE="bench.settings",
            DJANGO_SECRET_KEY="bench-" + os.urandom(16).hex(),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            # Production settings over plain http on loopback, one client hammering on purpose.
            DJANGO_SECURE_COOKIES="0",
            DJANGO_SECURE_SSL_REDIRECT="0",
            DJANGO_HSTS_SECONDS="0",
            DJANGO_RATELIMIT_ENABLE="0",
            DJANGO_STATIC_ROOT=str(self.workdir / "static"),
            DJANGO_MEDIA_ROOT=str(self.workdir / "media"),
            DJANGO_LOG_LEVEL="ERROR",
            CACHE_KEY_PREFIX=BENCH_PREFIX,
        )
        if not env.get("REDIS_URL") and _redis_answers("127.0.0.1", 6379):
            env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        self.redis_url = env.get("REDIS_URL")
        return env

    def _clear_cache(self, keep=()):
        """Remove this benchmark's keys from Redis (never anything else), but those whose kind
        is in ``keep`` (``places:<kind>:``)."""
        if not self.redis_url:
            return
        import redis

        client = redis.Redis.from_url(self.redis_url)
        for key in client.scan_iter(f"{BENCH_PREFIX}:*"):
            if not any(f":places:{kind}:".encode() in key for kind in keep):
                client.delete(key)

    def _settle(self) -> float:
        """Wait for the work a data change starts to end, and return how long it took (s): the
        process that builds the facet index for a new data version then ranks the commonest
        words in the background (places.facets.warm_in_background), seconds of CPU at 100,000
        places. Measured while it runs, every figure would carry a share of it, more or less
        by chance. Done when no new ranked list has appeared for two seconds (with Redis);
        otherwise after a fixed wait."""
        started = time.perf_counter()
        self._request("/lieux/?espace=hebergement")  # builds the index if none is current
        if not self.redis_url:
            time.sleep(15)
            return time.perf_counter() - started
        import redis

        client = redis.Redis.from_url(self.redis_url)
        seen, quiet_since = -1, time.perf_counter()
        while time.perf_counter() - started < 120:
            ranked = sum(1 for _ in client.scan_iter(f"{BENCH_PREFIX}:*:places:ranked:*"))
            if ranked != seen:
                seen, quiet_since = ranked, time.perf_counter()
            elif time.perf_counter() - quiet_since >= 2:
                break
            time.sleep(0.25)
        return quiet_since - started  # until the last list appeared

    def _fresh_start(self) -> tuple[float, float]:
        """A new data version, as after any change, then nothing cached but what it builds
        before any visitor asks: the facet index (its build timed: the first request after
        the change, nothing cached at all) and the commonest words' ranked lists, computed in
        the background by the process that built the index (``_settle``). With a local-memory
        cache, each worker builds its own index: a request per worker first."""
        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as db:
            db.execute("UPDATE places_dataversion SET value = value + 1 WHERE id = 1")
        self._clear_cache()
        index_ms = self._timed("/lieux/?espace=hebergement")
        warm_s = self._settle()
        self._clear_cache(keep=("facet-index", "ranked"))
        if not self.redis_url:
            for worker in range(WORKERS * 2):
                self._request(f"/lieux/?q=warmup{worker}")
        return index_ms, warm_s

    def _manage(self, *arguments) -> str:
        return manage(self.env, *arguments)

    def _prepare(self):
        self.log("Base de mesure : migrations, fichiers statiques, données réelles…")
        self._manage("migrate", "--no-input", "-v0")
        self._manage("collectstatic", "--no-input", "-v0")
        self._manage("import_cget", str(ROOT / "data" / "cget-tiers-lieux-2019.csv"))
        self._manage("load_reference_data")
        self._manage("load_communes")  # populations and intercommunalités: statistics, "near"
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
        with psycopg.connect(self._database_url()) as db:
            current = db.execute("SELECT count(*) FROM places_place").fetchone()[0]
        if size > current:
            self.log(f"Lieux synthétiques : +{size - current}…")
            self.log(self._manage("generate_places", "--count", str(size - current)).strip())
        # What an operator does after a bulk load (PostgreSQL's « Populating a Database »):
        # VACUUM ANALYZE, so that the planner knows the new rows and the index-only scans
        # (statistics) need not visit the table; then let the aftermath pass before measuring.
        with psycopg.connect(self._database_url(), autocommit=True) as db:
            db.execute("VACUUM ANALYZE")
        with self._admin_connection() as admin:
            admin.execute("CHECKPOINT")
        time.sleep(5)

    def _start_gunicorn(self):
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
        self.gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "tierslieux" / "gunicorn.conf.py"),
                "tierslieux.wsgi",
            ],
            cwd=ROOT,
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
        raise BenchError(
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

    def _request(self, path: str, cookie: str | None = None) -> tuple[float, int, bytes]:
        """(milliseconds, status, body) of one request, as a browser sends it."""
        request = urllib.request.Request(self.base + path, headers={"Accept-Encoding": "gzip"})
        if cookie:
            request.add_header("Cookie", cookie)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
        return (time.perf_counter() - started) * 1000, status, body

    def _timed(self, path: str, cookie: str | None = None) -> float:
        elapsed, status, _body = self._request(path, cookie)
        if status != 200:
            raise BenchError(f"{path} : HTTP {status}")
        return elapsed

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

    def _each_once(self, paths: list[str], connections: int, cookie=None) -> dict:
        """Every path requested once, on ``connections`` connections at a time."""
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(connections) as pool:
            results = list(pool.map(lambda path: self._request(path, cookie), paths))
        wall = time.perf_counter() - started
        errors = sum(status != 200 for _ms, status, _body in results)
        measured = summary([ms for ms, _status, _body in results], wall, errors)
        slowest = max(zip(results, paths, strict=True), key=lambda pair: pair[0][0])
        measured["slowest"] = slowest[1]
        return measured

    def _cached(self, size: int, cookie: str) -> dict:
        results = {}
        last = max(1, math.ceil(size / 50))
        for key, _label, path, kind in SCENARIOS:
            path = path.format(last=last)
            auth = cookie if kind == "peer" else None
            cold = self._timed(path, auth)  # the first request: nothing cached yet
            # Warm up long enough for every worker to have computed the page once (with a
            # local-memory cache each worker computes it; with Redis the first did).
            warm = 1 if self.redis_url else min(20, 1 + math.ceil(cold * WORKERS / 1000))
            self._wrk(path, auth, warm)
            result = self._wrk(path, auth, self.duration)
            result["cold_ms"] = cold
            results[key] = result
            self.log(
                f"  {key:15} p50 {result['p50'] / 1000:7.1f} ms  p95 "
                f"{result['p95'] / 1000:7.1f} ms  {result['rps']:7.0f} req/s"
            )
        return results

    def _varied(self, cookie: str) -> dict:
        """Distinct requests, nothing of them cached: one connection, then eight; the stock
        admin searching the same words."""
        requests = corpus.generate(self.env["DATABASE_URL"], VARIED_ONE + VARIED_MANY)
        fixed = {path for _key, _label, path, _kind in SCENARIOS}
        requests = [request for request in requests if request.path not in fixed]
        one, many = requests[:VARIED_ONE], requests[VARIED_ONE:]
        index_ms, warm_s = self._fresh_start()
        results = {
            "one": self._each_once([r.path for r in one], 1),
            "index_ms": index_ms,
            "warm_s": warm_s,
        }
        self.log(
            "  varied, 1 connection: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max:.0f} ms "
            "({slowest})".format(**results["one"])
        )
        results["many"] = self._each_once([r.path for r in many], self.connections)
        self.log(
            "  varied, {c} connections: {rps:.0f} req/s, p50 {p50:.0f} ms, max {max:.0f} ms".format(
                c=self.connections, **results["many"]
            )
        )
        self._fresh_start()
        # late pages left out: the list shows its last page for a page beyond it, the API answers
        # 404 (docs/api.md), which the measure would count as errors
        asked = [r for r in one if r.kind != "late_page"][:API_SAMPLE]
        results["api"] = self._each_once(
            [r.path.replace("/lieux/", "/api/v1/lieux/", 1) for r in asked], 1
        )
        self.log(
            "  API, the same questions: p50 {p50:.0f} ms, max {max:.0f} ms".format(**results["api"])
        )
        words = [r.words for r in one if r.words and r.kind in ("word", "typo", "common")]
        words = list(dict.fromkeys(words))[:PEER_SAMPLE]
        self._fresh_start()  # uncached again
        results["search"] = self._each_once(["/lieux/?" + urlencode({"q": w}) for w in words], 1)
        results["peer"] = self._each_once(
            [STOCK_ADMIN + "?" + urlencode({"q": word}) for word in words], 1, cookie
        )
        results["kinds"] = {kind: len([r for r in one if r.kind == kind]) for kind in corpus.KINDS}
        # The worst case: the commonest words misspelt in the seconds after a data change,
        # before the background has ranked them (nothing cached but the facet index).
        self._fresh_start()
        self._clear_cache(keep=("facet-index",))
        results["worst"] = {
            request.path: self._timed(request.path)
            for request in corpus.worst(self.env["DATABASE_URL"])
        }
        self.log(
            "  worst: " + ", ".join(f"{path} {ms:.0f} ms" for path, ms in results["worst"].items())
        )
        self.log(
            f"  same words: directory p50 {results['search']['p50']:.0f} ms, "
            f"stock admin p50 {results['peer']['p50']:.0f} ms"
        )
        return results

    def _sitemap(self) -> dict:
        """The index and every page of it, uncached."""
        self._clear_cache(keep=("facet-index",))
        ms, status, body = self._request("/sitemap.xml", None)
        body = self._gunzip(body)
        pages = [
            url.replace(self.base, "").replace("http://127.0.0.1", "")
            for url in re.findall(rb"<loc>([^<]+)</loc>", body)
            for url in [url.decode()]
        ]
        timings, sizes = [], []
        for page in pages:
            elapsed, status, page_body = self._request(page)
            if status != 200:
                raise BenchError(f"{page} : HTTP {status}")
            timings.append(elapsed)
            sizes.append(self._gunzip(page_body).count(b"<url>"))
        result = summary(timings)
        result.update(index_ms=ms, pages=len(pages), most_urls=max(sizes), urls=sum(sizes))
        self.log(
            "  sitemap: {pages} pages, {urls} URLs, slowest page {max:.0f} ms, "
            "most URLs in a page {most_urls}".format(**result)
        )
        return result

    def _uncached_once(self, name: str, paths) -> dict:
        """Each path once, nothing of it cached (the facet index aside: built once per data
        version, timed on its own)."""
        self._clear_cache(keep=("facet-index",))
        timings = {}
        for path in paths:
            elapsed, status, _body = self._request(path)
            if status != 200:
                raise BenchError(f"{path} : HTTP {status}")
            timings[path] = elapsed
        self.log(f"  {name}: " + ", ".join(f"{p} {ms:.0f} ms" for p, ms in timings.items()))
        return timings

    def _exports(self, size: int) -> dict:
        """Each whole file of every place, once, read as it streams: the first byte, the
        places per second, the rows (checked against the number of places) and the workers'
        memory after it."""
        results = {}
        for key, _label, path in EXPORTS:
            started = time.perf_counter()
            with urllib.request.urlopen(self.base + path, timeout=120) as response:
                first = response.read(1)
                first_ms = (time.perf_counter() - started) * 1000
                body = first + response.read()
            seconds = time.perf_counter() - started
            if key == "json":
                rows = len(json.loads(body)["lieux"])
            else:
                rows = sum(1 for _row in csv.reader(io.StringIO(body.decode("utf-8-sig")))) - 1
            if key != "csv_partnerships" and rows != size:
                raise BenchError(f"{path} : {rows} lignes pour {size} lieux")
            results[key] = {
                "first_ms": first_ms,
                "seconds": seconds,
                "rows": rows,
                "places_per_s": size / seconds,
                "mb": len(body) / 1e6,
                "rss": max(self._worker_rss_mb()),
            }
            self.log(
                f"  {key:16} first byte {first_ms:5.0f} ms, {seconds:5.1f} s, "
                f"{size / seconds:6.0f} places/s, {rows} rows, RSS {results[key]['rss']:.0f} MB"
            )
        return results

    @staticmethod
    def _gunzip(body: bytes) -> bytes:
        import gzip

        return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body

    def _measure(self, size: int) -> dict:
        self.log(f"Mesures à {size} lieux…")
        self._start_gunicorn()
        cookie = f"sessionid={self.session}"
        try:
            self._settle()  # the data just grew: its index and warm-up, before any measure
            cached = self._cached(size, cookie)
            varied = self._varied(cookie)
            sitemap = self._sitemap()
            statistics = self._uncached_once("statistics", STATISTICS)
            map_views = self._uncached_once("map", MAP_VIEWS)
            exports = self._exports(size)
            rss = self._worker_rss_mb()
        finally:
            self._stop_gunicorn()
        misses = json.loads(
            self._manage(
                "shell",
                "-c",
                "import json; from bench.relevance import misses; print(json.dumps(misses()))",
            )
            .strip()
            .splitlines()[-1]
        )
        designs = json.loads(
            self._manage("shell", "-c", "from bench.facet_designs import main; main()")
            .strip()
            .splitlines()[-1]
        )
        return {
            "results": cached,
            "varied": varied,
            "sitemap": sitemap,
            "statistics": statistics,
            "map": map_views,
            "exports": exports,
            "rss": rss,
            "relevance_misses": misses,
            "designs": designs,
        }

    # Report
    # -----------------------------------------------------------------------------------------

    def _machine(self) -> str:
        cpu = "?"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        return (
            f"{os.cpu_count()} cores ({cpu}), {int(memory.group(1)) / 1024 / 1024:.0f} GB RAM; "
            f"PostgreSQL {self.server['version']}; Python {platform.python_version()}, Django "
            f"{self.server['django']}; gunicorn with (2 × cores) + 1 sync workers; cache: "
            f"{'Redis (shared by the workers)' if self.redis_url else 'local memory'}. Cached "
            f"pages: wrk {self.threads} threads, {self.connections} connections (sending "
            f"Accept-Encoding: gzip, as browsers do), {self.duration} s per measure after a "
            f"warm-up. Varied: {VARIED_ONE} distinct requests on one connection, {VARIED_MANY} "
            f"others on {self.connections}, each once, nothing of them cached; all on the same "
            "machine as the server."
        )

    def _report(self, runs: dict, elapsed: float) -> str:
        lines = [
            f"Measured on {time.strftime('%Y-%m-%d')} with `make bench` "
            f"({elapsed / 60:.0f} min): {self._machine()}",
            "",
        ]
        for size in self.sizes:
            run = runs[size]
            results = run["results"]
            floor = results["floor"]["p50"]
            lines += [
                f"### {size:,} places".replace(",", " "),
                "",
                "Cached pages (the same URL again and again):",
                "",
                "| page | p50 ms | p95 ms | p99 ms | req/s | p50 ÷ floor | vs stock admin (p50) "
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
            varied, sitemap = run["varied"], run["sitemap"]
            kinds = ", ".join(
                f"{n} {kind.replace('_', ' ')}" for kind, n in varied["kinds"].items()
            )
            lines += [
                "",
                f"Varied, nothing cached (each distinct request once; the first set: {kinds}):",
                "",
                "| scenario | requests | p50 ms | p95 ms | p99 ms | max ms | req/s | errors |",
                "|---|---:|---:|---:|---:|---:|---:|---:|",
            ]
            rows = [
                ("Directory, 1 connection", varied["one"]),
                (f"Directory, {self.connections} connections", varied["many"]),
                ("Search, the same words (1 connection)", varied["search"]),
                ("Peer: stock admin, the same words (1 connection)", varied["peer"]),
                (f"API, the first {API_SAMPLE} questions (1 connection)", varied["api"]),
                ("Sitemap pages (1 connection)", sitemap),
            ]
            for label, result in rows:
                lines.append(
                    f"| {label} | {result['count']} | {result['p50']:.0f} | {result['p95']:.0f} "
                    f"| {result['p99']:.0f} | {result['max']:.0f} | "
                    f"{result.get('rps', 0):.0f} | {result['errors']} |"
                )
            lines += [
                "",
                "Whole files of every place, streamed (never cached), each read once:",
                "",
                "| file | rows | MB | first byte ms | seconds | places/s | worker RSS after, MB |",
                "|---|---:|---:|---:|---:|---:|---:|",
            ]
            for key, label, path in EXPORTS:
                result = run["exports"][key]
                lines.append(
                    f"| {label} (`{path}`) | {result['rows']} | {result['mb']:.1f} | "
                    f"{result['first_ms']:.0f} | {result['seconds']:.1f} | "
                    f"{result['places_per_s']:.0f} | {result['rss']:.0f} |"
                )
            designs = run["designs"]
            lines += [
                "",
                "Facet counts of a search's whole result (every option, no other filter), the "
                "matching ids given (bench/facet_designs.py, median of five):",
                "",
                "| words | matches | SQL over per-place key arrays, ms | bitmaps, ms |",
                "|---|---:|---:|---:|",
            ]
            for word, figures in designs.items():
                if isinstance(figures, dict):
                    lines.append(
                        f"| {word} | {figures['matches']} | {figures['sql_ms']} | "
                        f"{figures['bitmaps_ms']} |"
                    )
            lines.append(
                f"\nBuilding the bitmaps (once per data version): "
                f"{designs['bitmap_index_build_ms']} ms."
            )
            rss = ", ".join(f"{mb:.0f}" for mb in run["rss"])
            lines += [
                "",
                f"Slowest varied request (1 connection): `{varied['one']['slowest'][:150]}`. "
                f"First request after a data change (builds the facet index, nothing cached): "
                f"{varied['index_ms']:.0f} ms; then the commonest words ranked in the background: "
                f"{varied['warm_s']:.1f} s, before the varied requests (which find those lists, as "
                "any visitor does once they are ranked). The worst case, the commonest words "
                "misspelt before they are ranked (nothing cached but the facet index): "
                + ", ".join(f"`{path}` {ms:.0f} ms" for path, ms in varied["worst"].items())
                + ". "
                f"Sitemap: an index of {sitemap['pages']} pages ({sitemap['index_ms']:.0f} ms), "
                f"{sitemap['urls']} URLs, at most {sitemap['most_urls']} in a page. "
                "Statistics pages, each once, nothing cached: "
                + ", ".join(f"`{path}` {ms:.0f} ms" for path, ms in run["statistics"].items())
                + ". Map views, each once, nothing cached: "
                + ", ".join(f"`{path}` {ms:.0f} ms" for path, ms in run["map"].items())
                + ".",
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
        lines += ["### Targets", "", *self._targets(runs), ""]
        return "\n".join(lines)

    def _targets(self, runs: dict) -> list[str]:
        sizes = self.sizes
        small, large = runs[sizes[0]], runs[sizes[-1]]
        checks = []
        one, many = large["varied"]["one"], large["varied"]["many"]
        n = f"{sizes[-1]:,}".replace(",", " ")
        checks += [
            (
                one["p50"] <= 50,
                f"varied uncached at {n}, 1 connection: p50 {one['p50']:.0f} ms (≤ 50)",
            ),
            (
                one["p95"] <= 150,
                f"varied uncached at {n}, 1 connection: p95 {one['p95']:.0f} ms (≤ 150)",
            ),
            (
                one["max"] <= 500,
                f"varied uncached at {n}: slowest of {one['count']} requests {one['max']:.0f} ms "
                "(≤ 500)",
            ),
            (
                max(large["varied"]["worst"].values()) <= 500,
                f"worst case at {n}, the commonest words misspelt before they are ranked: "
                f"slowest {max(large['varied']['worst'].values()):.0f} ms (≤ 500)",
            ),
            (
                many["rps"] >= 60,
                f"varied uncached at {n}, {self.connections} connections: {many['rps']:.0f} "
                "req/s (≥ 60)",
            ),
            (
                one["errors"] + many["errors"] == 0,
                f"varied at {n}: {one['errors'] + many['errors']} errors (0)",
            ),
        ]
        search, peer = large["varied"]["search"], large["varied"]["peer"]
        ratio = peer["p50"] / search["p50"]
        checks.append(
            (
                ratio >= 10,
                f"varied search at {n}: {ratio:.0f}× faster (p50) than the stock admin (≥ 10)",
            )
        )
        exports = large["exports"]
        csv_export = exports["csv"]
        checks.append(
            (
                csv_export["places_per_s"] >= 5000,
                f"CSV of every place at {n}: {csv_export['places_per_s']:.0f} places/s (≥ 5 000)",
            )
        )
        for key, _label, _path in EXPORTS:
            result = exports[key]
            checks.append(
                (
                    result["first_ms"] <= 500 and result["rss"] <= 200,
                    f"{key} export at {n}: first byte in {result['first_ms']:.0f} ms (≤ 500), "
                    f"worker RSS {result['rss']:.0f} MB (≤ 200)",
                )
            )
        api = large["varied"]["api"]
        checks.append(
            (
                api["p50"] <= 50 and api["p95"] <= 150 and api["max"] <= 500,
                f"API uncached at {n}, 1 connection: p50 {api['p50']:.0f} ms (≤ 50), p95 "
                f"{api['p95']:.0f} ms (≤ 150), slowest {api['max']:.0f} ms (≤ 500)",
            )
        )
        ratio = one["p95"] / small["varied"]["one"]["p95"]
        checks.append((ratio <= 2, f"varied p95 {n} ÷ {sizes[0]}: {ratio:.1f} (≤ 2)"))
        for size in sizes:
            sitemap = runs[size]["sitemap"]
            checks.append(
                (
                    sitemap["max"] <= 300 and sitemap["most_urls"] <= 10_000,
                    f"sitemap at {size}: slowest page {sitemap['max']:.0f} ms (≤ 300), at most "
                    f"{sitemap['most_urls']} URLs a page (≤ 10 000), {sitemap['pages']} pages "
                    "listed",
                )
            )
        for key, label in (("statistics", "statistics pages"), ("map", "map views")):
            slowest = max(large[key].items(), key=lambda item: item[1])
            checks.append(
                (
                    slowest[1] <= 500,
                    f"{label} at {n}, uncached: slowest `{slowest[0]}` {slowest[1]:.0f} ms "
                    "(≤ 500, as any uncached request)",
                )
            )
        for size in sizes:
            results = runs[size]["results"]
            floor = results["floor"]["p50"]
            for key in PAGE_TARGETS:
                ratio = results[key]["p50"] / floor
                checks.append(
                    (ratio <= 8, f"cached {key} p50 at {size}: {ratio:.1f}× the floor (≤ 8)")
                )
            for key in API_TARGETS:
                ratio = results[key]["p50"] / floor
                checks.append(
                    (ratio <= 10, f"cached {key} p50 at {size}: {ratio:.1f}× the floor (≤ 10)")
                )
        for key, _label, _path, kind in SCENARIOS:
            if kind in ("floor", "peer"):
                continue
            ratio = large["results"][key]["p95"] / small["results"][key]["p95"]
            checks.append((ratio <= 2, f"cached {key} p95 {n} ÷ {sizes[0]}: {ratio:.1f} (≤ 2)"))
        worst_rss = max(mb for run in runs.values() for mb in run["rss"])
        checks.append((worst_rss <= 200, f"largest worker RSS: {worst_rss:.0f} MB (≤ 200)"))
        return [f"- {'✅ met' if ok else '❌ missed'}: {text}" for ok, text in checks]


def write(path: Path, report: str, start: str = START, end: str = END):
    """Put ``report`` between the ``start`` and ``end`` markers of ``path`` (appended if absent)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = f"{before}{start}\n{report}\n{end}{after}"
    else:
        text += f"\n{start}\n{report}\n{end}\n"
    path.write_text(text, encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *arguments) -> str:
    """``manage.py arguments`` in a process of its own with ``env``; its output, or BenchError."""
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise BenchError(f"manage.py {' '.join(arguments)} : {result.stderr[-2000:]}")
    return result.stdout


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Mesure l'annuaire sous charge (gunicorn, wrk), en cache et à froid, à "
        "1 512 et 100 000 lieux ; voir docs/performance.md.",
    )
    parser.add_argument("--sizes", default="1512,100000", help="Nombres de lieux (total)")
    parser.add_argument("--duration", type=int, default=8, help="Secondes par mesure en cache")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--write", type=Path, help="docs/performance.md à mettre à jour")
    options = parser.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk est introuvable : `make bench` l'installe (paquet Debian).")
    sizes = sorted(int(size) for size in options.sizes.split(","))
    if sizes[0] < REAL_PLACES:
        sys.exit(f"Chaque taille doit valoir au moins {REAL_PLACES} (les lieux réels).")
    bench = Bench(sizes, options.duration, options.connections, options.threads)
    try:
        report = bench.run()
    except BenchError as error:
        sys.exit(str(error))
    print(report)
    if options.write:
        write(options.write, report)
        print(f"\n{options.write} mis à jour.")
