"""The ``growth-manager`` command."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import click

from growth_manager import __version__
from growth_manager.config import Settings, get_settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="growth-manager")
def main() -> None:
    """Growth Manager: connect your social accounts, publish exactly once, see what worked.

    Every setting comes from GROWTH_* environment variables or a .env file (see the README).
    With no settings at all it runs on one machine: SQLite database and job queue under ./data.
    """


def _progress(message: str) -> None:
    click.echo(click.style("==> ", fg="cyan", bold=True) + message, err=True)


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema to the latest version."""
    from growth_manager.logging import configure_logging
    from growth_manager.migrate import current_heads, upgrade

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    _progress(f"Migrating {_safe_url(settings.effective_database_url)} …")
    if not current_heads(settings):
        click.secho("No migrations found: the schema was left as it is.", fg="yellow", err=True)
        return
    upgrade(settings)
    _progress("Database schema is up to date.")


# How long web and sandbox let running requests finish once asked to stop; well below the
# supervisor's own grace, so they exit by themselves rather than being killed.
GRACEFUL_SHUTDOWN_SECONDS = 3


@main.command()
@click.option("--host", default=None, help="Address to bind (default GROWTH_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default GROWTH_PORT, 8000).")
@click.option("--workers", type=int, default=1, show_default=True, help="uvicorn workers.")
def web(host: str | None, port: int | None, workers: int) -> None:
    """Serve the dashboard and the REST API (uvicorn)."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "growth_manager.asgi:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=None,
        # The app applies X-Forwarded-* itself, from GROWTH_TRUSTED_PROXIES only (see
        # create_app); uvicorn's default would trust 127.0.0.1 whatever the settings say.
        proxy_headers=False,
        # Requests still running when asked to stop get this long, then are cut: a stuck
        # request must not keep the port bound while a supervisor waits.
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def _prepare_process(settings: Settings) -> None:
    """What every long-running process needs before it works: logs, token keys, Sentry."""
    from growth_manager.kit.crypto import configure_keys
    from growth_manager.logging import configure_logging
    from growth_manager.observability import init_sentry

    configure_logging(settings.log_level, settings.log_json)
    configure_keys(settings.resolved_token_keys())
    init_sentry(
        settings.sentry_dsn.get_secret_value() if settings.sentry_dsn else None,
        settings.environment,
    )


@main.command(short_help="Run a Celery worker (publishing, syncs, sweeps).")
@click.option(
    "--concurrency",
    "-c",
    type=int,
    default=None,
    help="Worker processes (default GROWTH_WORKER_CONCURRENCY, 2).",
)
@click.option(
    "--queues", "-Q", default="publish,default", show_default=True, help="Queues to consume."
)
def worker(concurrency: int | None, queues: str) -> None:
    """Run a Celery worker: publishing, analytics sync, token refresh, sweeps.

    The broker is GROWTH_BROKER_URL (default: an SQLite file under the data directory). Run as
    many as you like on Redis or RabbitMQ; on the SQLite broker, one per machine. A worker that
    consumes the `publish` queue also runs the publishing dispatcher, which claims scheduled
    posts from the database on their second (GROWTH_PUBLISH_THREADS at once); give a worker
    `-Q default` to keep it to background jobs.
    """
    if "publish" not in {name.strip() for name in queues.split(",")}:
        os.environ["GROWTH_PUBLISH_DISPATCHER"] = "false"
        get_settings.cache_clear()
    from growth_manager.worker.celery_app import celery_app

    settings = get_settings()
    _prepare_process(settings)
    celery_app.worker_main(
        [
            "worker",
            "--loglevel",
            settings.log_level,
            "--concurrency",
            str(concurrency or settings.worker_concurrency),
            "--queues",
            queues,
            "--without-gossip",
            "--without-mingle",
        ]
    )


@main.command()
def beat() -> None:
    """Run Celery beat, the clock that sends the periodic jobs. Run exactly one.

    It records its heartbeat and each job's next run time in the database, which
    GET /api/v1/scheduler/status reports.
    """
    from growth_manager.kit.files import private_directory
    from growth_manager.worker.beat import SCHEDULER_PATH
    from growth_manager.worker.celery_app import celery_app

    settings = get_settings()
    _prepare_process(settings)
    schedule_file = settings.data_dir / "celerybeat-schedule"
    private_directory(settings.data_dir)
    celery_app.start(
        [
            "beat",
            "--loglevel",
            settings.log_level,
            "--schedule",
            str(schedule_file),
            "--scheduler",
            SCHEDULER_PATH,
        ]
    )


@main.command("create-user")
@click.option("--email", prompt=True, help="The user's email address (their login).")
@click.option("--name", default="", help="Display name.")
@click.password_option(help="Password (prompted, twice, when omitted).")
def create_user(email: str, name: str, password: str) -> None:
    """Create a user who can log in to the dashboard and the API."""
    from growth_manager.auth.service import users
    from growth_manager.db import get_database
    from growth_manager.errors import AppError

    try:
        with get_database().session() as session:
            user = users.signup(session, email=email, password=password, name=name)
            user_id = user.id
    except AppError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"Created user {email} (id {user_id}).")


@main.command("rotate-keys", short_help="Re-encrypt every stored token under the newest key.")
def rotate_keys() -> None:
    """Re-encrypt every stored token and secret under the newest encryption key.

    \b
    To change the key that protects tokens at rest:
      1. Put the new key FIRST in GROWTH_TOKEN_ENCRYPTION_KEYS, keeping the old one after it
         (comma-separated; make a key with: python -c 'from cryptography.fernet import
         Fernet; print(Fernet.generate_key().decode())'), and restart web and worker.
      2. Run growth-manager rotate-keys.
      3. Drop the old key from GROWTH_TOKEN_ENCRYPTION_KEYS and restart again.

    Any listed key decrypts; only the first encrypts. Running it twice is harmless.
    """
    from cryptography.fernet import InvalidToken

    from growth_manager.db import get_database
    from growth_manager.kit.crypto import configure_keys
    from growth_manager.tokens.keys import encrypted_columns, rotate_all

    settings = get_settings()
    keys = settings.resolved_token_keys()
    configure_keys(keys)
    tables = encrypted_columns()
    _progress(
        f"Re-encrypting {sum(len(c) for c in tables.values())} column(s) in "
        f"{len(tables)} table(s) of {_safe_url(settings.effective_database_url)} under the "
        f"newest of {len(keys)} key(s) …"
    )
    try:
        counts = rotate_all(get_database(settings))
    except InvalidToken as exc:  # a value none of the configured keys can decrypt
        raise click.ClickException(
            "A stored token cannot be decrypted with the configured keys: was the old key "
            "removed from GROWTH_TOKEN_ENCRYPTION_KEYS before rotate-keys ran? Put it back "
            "(after the new one) and run rotate-keys again. Rows rotated so far stay readable."
        ) from exc
    for table, rows in counts.items():
        _progress(f"{table}: {rows} row(s) re-encrypted.")
    _progress(
        "Done. Every token is now encrypted with the first key; the others can be removed "
        "from GROWTH_TOKEN_ENCRYPTION_KEYS."
    )


@main.command(short_help="Run the platform sandbox (local X, LinkedIn and Meta APIs).")
@click.option("--port", type=int, default=None, help="Port (default GROWTH_SANDBOX_PORT, 8100).")
@click.option("--data", "data_dir", type=click.Path(), default=None, help="State directory.")
@click.option("--seed", type=int, default=42, show_default=True, help="Audience seed.")
def sandbox(port: int | None, data_dir: str | None, seed: int) -> None:
    """Run the platform sandbox: local X, LinkedIn and Meta APIs with a simulated audience.

    Its demo apps accept OAuth callbacks to http://127.0.0.1:8000 and http://localhost:8000,
    and to GROWTH_PUBLIC_URL, so Growth Manager can connect accounts on any port.
    """
    from pathlib import Path

    from platform_sandbox.server import serve

    settings = get_settings()
    serve(
        port=port or settings.sandbox_port,
        data_dir=Path(data_dir) if data_dir else settings.data_dir / "sandbox",
        seed=seed,
        app_base_urls=(settings.public_url,),
    )


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.rsplit("@", maxsplit=1)[-1]


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None


def _die_with_parent() -> None:
    """Runs in each child before exec: if ``run`` itself is killed (kill -9), the kernel sends
    the child SIGTERM, so no orphaned worker keeps consuming jobs."""
    if sys.platform == "linux":
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class Supervisor:
    """Starts the children, waits for the web process to be healthy, and stops everything when
    asked (SIGINT/SIGTERM) or when any child dies."""

    poll_seconds = 0.2
    # Idle children stop in a few seconds (web and sandbox cut requests after
    # GRACEFUL_SHUTDOWN_SECONDS; the worker's warm shutdown lets a running task finish). Past
    # this, whatever is left is killed: work is leased in the database, so a killed task is
    # picked up again, and a supervisor must never wait on us for long.
    stop_timeout_seconds = 10.0

    def __init__(
        self,
        children: list[Child],
        *,
        env: dict[str, str],
        report: Callable[[str], None],
        warn: Callable[[str], None],
    ) -> None:
        self.children = children
        self.env = env
        self.report = report
        self.warn = warn
        self.stop_signal: str | None = None

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stop_signal = signal.Signals(signum).name

    def run(self, *, health_url: str, health_timeout: float, on_healthy: Callable[[], None]) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        for child in self.children:
            if self.stop_signal:
                break
            self.report(f"Starting {child.name} …")
            # Each child leads its own process group: Ctrl-C in the terminal reaches only
            # ``run``, which stops the children in order, and a child's own subprocesses (the
            # worker's pool) can be cleaned up as one group.
            # ``run`` has no threads of its own, so preexec_fn is safe here.
            child.process = subprocess.Popen(  # noqa: S603 - our own interpreter and args
                child.argv,
                env=self.env,
                process_group=0,
                preexec_fn=_die_with_parent,  # noqa: PLW1509
            )
        exit_code = self._watch(health_url, health_timeout, on_healthy)
        self._stop_all()
        return exit_code

    def _dead_child(self) -> Child | None:
        for child in self.children:
            if child.process is not None and child.process.poll() is not None:
                return child
        return None

    def _watch(self, health_url: str, health_timeout: float, on_healthy: Callable[[], None]) -> int:
        health_deadline = time.monotonic() + health_timeout
        healthy = False
        last_answer = "no answer yet"
        if not self.stop_signal:
            self.report(f"Waiting for {health_url} …")
        while not self.stop_signal:
            dead = self._dead_child()
            if dead is not None:
                assert dead.process is not None
                code = dead.process.returncode
                self.warn(
                    f"{dead.name} stopped unexpectedly ({_describe_exit(code)}); "
                    "stopping everything."
                )
                return 1
            if not healthy and time.monotonic() <= health_deadline:
                healthy, last_answer = _probe(health_url)
                if healthy:
                    on_healthy()
                elif time.monotonic() > health_deadline:
                    self.warn(
                        f"{health_url} did not answer 200 within {health_timeout:g} s "
                        f"({last_answer}); still running, see the logs above."
                    )
            time.sleep(self.poll_seconds)
        self.report(f"{self.stop_signal} received.")
        return 0

    def _stop_all(self) -> None:
        running = [c for c in self.children if c.process and c.process.poll() is None]
        if running:
            self.report("Stopping " + ", ".join(c.name for c in running) + " …")
        for child in reversed(running):
            assert child.process is not None
            child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout_seconds
        for child in reversed(self.children):
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.warn(f"{child.name} did not stop in time; killing it.")
                child.process.kill()
                child.process.wait()
            # Whatever the child left in its group (a dead worker's pool processes) goes too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.process.pid, signal.SIGKILL)
        self.report("Stopped.")


def _probe(url: str) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own URL
            return response.status == 200, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return False, type(exc).__name__


@main.command(short_help="Migrate, then run web, worker, beat and sandbox until Ctrl-C.")
@click.option("--no-sandbox", is_flag=True, help="Do not start the platform sandbox.")
@click.option(
    "--health-timeout",
    type=float,
    default=120.0,
    show_default=True,
    help="Seconds to wait for the web process to answer /health with 200.",
)
def run(no_sandbox: bool, health_timeout: float) -> None:
    """Migrate, then run web, worker, beat (and the platform sandbox) until Ctrl-C.

    Each part runs as a child process; the URL is printed once /health answers. Ctrl-C or
    SIGTERM stops all of them cleanly. A child that dies is reported with its exit code and the
    rest are stopped (exit code 1), so a half-running product never hides.
    """
    from growth_manager.sandbox_wiring import sandbox_available, sandbox_environment

    settings = get_settings()
    ctx = click.get_current_context()
    ctx.invoke(migrate)
    exe = [sys.executable, "-m", "growth_manager"]
    children = [
        Child("web", [*exe, "web"]),
        Child("worker", [*exe, "worker"]),
        Child("beat", [*exe, "beat"]),
    ]
    env = dict(os.environ)
    sandbox_env = sandbox_environment(settings) if not no_sandbox else {}
    if sandbox_env and sandbox_available():
        env.update(sandbox_env)
        children.insert(
            0, Child("sandbox", [*exe, "sandbox", "--port", str(settings.sandbox_port)])
        )
        _progress(
            "Platforms without real credentials are served by the platform sandbox at "
            f"{sandbox_env['GROWTH_SANDBOX_URL']}."
        )
    supervisor = Supervisor(children, env=env, report=_progress, warn=_warn)
    host = "127.0.0.1" if settings.host in {"0.0.0.0", "::", ""} else settings.host  # noqa: S104
    local_url = f"http://{host}:{settings.port}"
    exit_code = supervisor.run(
        health_url=f"{local_url}/health",
        health_timeout=health_timeout,
        on_healthy=lambda: _announce(local_url, settings.public_url),
    )
    sys.exit(exit_code)


def _warn(message: str) -> None:
    click.secho(message, fg="red", bold=True, err=True)


def _announce(local_url: str, public_url: str) -> None:
    where = local_url
    if public_url.rstrip("/") != local_url:
        where += f" (public URL {public_url}, GROWTH_PUBLIC_URL)"
    _progress(
        click.style(f"Growth Manager is running at {where}", fg="green", bold=True)
        + " (Ctrl-C stops everything)"
    )


if __name__ == "__main__":
    main()
