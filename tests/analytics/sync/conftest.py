"""Sync fixtures: the product against a fresh sandbox with connected accounts, a syncer on the
test database, and readers of what the sync stored and of the sandbox's own answers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from growth_manager.analytics import runs
from growth_manager.analytics.sync import Syncer
from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.analytics import (
    MetricSnapshot,
    RemotePost,
    SyncRun,
    SyncStatus,
    SyncTrigger,
)
from growth_manager.models.business import BusinessMember, Role
from growth_manager.worker.celery_app import create_celery
from tests.support.owners import Owner
from tests.support.sandbox import SandboxHandle
from tests.support.tokenhealth import connect_linkedin, connect_meta, connect_x
from tests.support.world import new_member


@dataclass
class Sandbox:
    handle: SandboxHandle

    def advance(self, seconds: float) -> None:
        response = httpx2.post(
            f"{self.handle.url}/_sandbox/clock", json={"advance_seconds": seconds}, timeout=10
        )
        assert response.status_code == 200, response.text

    def fault(self, **rule: Any) -> None:
        response = httpx2.post(f"{self.handle.url}/_sandbox/faults", json=rule, timeout=10)
        assert response.status_code == 201, response.text

    def limits(self, platform: str, limits: dict[str, dict[str, int]]) -> None:
        response = httpx2.post(
            f"{self.handle.url}/_sandbox/ratelimits",
            json={"platform": platform, "limits": limits},
            timeout=10,
        )
        assert response.status_code == 200, response.text

    def get(self, path: str, token: str, query: str = "") -> Any:
        """``path?query`` (sent as written: Rest.li lists are encoded by hand) as the owner."""
        response = httpx2.get(
            f"{self.handle.url}{path}" + (f"?{query}" if query else ""),
            headers={
                "Authorization": f"Bearer {token}",
                "LinkedIn-Version": "202601",
                "X-Restli-Protocol-Version": "2.0.0",
            },
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def platform(fresh_sandbox: SandboxHandle) -> Sandbox:
    return Sandbox(fresh_sandbox)


@pytest.fixture
def syncer(sandbox_settings: Settings, database: Database) -> Syncer:
    return Syncer(database, sandbox_settings)


@pytest.fixture
def x_account(gm: TestClient, owner: Owner, database: Database) -> int:
    return connect_x(gm, owner, database)


@pytest.fixture
def page_account(gm: TestClient, owner: Owner, database: Database) -> int:
    return connect_linkedin(gm, owner, database, kind="organization")


def connect_run(database: Database, account_id: int) -> int:
    """The run connecting the account started (its job waits in a queue no worker reads)."""
    with database.session() as session:
        run_id = session.scalar(
            select(SyncRun.id)
            .where(SyncRun.social_account_id == account_id, SyncRun.trigger == SyncTrigger.connect)
            .order_by(SyncRun.id.desc())
        )
    assert run_id is not None, "connecting the account started no sync"
    return run_id


def new_run(database: Database, business_id: int, account_id: int, trigger: SyncTrigger) -> int:
    with database.session() as session:
        return runs.start_sync(session, business_id, trigger=trigger, account_ids=[account_id]).id


def run_of(database: Database, run_id: int) -> SyncRun:
    with database.session() as session:
        run = session.get(SyncRun, run_id)
        assert run is not None
        session.expunge(run)
        return run


def followed(database: Database, account_id: int) -> dict[str, RemotePost]:
    with database.session() as session:
        rows = session.scalars(select(RemotePost).where(RemotePost.social_account_id == account_id))
        out = {}
        for row in rows:
            session.expunge(row)
            out[row.remote_id] = row
        return out


def access_token(database: Database, account_id: int) -> str:
    with database.session() as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None
        assert account.access_token
        return account.access_token


def snapshot_count(database: Database, **where: Any) -> int:
    with database.session() as session:
        query = select(func.count()).select_from(MetricSnapshot)
        for name, value in where.items():
            query = query.where(getattr(MetricSnapshot, name) == value)
        return int(session.scalar(query) or 0)


def add_member(database: Database, business_id: int, role: Role, email: str) -> dict[str, str]:
    """A member of ``role`` in the business; their bearer headers."""
    with database.session() as session:
        member = new_member(session, email)
        session.add(BusinessMember(business_id=business_id, user_id=member.user.id, role=role))
    return member.headers


@pytest.fixture
def sync_app(sandbox_settings: Settings, broker_url: str, database: Database) -> Iterator[Celery]:
    app = create_celery(sandbox_settings.model_copy(update={"broker_url": broker_url}))
    app.set_current()
    app.set_default()
    yield app
    app.close()


@pytest.fixture
def sync_worker(sync_app: Celery) -> Iterator[Any]:
    """A real worker on the default queue, two threads: two accounts (or two triggers of one)
    can sync at once."""
    with start_worker(
        sync_app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        queues=["default"],
        shutdown_timeout=30,
    ) as running:
        yield running


def finished(database: Database, run_id: int) -> SyncRun | None:
    run = run_of(database, run_id)
    return run if run.status != SyncStatus.running else None


@pytest.fixture
def meta_accounts(gm: TestClient, owner: Owner, database: Database) -> dict[str, int]:
    """Every Page of the sandbox's Facebook login and its Instagram account, connected."""
    return connect_meta(gm, owner, database)
