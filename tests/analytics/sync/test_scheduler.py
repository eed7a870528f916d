"""The scheduler API and the jobs behind it: per-business recurring syncs kept in the database
and run by the sweep, the hourly sync of what the cadence ladder says is due, and runs whose
worker was lost ended instead of "running" for ever."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.analytics import cadence, runs
from growth_manager.analytics.sync import Syncer
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.analytics import RemotePost, SyncRun, SyncStatus, SyncTrigger
from growth_manager.models.business import Role
from tests.analytics.sync.conftest import add_member, connect_run, finished, followed, new_run
from tests.support.owners import Owner
from tests.support.waiting import wait_for

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("age", "every"),
    [
        (timedelta(minutes=5), timedelta(hours=1)),
        (timedelta(hours=23), timedelta(hours=1)),
        (timedelta(days=1), timedelta(hours=6)),
        (timedelta(days=6, hours=23), timedelta(hours=6)),
        (timedelta(days=7), timedelta(days=1)),
        (timedelta(days=29), timedelta(days=1)),
        (timedelta(days=30), timedelta(days=7)),
        (timedelta(days=89), timedelta(days=7)),
    ],
)
def test_the_cadence_ladder(age: timedelta, every: timedelta) -> None:
    assert cadence.interval(age) == every
    assert cadence.next_sync_at(T0 - age, T0) == min(T0 + every, T0 - age + timedelta(days=90))


def test_posts_are_read_a_last_time_at_ninety_days_and_then_never() -> None:
    published = T0 - timedelta(days=88)
    assert cadence.next_sync_at(published, T0) == published + timedelta(days=90)
    assert cadence.next_sync_at(published, published + timedelta(days=90)) is None
    assert cadence.account_due(None, T0)
    assert not cadence.account_due(T0 - timedelta(hours=23), T0)
    assert cadence.account_due(T0 - timedelta(days=1), T0)


def test_a_scheduled_sync_reads_only_the_posts_the_ladder_says_are_due(
    database: Database, owner: Owner, page_account: int, syncer: Syncer
) -> None:
    syncer.sync_account(page_account, connect_run(database, page_account))
    posts = followed(database, page_account)
    read_at = max(p.last_synced_at for p in posts.values() if p.last_synced_at)
    # Seven hours later, by the ladder: posts under a week old (read every 6 hours) are due
    # again, older ones are not.
    later = read_at + timedelta(hours=7)
    expected = {
        k for k, p in posts.items() if cadence.next_sync_at(p.published_at, read_at) <= later
    }
    assert expected, "the page has posts of the last week"
    assert len(expected) < len(posts)
    with database.session() as session:  # as if seven hours had passed
        for row in session.scalars(
            select(RemotePost).where(RemotePost.social_account_id == page_account)
        ):
            if row.next_sync_at is not None:
                row.next_sync_at -= timedelta(hours=7)
    with database.session() as session:
        assert runs.businesses_due(session, utcnow()) == [owner.business_id]

    run_id = new_run(database, owner.business_id, page_account, SyncTrigger.schedule)
    tally = syncer.sync_account(page_account, run_id)

    assert tally.synced == len(expected)
    after = followed(database, page_account)
    assert {k for k, p in after.items() if p.last_synced_at != posts[k].last_synced_at} == expected


def test_a_business_schedule_is_kept_listed_run_by_the_sweep_and_removed(
    gm: TestClient, owner: Owner, database: Database
) -> None:
    path = f"/api/v1/scheduler/business/{owner.business_id}/schedule"
    assert gm.post(path, params={"interval_hours": 0}, headers=owner.headers).status_code == 422
    created = gm.post(path, params={"interval_hours": 6}, headers=owner.headers)
    assert created.status_code == 200, created.text
    assert created.json()["interval_hours"] == 6
    job_id = created.json()["job_id"]

    jobs = gm.get("/api/v1/scheduler/jobs", headers=owner.headers).json()["jobs"]
    ids = {j["id"] for j in jobs}
    assert job_id in ids
    assert "periodic:analytics.sync_all_businesses" in ids
    assert "periodic:analytics.sweep" in ids
    status = gm.get("/api/v1/scheduler/status", headers=owner.headers).json()
    assert [s["id"] for s in status["business_schedules"]] == [job_id]

    # Due: the sweep starts its run and moves it on by its interval.
    with database.session() as session:
        assert runs.run_due_schedules(session, utcnow()) == []
        started = runs.run_due_schedules(session, utcnow() + timedelta(hours=6, seconds=1))
        assert len(started) == 1
        run = session.get(SyncRun, started[0])
        assert run is not None
        assert run.trigger == SyncTrigger.schedule
    jobs = gm.get("/api/v1/scheduler/jobs", headers=owner.headers).json()["jobs"]
    mine = next(j for j in jobs if j["id"] == job_id)
    assert mine["last_run_at"] is not None
    assert datetime.fromisoformat(mine["next_run_at"]) > utcnow() + timedelta(hours=11)

    viewer = add_member(database, owner.business_id, Role.viewer, "viewer@example.com")
    assert gm.delete(path, headers=viewer).status_code == 403
    assert gm.delete(path, headers=owner.headers).status_code == 204
    assert gm.delete(path, headers=owner.headers).status_code == 404
    jobs = gm.get("/api/v1/scheduler/jobs", headers=owner.headers).json()["jobs"]
    assert job_id not in {j["id"] for j in jobs}


def test_trigger_sync_starts_in_the_background_and_the_worker_finishes_it(
    gm: TestClient, owner: Owner, database: Database, sync_worker: Any, page_account: int
) -> None:
    # (The worker first: connecting sends the import to its queue.)
    wait_for(lambda: finished(database, connect_run(database, page_account)), what="the import")
    response = gm.post(
        "/api/v1/scheduler/trigger-sync",
        params={"business_id": owner.business_id},
        headers=owner.headers,
    )
    assert response.status_code == 202, response.text
    (sync,) = response.json()["syncs"]
    assert response.json()["triggered"] == 1
    done = wait_for(lambda: finished(database, sync["sync_id"]), what="the triggered sync")
    assert done.status == SyncStatus.completed
    assert done.synced == len(followed(database, page_account))


def test_a_run_whose_worker_was_lost_is_ended_and_says_so(
    database: Database, owner: Owner, page_account: int
) -> None:
    run_id = connect_run(database, page_account)  # its job waits in a queue nobody reads
    with database.session() as session:
        assert runs.reap_stalled(session, utcnow()) == 0
        assert runs.is_syncing(session, owner.business_id)
        assert runs.reap_stalled(session, utcnow() + runs.STALLED_AFTER) == 1
        run = session.scalars(select(SyncRun).where(SyncRun.id == run_id)).one()
        assert run.status == SyncStatus.failed
        assert run.errors[-1]["code"] == "worker_lost"
        assert not runs.is_syncing(session, owner.business_id)
