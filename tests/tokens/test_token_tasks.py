"""Token-health beat jobs: declared in beat's schedule, and run by a real Celery worker (in a
thread, on the embedded SQLite broker in a temporary directory) against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.schedules import crontab
from fastapi.testclient import TestClient

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.jobs import PeriodicJobState
from growth_manager.tokens import tasks
from growth_manager.worker.celery_app import create_celery
from growth_manager.worker.tasks import beat_schedule, load_task_modules, periodic_jobs
from tests.support.owners import Owner
from tests.support.sandbox import SandboxHandle
from tests.support.tokenhealth import (
    Sandbox,
    connect_x,
    open_notifications,
    shift_account_times,
    stored,
)
from tests.support.waiting import wait_for


def test_token_jobs_are_in_beats_schedule() -> None:
    load_task_modules()
    jobs = periodic_jobs()
    assert jobs["accounts.refresh_due_tokens"].schedule == timedelta(minutes=5)
    assert jobs["accounts.warn_expiring"].schedule == timedelta(hours=1)
    daily = jobs["accounts.verify_connections"].schedule
    assert isinstance(daily, crontab)
    assert jobs["accounts.verify_connections"].description == "cron 17 4 * * * UTC"
    schedule = beat_schedule()
    for name in ("accounts.refresh_due_tokens", "accounts.warn_expiring"):
        assert schedule[name]["task"] == name
    # Expired OAuth states and pending connections are purged by the system job.
    assert "system.purge_expired" in schedule


@pytest.fixture
def token_worker(
    settings: Settings,
    database: Database,
    fresh_sandbox: SandboxHandle,
    tmp_path: Path,
) -> Iterator[Celery]:
    worker_settings = settings.model_copy(
        update={
            "broker_url": f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
            "sandbox_url": fresh_sandbox.url,
        }
    )
    app = create_celery(worker_settings)
    app.set_current()
    app.set_default()
    with start_worker(
        app, pool="solo", perform_ping_check=False, queues=["default"], shutdown_timeout=30
    ):
        yield app
    app.close()


def _job(database: Database, name: str) -> PeriodicJobState | None:
    with database.session() as session:
        row = session.get(PeriodicJobState, name)
        return row if row is not None and row.last_status is not None else None


def test_refresh_sweep_runs_on_a_real_worker(
    gm: TestClient,
    owner: Owner,
    database: Database,
    fresh_sandbox: SandboxHandle,
    token_worker: Celery,
) -> None:
    account_id = connect_x(gm, owner, database)
    before = stored(database, account_id)
    Sandbox(fresh_sandbox).advance_clock(timedelta(hours=1, minutes=50))
    shift_account_times(database, account_id, timedelta(hours=1, minutes=50))

    tasks.refresh_due_tokens.apply_async()

    row = wait_for(lambda: _job(database, "accounts.refresh_due_tokens"), what="the sweep")
    assert (row.last_status, row.last_error) == ("ok", None)
    after = stored(database, account_id)
    assert after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token
    assert after.status == "active"


def test_verify_sweep_turns_a_dead_non_expiring_token_into_reauth_required(
    gm: TestClient,
    owner: Owner,
    database: Database,
    fresh_sandbox: SandboxHandle,
    token_worker: Celery,
) -> None:
    account_id = connect_x(gm, owner, database)
    control = Sandbox(fresh_sandbox)
    token = stored(database, account_id)
    assert token.refresh_token
    # Stand-in for a page token (no expiry, nothing to refresh it with) that the user killed.
    with database.session() as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None
        account.expires_at = None
    control.x_revoke(token.refresh_token, "refresh_token")
    control.x_revoke(token.access_token, "access_token")

    tasks.verify_connections.apply_async()

    row = wait_for(lambda: _job(database, "accounts.verify_connections"), what="the sweep")
    assert (row.last_status, row.last_error) == ("ok", None)
    assert stored(database, account_id).status == "reauth_required"
    assert [kind for kind, _, _ in open_notifications(database, account_id)] == ["reauth_required"]


def test_warn_expiring_runs_through_celery(
    gm: TestClient,
    owner: Owner,
    database: Database,
    token_worker: Celery,
) -> None:
    account_id = connect_x(gm, owner, database)
    with database.session() as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None
        assert account.expires_at is not None
        # The refresh token itself ends in 3 days: only a new sign-in helps.
        account.refresh_expires_at = account.expires_at + timedelta(days=3)
    tasks.warn_expiring.apply_async()
    wait_for(lambda: _job(database, "accounts.warn_expiring"), what="the warning job")
    assert [kind for kind, _, _ in open_notifications(database, account_id)] == ["expires_soon"]
