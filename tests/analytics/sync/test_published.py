"""Posts published through the product are followed like imported ones, linked to the post
they came from, and read on the cadence from their first hour."""

from __future__ import annotations

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.analytics.sync import Syncer
from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.models.analytics import SyncTrigger
from growth_manager.models.publishing import PostTarget, TargetStatus
from growth_manager.publishing.engine import Publisher
from tests.analytics.sync.conftest import (
    Sandbox,
    access_token,
    connect_run,
    followed,
    new_run,
    run_of,
)
from tests.support.owners import Owner


def test_a_post_published_here_is_followed_and_linked_to_its_post(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    syncer: Syncer,
    sandbox_settings: Settings,
) -> None:
    syncer.sync_account(x_account, connect_run(database, x_account))
    imported = set(followed(database, x_account))
    response = gm.post(
        "/api/v1/publish/twitter",
        json={"business_id": owner.business_id, "text": "Rye loaves are back on Friday"},
        headers={**owner.headers, "Idempotency-Key": "analytics-1"},
    )
    assert response.status_code == 201, response.text
    publisher = Publisher(database, sandbox_settings, owner="test-worker")
    for target_id in publisher.claim_post(response.json()["id"]):
        publisher.publish(target_id)
    with database.session() as session:
        target = session.scalars(
            select(PostTarget).where(PostTarget.post_id == response.json()["id"])
        ).one()
        assert target.status == TargetStatus.published
        remote_id, target_id = target.remote_id, target.id

    run_id = new_run(database, owner.business_id, x_account, SyncTrigger.schedule)
    tally = syncer.sync_account(x_account, run_id)

    posts = followed(database, x_account)
    assert set(posts) == imported | {remote_id}
    ours = posts[remote_id]
    assert ours.post_target_id == target_id
    assert not ours.imported
    assert ours.text == "Rye loaves are back on Friday"
    assert ours.latest["impressions"] >= 0
    assert "likes" in ours.latest
    assert ours.next_sync_at is not None
    assert tally.synced >= 1
    assert run_of(database, run_id).failed == 0


def test_a_post_deleted_on_the_platform_is_reported_and_no_longer_read(
    owner: Owner, database: Database, x_account: int, syncer: Syncer, platform: Sandbox
) -> None:
    syncer.sync_account(x_account, connect_run(database, x_account))
    posts = followed(database, x_account)
    newest = max(posts.values(), key=lambda p: p.published_at)
    token = access_token(database, x_account)
    gone = httpx2.delete(
        f"{platform.handle.url}/api.x.com/2/tweets/{newest.remote_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert gone.status_code == 200, gone.text

    run_id = new_run(database, owner.business_id, x_account, SyncTrigger.manual)
    syncer.sync_account(x_account, run_id)

    run = run_of(database, run_id)
    assert run.failed == 1
    assert run.synced == len(posts) - 1
    after = followed(database, x_account)[newest.remote_id]
    assert after.gone_reason is not None
    assert newest.remote_id in after.gone_reason
    assert after.next_sync_at is None
    again = new_run(database, owner.business_id, x_account, SyncTrigger.manual)
    syncer.sync_account(x_account, again)
    assert run_of(database, again).total_posts == len(posts) - 1
