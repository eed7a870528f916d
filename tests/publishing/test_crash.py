"""A real worker process killed with SIGKILL in the middle of a burst of posts: after a restart
every post is on the platform exactly once. The sandbox's own listing is the proof."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.publishing import (
    AttemptOutcome,
    PostTarget,
    PublishAttempt,
    TargetStatus,
)
from tests.publishing.conftest import Platform
from tests.support.owners import Owner
from tests.support.tokenhealth import stored
from tests.support.waiting import wait_for

BURST = 24


def published(database: Database) -> int:
    with database.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(PostTarget)
                .where(PostTarget.status == TargetStatus.published)
            )
            or 0
        )


@pytest.fixture
def worker_env(sandbox_settings: Settings, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROWTH_")}
    env.update(
        GROWTH_DATA_DIR=str(sandbox_settings.data_dir),
        GROWTH_DATABASE_URL=sandbox_settings.effective_database_url,
        GROWTH_BROKER_URL=f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
        GROWTH_SANDBOX_URL=str(sandbox_settings.sandbox_url),
        GROWTH_PUBLIC_URL=sandbox_settings.public_url,
        GROWTH_ENVIRONMENT="test",
        GROWTH_PUBLISH_LEASE_SECONDS="6",
        GROWTH_PUBLISH_RECHECK_SECONDS="0",
        GROWTH_PUBLISH_THREADS="4",
        GROWTH_PUBLISH_POLL_SECONDS="0.1",
    )
    return env


@pytest.fixture
def start_worker(worker_env: dict[str, str]) -> Iterator[object]:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "growth_manager", "worker", "-c", "1", "-Q", "publish"],
            env=worker_env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_a_worker_killed_mid_burst_leaves_every_post_published_exactly_once(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    platform: Platform,
    start_worker: object,
) -> None:
    # Every post takes a while on the platform, so the kill lands with posts in flight: some
    # sent and taken by the platform but never recorded by the worker.
    platform.fault(
        kind="delay", path="/api.x.com/2/tweets", method="POST", delay_ms=400, times=None
    )
    when = (utcnow() + timedelta(seconds=1)).isoformat()
    texts = [f"Burst post {i}" for i in range(BURST)]
    for text in texts:
        response = gm.post(
            "/api/v1/schedule",
            json={"business_id": owner.business_id, "text": text, "scheduled_for": when},
            headers=owner.headers,
        )
        assert response.status_code == 201, response.text

    first = start_worker()  # type: ignore[operator]
    wait_for(lambda: published(database) >= 4, timeout=60, what="the first posts to go out")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    done_before_restart = published(database)
    assert done_before_restart < BURST, "the kill came too late to test anything"

    start_worker()  # type: ignore[operator]
    wait_for(lambda: published(database) == BURST, timeout=120, what="every post to go out")

    with database.session() as session:
        outcomes = list(session.scalars(select(PublishAttempt.outcome)))
    # The kill really caught posts in flight (claimed, or mid-call), and the restarted worker
    # checked the platform before finishing them.
    assert {AttemptOutcome.abandoned, AttemptOutcome.recovered} & set(outcomes), outcomes
    token = stored(database, x_account).access_token
    for text in texts:
        assert len(platform.x_posts_with(text, token)) == 1, text
