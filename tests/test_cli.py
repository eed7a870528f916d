"""The ``growth-manager`` command: help texts, and ``run`` as a real process tree."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select

from growth_manager.auth.dependencies import hash_api_token
from growth_manager.cli import main
from growth_manager.kit.clock import utcnow
from growth_manager.models.jobs import ProcessHeartbeat
from growth_manager.models.user import ApiToken, User

T = TypeVar("T")


# Help -------------------------------------------------------------------------------------------
def test_main_help_lists_every_command_with_what_it_does() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command, words in {
        "run": "Migrate, then run web, worker, beat",
        "web": "Serve the dashboard and the REST API",
        "worker": "Run a Celery worker",
        "beat": "Run Celery beat",
        "migrate": "Create or upgrade the database schema",
        "create-user": "Create a user who can log in",
        "sandbox": "Run the platform sandbox",
    }.items():
        line = next((ln for ln in result.output.splitlines() if ln.strip().startswith(command)), "")
        assert words in line, f"{command}: {line!r}"
    assert "GROWTH_*" in result.output


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("run", ["SIGTERM stops all of them", "--no-sandbox", "--health-timeout"]),
        ("web", ["uvicorn", "--host", "--port"]),
        ("worker", ["GROWTH_BROKER_URL", "--concurrency", "--queues"]),
        ("beat", ["Run exactly one", "/api/v1/scheduler/status"]),
        ("migrate", ["latest version"]),
        ("create-user", ["--email", "--password"]),
        ("sandbox", ["--port", "--seed"]),
    ],
)
def test_each_command_explains_itself(command: str, expected: list[str]) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    for text in expected:
        assert text in result.output, f"{command} --help lacks {text!r}"


# run as a real process tree ------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(check: Callable[[], T | None], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces; fields follow the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _descendants(pid: int) -> list[int]:
    result = []
    for child in _children_of(pid):
        result.append(child)
        result.extend(_descendants(child))
    return result


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@dataclass
class RunningProduct:
    process: subprocess.Popen[bytes]
    output: Path
    port: int
    database_url: str

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")


@pytest.fixture
def running_product(tmp_path: Path) -> Iterator[RunningProduct]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database_url = f"sqlite:///{data_dir / 'growth.sqlite3'}"
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("GROWTH_")} | {
        "GROWTH_DATA_DIR": str(data_dir),
        "GROWTH_PORT": str(port),
        "GROWTH_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "GROWTH_LOG_LEVEL": "WARNING",
        "GROWTH_WORKER_CONCURRENCY": "1",
    }
    output = tmp_path / "run.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "growth_manager", "run", "--no-sandbox"],
            env=env,
            cwd=tmp_path,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    product = RunningProduct(process, output, port, database_url)
    try:
        _wait_for(
            lambda: "Growth Manager is running at" in product.text() or process.poll() is not None,
            timeout=180,
            what="run to announce its URL",
        )
        assert process.poll() is None, product.text()
        yield product
    finally:
        if process.poll() is None:
            # A failed test must not leave a product running: stop it the way a user would.
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                for pid in _descendants(process.pid):
                    os.kill(pid, signal.SIGKILL)
                process.kill()
                process.wait()


def _bearer(database_url: str) -> dict[str, str]:
    from sqlalchemy.orm import Session

    token = "gm_" + secrets.token_urlsafe(24)
    engine = create_engine(database_url, connect_args={"timeout": 30})
    with Session(engine) as session, session.begin():
        user = User(email="run@example.com", password_hash="x")
        session.add(user)
        session.flush()
        session.add(
            ApiToken(
                user_id=user.id,
                token_hash=hash_api_token(token),
                expires_at=utcnow() + timedelta(days=1),
            )
        )
    engine.dispose()
    return {"Authorization": f"Bearer {token}"}


def _heartbeat_kinds(database_url: str) -> set[str]:
    engine = create_engine(database_url, connect_args={"timeout": 30})
    try:
        with engine.connect() as conn:
            return set(conn.scalars(select(ProcessHeartbeat.kind)))
    finally:
        engine.dispose()


@pytest.mark.timeout(400)
def test_run_starts_everything_and_sigterm_stops_it_all(running_product: RunningProduct) -> None:
    product = running_product
    text = product.text()
    # The schema came from ``run``'s migrate step: the tests below read tables it created.
    for line in (
        "Migrating",
        "Database schema is up to date.",
        "Starting web",
        "Starting worker",
        "Starting beat",
    ):
        assert line in text
    assert f"Growth Manager is running at http://127.0.0.1:{product.port}" in text
    status, body = product.get("/health")
    assert status == 200, body
    assert body["checks"]["broker"]["ok"] is True

    children = _children_of(product.process.pid)
    names = sorted(_cmdline(pid).split("growth_manager ")[-1].strip() for pid in children)
    assert names == ["beat", "web", "worker"]
    tree = _descendants(product.process.pid)

    # The worker and beat really run: both record their heartbeats, and the status says so.
    _wait_for(
        lambda: _heartbeat_kinds(product.database_url) >= {"worker", "beat"},
        timeout=90,
        what="worker and beat heartbeats",
    )
    status, body = product.get("/api/v1/scheduler/status", _bearer(product.database_url))
    assert status == 200, body
    assert body["scheduler"]["running"] is True
    assert any(worker["alive"] for worker in body["workers"])

    product.process.send_signal(signal.SIGTERM)
    assert product.process.wait(timeout=90) == 0, product.text()
    assert "Stopped." in product.text()
    left = [pid for pid in tree if _alive(pid)]
    assert left == [], [_cmdline(pid) for pid in left]


@pytest.mark.timeout(400)
def test_a_dying_child_is_reported_and_stops_the_rest(running_product: RunningProduct) -> None:
    product = running_product
    tree = _descendants(product.process.pid)
    worker = next(
        pid
        for pid in _children_of(product.process.pid)
        if _cmdline(pid).rstrip().endswith("growth_manager worker")
    )
    os.kill(worker, signal.SIGKILL)
    code = product.process.wait(timeout=90)
    assert code == 1, product.text()
    assert "worker stopped unexpectedly (killed by SIGKILL)" in product.text()
    left = [pid for pid in tree if _alive(pid)]
    assert left == [], [_cmdline(pid) for pid in left]


# make run, stopped the way a process supervisor does it ------------------------------------------
def _port_bound(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.timeout(300)
def test_sigterm_to_make_run_stops_the_whole_tree_promptly(tmp_path: Path) -> None:
    """A supervisor signals make's own PID. The real ``run`` recipe must pass the signal on to
    ``growth-manager run``, which stops every child; nothing may linger or keep a port."""
    repo = Path(__file__).resolve().parents[1]
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    port, sandbox_port = _free_port(), _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("GROWTH_")} | {
        "GROWTH_DATA_DIR": str(data_dir),
        "GROWTH_PORT": str(port),
        "GROWTH_SANDBOX_PORT": str(sandbox_port),
        "GROWTH_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "GROWTH_LOG_LEVEL": "WARNING",
        "GROWTH_WORKER_CONCURRENCY": "1",
    }
    output = tmp_path / "make.log"
    with output.open("wb") as sink:
        # -o install: the environment is installed already; the run recipe itself is the real one.
        make = subprocess.Popen(
            ["make", "--no-print-directory", "-C", str(repo), "-o", "install", "run"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(
            lambda: _probe_health(port) or make.poll() is not None,
            timeout=180,
            what="/health through make run",
        )
        assert make.poll() is None, output.read_text(errors="replace")
        tree = _descendants(make.pid)
        names = " ".join(_cmdline(pid) for pid in tree)
        for part in ("growth-manager run", "growth_manager web", "growth_manager worker"):
            assert part in names, names
        assert "growth_manager sandbox" in names, names

        # A client whose request never gets an answer (a platform call hanging in the sandbox)
        # must not hold the stop up: the server cuts it after its short grace.
        fault = urllib.request.Request(
            f"http://127.0.0.1:{sandbox_port}/_sandbox/faults",
            data=json.dumps({"kind": "hang", "path": "/api.x.com/2/users/me"}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(fault, timeout=10) as response:  # noqa: S310
            assert response.status == 201
        hanging = threading.Thread(
            target=_swallow,
            args=(f"http://127.0.0.1:{sandbox_port}/api.x.com/2/users/me",),
            daemon=True,
        )
        hanging.start()
        _wait_for(lambda: _faults_left(sandbox_port) == 0, timeout=10, what="the hanging request")

        started = time.monotonic()
        make.send_signal(signal.SIGTERM)
        make.wait(timeout=30)
        _wait_for(
            lambda: not [pid for pid in tree if _alive(pid)],
            timeout=5,
            what="every process under make to exit",
        )
        took = time.monotonic() - started
        log = output.read_text(errors="replace")
        assert took < 12, f"stopping took {took:.1f} s\n{log}"
        assert "SIGTERM received." in log
        assert "did not stop in time" not in log, log
        assert not _port_bound(port)
        assert not _port_bound(sandbox_port)
    finally:
        if make.poll() is None:
            for pid in _descendants(make.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            make.kill()
            make.wait()


def _probe_health(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def _swallow(url: str) -> None:
    with contextlib.suppress(OSError):
        urllib.request.urlopen(url, timeout=120).close()  # noqa: S310


def _faults_left(sandbox_port: int) -> int:
    """A one-time rule leaves the list once a request has taken it."""
    url = f"http://127.0.0.1:{sandbox_port}/_sandbox/faults"
    with urllib.request.urlopen(url, timeout=5) as response:
        return len(json.loads(response.read())["faults"])


def test_the_web_process_sends_jobs_to_the_configured_broker(tmp_path: Path) -> None:
    """A request's job (the import on connect, "Sync now") reaches the worker only if the web
    process sends it through the configured broker, not Celery's own default (amqp://localhost,
    where on a machine running RabbitMQ it would vanish without an error)."""
    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    probe = (
        "import growth_manager.asgi\n"
        "from growth_manager.analytics.tasks import sync_account\n"
        "from celery import current_app\n"
        "print(sync_account.app.conf.broker_url)\n"
        "print(current_app.conf.broker_url)\n"
    )
    env = {**os.environ, "GROWTH_DATA_DIR": str(tmp_path / "data"), "GROWTH_BROKER_URL": broker}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [broker, broker]
