"""The embedded PostgreSQL stops with the last process of the project, whatever the exit, and a
damaged process list never blocks a start. Each test runs real processes (runserver with its
autoreloader, manage.py) on a server of its own (EMBEDDED_PGDATA), never the suite's."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the embedded server serves only without it"
)


@pytest.fixture(scope="module")
def pgdata(tmp_path_factory):
    path = tmp_path_factory.mktemp("embedded") / "pgdata"
    yield path
    subprocess.run([sys.executable, "-m", "tierslieux.embedded_db", "stop"], env=environment(path))


def environment(pgdata: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_DEBUG")}
    return {**env, "EMBEDDED_PGDATA": str(pgdata), "DJANGO_DEBUG": "1", "PYTHONUNBUFFERED": "1"}


def postgres_servers(pgdata: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline", "status"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        alive = process.info["status"] != psutil.STATUS_ZOMBIE
        if alive and process.info["name"] == "postgres" and str(pgdata) in cmdline:
            found.append(process)
    return found


def processes_with(text: str) -> list[psutil.Process]:
    return [
        process
        for process in psutil.process_iter(["cmdline", "status"])
        if process.info["status"] != psutil.STATUS_ZOMBIE
        and text in " ".join(process.info["cmdline"] or [])
    ]


def registered(pgdata: Path) -> str:
    path = pgdata / ".handle_pids.json"
    return path.read_text() if path.exists() else "[]"


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"after {timeout} s: {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_runserver(pgdata: Path, make: bool = False):
    port = free_port()
    command = (
        ["make", "run", f"PORT={port}"]
        if make
        else [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"]
    )
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment(pgdata),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, as in a terminal
    )

    def answers():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/sante/", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    wait_until(answers, 240, "runserver never answered")
    assert postgres_servers(pgdata)
    # the autoreloader's parent and the child serving, both registered
    wait_until(lambda: len(json.loads(registered(pgdata))) == 2, 10, registered(pgdata))
    servers = processes_with(f"runserver 127.0.0.1:{port}")
    assert len([p for p in servers if p.name().startswith("python")]) == 2
    return process, port


def assert_all_gone(process, port, pgdata):
    process.wait(timeout=30)
    wait_until(lambda: not processes_with(f"runserver 127.0.0.1:{port}"), 20, "runserver left")
    wait_until(lambda: not postgres_servers(pgdata), 20, "PostgreSQL still runs")
    assert json.loads(registered(pgdata)) == []


def test_ctrl_c_on_make_run_stops_postgresql_even_after_a_truncated_process_list(pgdata):
    """The whole of `make run` (migrate, the census, the staff account, runserver) on a fresh
    server whose process list was left empty by an earlier kill; then Ctrl-C."""
    subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment(pgdata))
    (pgdata / ".handle_pids.json").write_text("")  # what a kill mid-write left behind
    process, port = start_runserver(pgdata, make=True)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal sends to its foreground group
    assert_all_gone(process, port, pgdata)


def test_ctrl_c_on_runserver_stops_postgresql(pgdata):
    process, port = start_runserver(pgdata)
    os.killpg(process.pid, signal.SIGINT)
    assert_all_gone(process, port, pgdata)


def test_sigterm_to_runserver_stops_its_child_and_postgresql(pgdata):
    process, port = start_runserver(pgdata)
    process.send_signal(signal.SIGTERM)  # the parent only: its child must not be left serving
    assert_all_gone(process, port, pgdata)


@pytest.mark.parametrize("content", ["", "[12, 3", "not json", "[999999999]", '{"a": 1}'])
def test_a_damaged_process_list_is_repaired(pgdata, content):
    subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment(pgdata))
    (pgdata / ".handle_pids.json").write_text(content)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment(pgdata),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(registered(pgdata)) == []  # rewritten whole, the dead pid pruned
    wait_until(lambda: not postgres_servers(pgdata), 20, "PostgreSQL still runs")


def test_make_stop_stops_a_server_left_running(pgdata):
    # a process killed with SIGKILL cannot clean up: its server stays, its pid stays listed
    holder = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", "import time; time.sleep(600)"],
        cwd=ROOT,
        env=environment(pgdata),
    )
    wait_until(lambda: postgres_servers(pgdata), 60, "PostgreSQL never started")
    wait_until(lambda: json.loads(registered(pgdata)) == [holder.pid], 30, registered(pgdata))
    holder.kill()
    holder.wait()
    assert postgres_servers(pgdata)
    result = subprocess.run(
        ["make", "stop"], cwd=ROOT, env=environment(pgdata), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "stopped" in result.stdout
    wait_until(lambda: not postgres_servers(pgdata), 20, "PostgreSQL still runs")
