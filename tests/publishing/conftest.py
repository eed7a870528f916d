"""Publishing fixtures: the product against a fresh sandbox with a connected X account, a
publisher on the test database, and readers of the sandbox's own state (the proof of what
reached the platform)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.publishing import PostTarget
from growth_manager.publishing.engine import Policy, Publisher
from tests.support.owners import Owner
from tests.support.sandbox import SandboxHandle
from tests.support.tokenhealth import connect_x

BAKERY_ID = "1590000000000000001"  # the sandbox's X demo account


@dataclass
class Platform:
    """The sandbox as the platform: its posts and its faults, over HTTP."""

    handle: SandboxHandle

    def x_posts_with(self, text: str, token: str) -> list[dict[str, Any]]:
        response = httpx2.get(
            f"{self.handle.url}/api.x.com/2/users/{BAKERY_ID}/tweets",
            params={"max_results": "100", "tweet.fields": "referenced_tweets"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return [t for t in response.json().get("data", []) if t["text"] == text]

    def post_x(self, text: str, token: str) -> str:
        """Post straight to the platform (as a worker that then died would have)."""
        response = httpx2.post(
            f"{self.handle.url}/api.x.com/2/tweets",
            json={"text": text},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["data"]["id"])

    def fault(self, **rule: Any) -> None:
        response = httpx2.post(f"{self.handle.url}/_sandbox/faults", json=rule, timeout=10)
        assert response.status_code == 201, response.text

    def clear_faults(self) -> None:
        httpx2.delete(f"{self.handle.url}/_sandbox/faults", timeout=10)


@pytest.fixture
def platform(fresh_sandbox: SandboxHandle) -> Platform:
    return Platform(fresh_sandbox)


@pytest.fixture
def x_account(gm: TestClient, owner: Owner, database: Database) -> int:
    return connect_x(gm, owner, database)


FAST = Policy(
    lease=timedelta(seconds=30),
    backoff=(timedelta(seconds=1), timedelta(seconds=2), timedelta(seconds=3)),
    recheck_after=timedelta(seconds=0),
)


@pytest.fixture
def publisher(database: Database, sandbox_settings: Settings) -> Iterator[Publisher]:
    return Publisher(database, sandbox_settings, policy=FAST, owner="test-worker")


def make_due(database: Database, *target_ids: int) -> None:
    """Time passes for these targets: their next attempt is now."""
    with database.session() as session:
        for target in session.scalars(select(PostTarget).where(PostTarget.id.in_(target_ids))):
            target.next_attempt_at = utcnow() - timedelta(seconds=1)


def target_row(database: Database, target_id: int) -> PostTarget:
    with database.session() as session:
        row = session.get(PostTarget, target_id)
        assert row is not None
        session.expunge(row)
        return row


def run_until_settled(publisher: Publisher, database: Database, target_id: int) -> PostTarget:
    """Claim and publish the target again and again (as the dispatcher would, with time
    moved forward between tries) until it is final or paused."""
    for _ in range(10):
        make_due(database, target_id)
        claimed = publisher.claim([target_id])
        for claimed_id in claimed:
            publisher.publish(claimed_id)
        row = target_row(database, target_id)
        if row.status.value in ("published", "failed", "paused", "cancelled"):
            return row
    return target_row(database, target_id)
