"""Rate limits on X, whose every answer reports its budget: a spent budget defers the rest of
the sync before the platform has to say no, and a 429 in the middle of a sync defers the
rest until the reset; what was read before stays."""

from __future__ import annotations

import httpx2
import pytest
from fastapi.testclient import TestClient

from growth_manager.analytics.sync import Syncer
from growth_manager.db import Database
from growth_manager.models.analytics import AccountSync, SyncStatus, SyncTrigger
from growth_manager.providers.http import RateLimitState
from tests.analytics.sync.conftest import (
    Sandbox,
    access_token,
    connect_run,
    followed,
    new_run,
    run_of,
)
from tests.support.owners import Owner
from tests.support.sandbox import SandboxHandle
from tests.support.tokenhealth import connect_x

EXTRA_POSTS = 60
TWEETS = "/api.x.com/2/tweets"


@pytest.fixture
def busy_x(
    gm: TestClient, owner: Owner, database: Database, syncer: Syncer, fresh_sandbox: SandboxHandle
) -> int:
    """An X account with more posts than one metrics read covers, all imported."""
    account_id = connect_x(gm, owner, database)
    token = access_token(database, account_id)
    with httpx2.Client(base_url=fresh_sandbox.url, timeout=10) as http:
        for n in range(EXTRA_POSTS):
            response = http.post(
                TWEETS,
                json={"text": f"Fresh bake number {n}"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 201, response.text
    syncer.sync_account(account_id, connect_run(database, account_id))
    assert len(followed(database, account_id)) > 100
    return account_id


def test_a_spent_budget_defers_the_rest_before_the_platform_refuses(
    database: Database, owner: Owner, busy_x: int, syncer: Syncer, platform: Sandbox
) -> None:
    # The first hundred mix posts under and over 30 days old: two requests (private metrics
    # are only given for the younger ones), which the budget allows, and nothing more.
    platform.limits("x", {"rate_limits": {"GET /2/tweets": 2}})
    answers: list[int] = []
    syncer.keeper.observers.append(
        lambda _account, states: answers.extend(
            s.remaining for s in states if s.endpoint == "GET /2/tweets" and s.remaining is not None
        )
    )
    total = len(followed(database, busy_x))

    run_id = new_run(database, owner.business_id, busy_x, SyncTrigger.manual)
    syncer.sync_account(busy_x, run_id)

    run = run_of(database, run_id)
    assert answers == [1, 0], "the budget was spent, and no request was refused"
    assert run.synced == 100
    assert run.rate_limited == total - 100
    assert run.failed == 0
    assert run.status == SyncStatus.partial
    assert run.by_platform["x"]["deferred_until"]
    assert any(e["code"] == "rate_limited" for e in run.errors)


def test_a_429_in_the_middle_of_a_sync_defers_the_rest_and_keeps_what_was_read(
    database: Database, owner: Owner, busy_x: int, syncer: Syncer, platform: Sandbox
) -> None:
    before = {k: p.last_synced_at for k, p in followed(database, busy_x).items()}

    def refuse_after_first(_account: int, states: list[RateLimitState]) -> None:
        # The first hundred take two requests (see above); the next read is refused.
        if any(s.endpoint == "GET /2/tweets" for s in states):
            reads.append(True)
            if len(reads) == 2:
                platform.fault(kind="status", path=TWEETS, method="GET", status=429, times=1)

    reads: list[bool] = []
    syncer.keeper.observers.append(refuse_after_first)

    run_id = new_run(database, owner.business_id, busy_x, SyncTrigger.manual)
    syncer.sync_account(busy_x, run_id)

    run = run_of(database, run_id)
    after = followed(database, busy_x)
    fresh = [k for k, p in after.items() if p.last_synced_at != before[k]]
    assert len(fresh) == run.synced == 100, "the first read is kept"
    assert run.rate_limited == len(after) - 100
    assert run.status == SyncStatus.partial
    with database.session() as session:
        state = session.get(AccountSync, busy_x)
        assert state is not None
        assert state.deferred_until is not None
