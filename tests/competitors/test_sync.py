"""The daily reads: each one adds a snapshot (the earlier ones stay as they were), a competitor
read less than a day ago is not read again, and a spent rate-limit budget defers a read until
its reset instead of failing it."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.competitors.sync import CompetitorSyncer
from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.competitors import Competitor, CompetitorSnapshot
from growth_manager.worker.tasks import load_task_modules, periodic_jobs
from tests.competitors.conftest import Rivals, add
from tests.support.owners import Owner
from tests.support.tokenhealth import connect_x

DAY = 86_400


def _history(database: Database, competitor_id: int) -> list[tuple[object, int | None, int]]:
    with database.read_session() as session:
        return [
            (s.captured_at, s.followers, s.posts_30d)
            for s in session.scalars(
                select(CompetitorSnapshot)
                .where(CompetitorSnapshot.competitor_id == competitor_id)
                .order_by(CompetitorSnapshot.captured_at)
            )
        ]


def test_the_daily_job_is_declared_for_beat() -> None:
    load_task_modules()
    assert "competitors.sync_daily" in periodic_jobs()


def test_daily_reads_build_a_history(
    gm: TestClient,
    owner: Owner,
    database: Database,
    rivals: Rivals,
    sandbox_settings: Settings,
) -> None:
    connect_x(gm, owner, database)
    made = rivals.make("x", "rivalroasters", posts=60, days=90)
    competitor_id = add(gm, owner, "x", "rivalroasters").json()["id"]
    first = _history(database, competitor_id)
    assert len(first) == 1
    syncer = CompetitorSyncer(database, sandbox_settings)
    assert syncer.sync_due() == {}  # read at add: not due again today
    for day in (1, 2, 3):
        rivals.advance(DAY)
        outcomes = syncer.sync_due(utcnow() + timedelta(days=day, minutes=day))
        assert outcomes == {"ok": 1}, outcomes
    history = _history(database, competitor_id)
    assert len(history) == 4
    assert history[0] == first[0]  # never overwritten
    followers = [f for _, f, _ in history]
    assert followers == sorted(followers)
    assert followers[-1] == rivals.truth("x", made["id"])["followers_count"]
    assert followers[-1] > followers[0]
    with database.read_session() as session:
        competitor = session.get_one(Competitor, competitor_id)
        assert competitor.last_synced_at == history[-1][0]


def test_a_spent_budget_defers_the_read_until_its_reset(
    gm: TestClient,
    owner: Owner,
    database: Database,
    rivals: Rivals,
    sandbox_settings: Settings,
) -> None:
    connect_x(gm, owner, database)
    rivals.make("x", "firstrival", posts=5)
    rivals.make("x", "secondrival", posts=5)
    rivals.limits("x", {"rate_limits": {"GET /2/users/by/username/{username}": 1}})
    assert add(gm, owner, "x", "firstrival").json()["status"] == "ok"
    second = add(gm, owner, "x", "secondrival").json()
    assert second["status"] == "pending"
    assert second["deferred_until"] is not None
    assert "rate limit" in second["status_message"]
    assert second["latest"] is None
    syncer = CompetitorSyncer(database, sandbox_settings)
    assert syncer.sync_due() == {}  # still deferred: not read, not failed
    rivals.advance(16 * 60)
    assert syncer.sync_due(utcnow() + timedelta(minutes=16)) == {"ok": 1}
    listed = gm.get(
        f"/api/v1/businesses/{owner.business_id}/competitors", headers=owner.headers
    ).json()["competitors"]
    read = next(c for c in listed if c["handle"] == "secondrival")
    assert read["status"] == "ok"
    assert read["deferred_until"] is None
    assert read["latest"]["followers"] > 0


def test_a_429_defers_too(
    gm: TestClient,
    owner: Owner,
    database: Database,
    rivals: Rivals,
    sandbox_settings: Settings,
) -> None:
    connect_x(gm, owner, database)
    rivals.make("x", "limitedrival", posts=5)
    rivals.limits("x", {"rate_limits": {"GET /2/users/by/username/{username}": 0}})
    body = add(gm, owner, "x", "limitedrival").json()
    assert body["status"] == "pending"
    assert body["deferred_until"] is not None
    assert body["latest"] is None
