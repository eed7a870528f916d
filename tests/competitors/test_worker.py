"""The daily job through a real Celery worker: the sweep sends a read for each competitor not
read for a day, the worker runs it, and a second snapshot joins the first."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.models.competitors import Competitor, CompetitorSnapshot
from growth_manager.worker.celery_app import create_celery
from tests.competitors.conftest import Rivals, add
from tests.support.owners import Owner
from tests.support.tokenhealth import connect_x


@pytest.fixture
def worker_app(sandbox_settings: Settings, broker_url: str, database: Database) -> Iterator[Celery]:
    app = create_celery(sandbox_settings.model_copy(update={"broker_url": broker_url}))
    app.set_current()
    app.set_default()
    yield app
    app.close()


@pytest.fixture
def worker(worker_app: Celery) -> Iterator[Any]:
    with start_worker(
        worker_app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        queues=["default"],
        shutdown_timeout=30,
    ) as running:
        yield running


def _snapshots(database: Database, competitor_id: int) -> int:
    with database.read_session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(CompetitorSnapshot)
                .where(CompetitorSnapshot.competitor_id == competitor_id)
            )
            or 0
        )


def test_the_sweep_sends_due_reads_to_the_worker(
    gm: TestClient,
    owner: Owner,
    database: Database,
    rivals: Rivals,
    worker_app: Celery,
    worker: Any,
) -> None:
    connect_x(gm, owner, database)
    rivals.make("x", "rivalroasters", posts=10)
    competitor_id = add(gm, owner, "x", "rivalroasters").json()["id"]
    assert _snapshots(database, competitor_id) == 1
    with database.session() as session:
        # Read two days ago: due again.
        competitor = session.get_one(Competitor, competitor_id)
        assert competitor.last_synced_at is not None
        competitor.last_synced_at -= timedelta(days=2)
    worker_app.send_task("competitors.sync_daily")
    deadline = time.monotonic() + 60
    while _snapshots(database, competitor_id) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _snapshots(database, competitor_id) == 2
