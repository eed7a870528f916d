"""The ``growth-manager`` command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import click

from growth_manager import __version__
from growth_manager.config import get_settings


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
    from growth_manager.migrate import upgrade

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    _progress(f"Migrating {_safe_url(settings.effective_database_url)} …")
    upgrade(settings)
    _progress("Database schema is up to date.")


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
        proxy_headers=True,
    )


@main.command()
@click.option("--concurrency", "-c", type=int, default=None, help="Worker processes.")
@click.option("--queues", "-Q", default="publish,default", show_default=True)
def worker(concurrency: int | None, queues: str) -> None:
    """Run a Celery worker (publishing, analytics sync, token refresh)."""
    from growth_manager.worker.celery_app import celery_app

    settings = get_settings()
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
    """Run Celery beat, the clock for the periodic sweeps. Run exactly one."""
    from growth_manager.worker.celery_app import celery_app

    settings = get_settings()
    schedule_file = settings.data_dir / "celerybeat-schedule"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    celery_app.start(["beat", "--loglevel", settings.log_level, "--schedule", str(schedule_file)])


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


@main.command()
@click.option("--port", type=int, default=None, help="Port (default GROWTH_SANDBOX_PORT, 8100).")
@click.option("--data", "data_dir", type=click.Path(), default=None, help="State directory.")
@click.option("--seed", type=int, default=42, show_default=True, help="Audience seed.")
def sandbox(port: int | None, data_dir: str | None, seed: int) -> None:
    """Run the platform sandbox: local X, LinkedIn and Meta APIs with a simulated audience."""
    from pathlib import Path

    from platform_sandbox.server import serve

    settings = get_settings()
    serve(
        port=port or settings.sandbox_port,
        data_dir=Path(data_dir) if data_dir else settings.data_dir / "sandbox",
        seed=seed,
    )


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.rsplit("@", maxsplit=1)[-1]


@main.command()
@click.option("--no-sandbox", is_flag=True, help="Do not start the platform sandbox.")
def run(no_sandbox: bool) -> None:
    """Migrate, then run web, worker, beat (and the platform sandbox) until Ctrl-C.

    Each part runs as a child process. Ctrl-C or SIGTERM stops all of them cleanly; a child that
    dies is reported and the rest are stopped, so a half-running product never hides.
    """
    settings = get_settings()
    ctx = click.get_current_context()
    ctx.invoke(migrate)
    exe = [sys.executable, "-m", "growth_manager"]
    children = [
        Child("web", [*exe, "web"]),
        Child("worker", [*exe, "worker"]),
        Child("beat", [*exe, "beat"]),
    ]
    sandbox_env: dict[str, str] = {}
    if not no_sandbox:
        from growth_manager.sandbox_wiring import sandbox_environment

        sandbox_env = sandbox_environment(settings)
        if sandbox_env:
            children.insert(
                0, Child("sandbox", [*exe, "sandbox", "--port", str(settings.sandbox_port)])
            )
    env = {**os.environ, **sandbox_env}
    for child in children:
        _progress(f"Starting {child.name} …")
        child.process = subprocess.Popen(child.argv, env=env)  # noqa: S603
    _progress(
        click.style(f"Growth Manager is running at {settings.public_url}", fg="green", bold=True)
        + " (Ctrl-C stops everything)"
    )
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for child in children:
            assert child.process is not None
            code = child.process.poll()
            if code is not None:
                click.secho(
                    f"{child.name} exited with code {code}; stopping everything.",
                    fg="red",
                    err=True,
                )
                exit_code = code or 1
                stopping = True
                break
        time.sleep(0.3)
    _progress("Stopping …")
    for child in reversed(children):
        if child.process and child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in reversed(children):
        if child.process is None:
            continue
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            click.secho(f"{child.name} did not stop in time; killing it.", fg="yellow", err=True)
            child.process.kill()
    _progress("Stopped.")
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
