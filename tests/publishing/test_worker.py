"""Publishing through the real queue and the real dispatcher, on the embedded SQLite broker and
on Redis: publish-now starts at once in a worker; scheduled posts go out on their second, not
before, exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.publishing import PostTarget, TargetStatus
from growth_manager.publishing import dispatcher as dispatching
from growth_manager.publishing.dispatcher import Dispatcher
from growth_manager.publishing.engine import Publisher
from growth_manager.worker.celery_app import create_celery
from tests.publishing.conftest import FAST, Platform
from tests.support.owners import Owner
from tests.support.tokenhealth import stored
from tests.support.waiting import wait_for


@pytest.fixture
def publish_app(
    sandbox_settings: Settings, broker_url: str, database: Database
) -> Iterator[Celery]:
    app = create_celery(sandbox_settings.model_copy(update={"broker_url": broker_url}))
    app.set_current()
    app.set_default()
    yield app
    app.close()


@pytest.fixture
def publish_worker(publish_app: Celery) -> Iterator[Any]:
    with start_worker(
        publish_app,
        pool="solo",
        perform_ping_check=False,
        queues=["publish"],
        shutdown_timeout=30,
    ) as running:
        yield running
    # The test harness's worker sends no worker_shutdown: stop its dispatcher here, so no
    # thread outlives the test and publishes another test's posts.
    dispatching.stop()


def statuses(database: Database, post_id: int) -> list[TargetStatus]:
    with database.session() as session:
        return list(session.scalars(select(PostTarget.status).where(PostTarget.post_id == post_id)))


def test_publish_now_goes_out_through_the_queue_at_once(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    platform: Platform,
    publish_worker: Any,
) -> None:
    response = gm.post(
        "/api/v1/publish/twitter",
        json={"business_id": owner.business_id, "text": "Straight out of the oven"},
        headers={**owner.headers, "Idempotency-Key": "now-1"},
    )
    assert response.status_code == 201, response.text
    post_id = response.json()["id"]
    wait_for(
        lambda: statuses(database, post_id) == [TargetStatus.published],
        what="the worker to publish the post",
    )
    token = stored(database, x_account).access_token
    assert len(platform.x_posts_with("Straight out of the oven", token)) == 1
    # A client retry of the same request publishes nothing new.
    again = gm.post(
        "/api/v1/publish/twitter",
        json={"business_id": owner.business_id, "text": "Straight out of the oven"},
        headers={**owner.headers, "Idempotency-Key": "now-1"},
    )
    assert again.status_code == 201
    assert again.json()["id"] == post_id
    fate = gm.get(f"/api/v1/posts/{post_id}", headers=owner.headers).json()
    assert fate["status"] == "published"
    assert len(platform.x_posts_with("Straight out of the oven", token)) == 1


def test_the_dispatcher_publishes_each_post_on_its_second_never_before(
    gm: TestClient,
    owner: Owner,
    database: Database,
    sandbox_settings: Settings,
    x_account: int,
    platform: Platform,
) -> None:
    start = utcnow() + timedelta(seconds=2)
    post_ids = []
    for i in range(6):
        when = (start + timedelta(milliseconds=300 * i)).isoformat()
        response = gm.post(
            "/api/v1/schedule",
            json={"business_id": owner.business_id, "text": f"On time {i}", "scheduled_for": when},
            headers=owner.headers,
        )
        assert response.status_code == 201, response.text
        post_ids.append(response.json()["id"])
    dispatcher = Dispatcher(
        Publisher(database, sandbox_settings, policy=FAST), threads=4, poll_seconds=0.2
    )
    dispatcher.start()
    try:
        wait_for(
            lambda: all(statuses(database, p) == [TargetStatus.published] for p in post_ids),
            what="the dispatcher to publish every post",
        )
    finally:
        dispatcher.stop()
    token = stored(database, x_account).access_token
    with database.session() as session:
        for target in session.scalars(select(PostTarget)):
            assert target.published_at is not None
            assert target.published_at >= target.scheduled_at
    for i in range(6):
        assert len(platform.x_posts_with(f"On time {i}", token)) == 1
