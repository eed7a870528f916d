"""Jobs through a real worker on both brokers: enqueue after commit, nothing after rollback,
the request id in the task's log context, retries per policy, and the periodic state that a
real beat tick and the worker record, as the status endpoint reports it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
import time_machine
from celery import Celery, current_task
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from growth_manager.auth.dependencies import DbSession
from growth_manager.db import Database
from growth_manager.errors import Conflict
from growth_manager.kit.clock import utcnow
from growth_manager.models.jobs import PeriodicJobState, ProcessHeartbeat
from growth_manager.worker.beat import RecordingScheduler
from growth_manager.worker.tasks import (
    PeriodicJob,
    enqueue,
    register_periodic,
    task,
    unregister_periodic,
)
from tests.support.waiting import wait_for
from tests.worker.conftest import make_bearer, mark, read_marks, status_of


class FlakyError(Exception):
    pass


def _attempt() -> int:
    return int(current_task.request.retries or 0) + 1


@task("tests.record_mark")
def record_mark(session: Session, label: str) -> None:
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    mark(session, label, _attempt(), request_id)


@task("tests.always_flaky", retry_for=(FlakyError,), max_retries=2, backoff_max=1)
def always_flaky(session: Session, label: str) -> None:
    # Recorded in a session of its own: the task's session rolls back when it raises.
    from growth_manager.worker.tasks import database_for

    with database_for(current_task.app).session() as own:
        mark(own, label, _attempt(), None)
    raise FlakyError(f"attempt {_attempt()} failed")


@task("tests.fails_outright", retry_for=(FlakyError,), max_retries=3, backoff_max=1)
def fails_outright(session: Session, label: str) -> None:
    from growth_manager.worker.tasks import database_for

    with database_for(current_task.app).session() as own:
        mark(own, label, _attempt(), None)
    raise ValueError("not a retryable error")


@pytest.fixture
def jobs_app(app: FastAPI) -> FastAPI:
    router = APIRouter()

    @router.post("/api/v1/_test/enqueue")
    def enqueue_endpoint(session: DbSession, label: str, fail: bool = False) -> dict[str, str]:
        enqueue(session, record_mark, label)
        if fail:
            raise Conflict("rolled back on purpose")
        return {"queued": label}

    app.include_router(router)
    return app


@pytest.mark.usefixtures("worker")
def test_committed_request_enqueues_a_job_that_runs_with_its_request_id(
    jobs_app: FastAPI, database: Database
) -> None:
    with TestClient(jobs_app) as client:
        response = client.post(
            "/api/v1/_test/enqueue",
            params={"label": "committed"},
            headers={"X-Request-ID": "a" * 32},
        )
    assert response.status_code == 200, response.text
    rows = wait_for(lambda: read_marks(database), what="the job's row")
    assert rows == [
        {"id": rows[0]["id"], "label": "committed", "attempt": 1, "request_id": "a" * 32}
    ]


@pytest.mark.usefixtures("worker")
def test_rolled_back_request_enqueues_nothing(jobs_app: FastAPI, database: Database) -> None:
    with TestClient(jobs_app) as client:
        failed = client.post("/api/v1/_test/enqueue", params={"label": "rolled-back", "fail": True})
        assert failed.status_code == 409
        # A sentinel sent afterwards: one queue, one solo worker, so once it ran, anything the
        # failed request might have sent has run too.
        assert client.post("/api/v1/_test/enqueue", params={"label": "sentinel"}).status_code == 200
    rows = wait_for(lambda: read_marks(database), what="the sentinel job")
    assert [row["label"] for row in rows] == ["sentinel"]


@pytest.mark.usefixtures("worker")
def test_retry_for_error_is_retried_per_policy_then_recorded_as_failed(
    database: Database,
) -> None:
    register_periodic(PeriodicJob("tests.always_flaky", timedelta(hours=1)))
    try:
        with database.session() as session:
            enqueue(session, always_flaky, "flaky")

        def final_state() -> PeriodicJobState | None:
            with database.session() as session:
                row = session.get(PeriodicJobState, "tests.always_flaky")
                return row if row is not None and row.last_status == "error" else None

        row = wait_for(final_state, what="the final failure")
    finally:
        unregister_periodic("tests.always_flaky")
    # max_retries=2: the first attempt and two retries, then it fails for good.
    assert [m["attempt"] for m in read_marks(database)] == [1, 2, 3]
    assert row.run_count == 3
    assert row.last_error == "FlakyError: attempt 3 failed"
    assert row.last_finished_at is not None


@pytest.mark.usefixtures("worker")
def test_error_not_in_retry_for_fails_at_once(database: Database) -> None:
    register_periodic(PeriodicJob("tests.fails_outright", timedelta(hours=1)))
    try:
        with database.session() as session:
            enqueue(session, fails_outright, "outright")

        def final_state() -> PeriodicJobState | None:
            with database.session() as session:
                row = session.get(PeriodicJobState, "tests.fails_outright")
                return row if row is not None and row.last_status == "error" else None

        row = wait_for(final_state, what="the failure")
    finally:
        unregister_periodic("tests.fails_outright")
    assert [m["attempt"] for m in read_marks(database)] == [1]
    assert row.last_error == "ValueError: not a retryable error"


def _status(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    return status_of(client, headers)


@pytest.mark.usefixtures("worker")
def test_beat_tick_and_worker_record_what_the_status_endpoint_reports(
    celery_app: Celery, app: FastAPI, database: Database, tmp_path: Path
) -> None:
    headers = make_bearer(database)
    with TestClient(app) as client:
        before = _status(client, headers)
        assert before["scheduler"] == {
            "running": False,
            "last_seen_at": None,
            "stale_after_seconds": 30,
        }
        assert before["workers"] == []
        # Every job in beat's schedule is listed even though none has run.
        by_name = {job["name"]: job for job in before["jobs"]}
        assert {"system.heartbeat", "system.purge_expired"} <= set(by_name)
        assert by_name["system.heartbeat"]["last_run_at"] is None
        assert by_name["system.heartbeat"]["next_run_at"] is None
        assert by_name["system.heartbeat"]["schedule"] == "every 15 s"
        assert by_name["system.purge_expired"]["schedule"] == "every 1 h"

        scheduler = RecordingScheduler(
            app=celery_app, schedule_filename=str(tmp_path / "beat-schedule")
        )
        scheduler.record_every_seconds = 0  # record on every tick of this test
        assert set(scheduler.schedule) >= {"system.heartbeat", "system.purge_expired"}
        # As if beat had last sent both a day ago: both are due on its next ticks.
        for name in ("system.heartbeat", "system.purge_expired"):
            scheduler.schedule[name].last_run_at = utcnow() - timedelta(days=1)
        sent_at = utcnow()
        for _ in range(len(scheduler.schedule) + 1):
            scheduler.tick()
        scheduler.close()

        def both_ran() -> bool:
            # Polls the tables, not the endpoint: a request that authenticates (a write) while
            # the worker writes would only test SQLite's locking, not what was recorded.
            with database.session() as session:
                rows = session.scalars(select(PeriodicJobState)).all()
                done = {row.name for row in rows if row.last_status == "ok"}
                workers = session.scalars(
                    select(ProcessHeartbeat).where(ProcessHeartbeat.kind == "worker")
                ).all()
            return {"system.heartbeat", "system.purge_expired"} <= done and bool(workers)

        wait_for(both_ran, what="both periodic jobs to run")
        body = _status(client, headers)
        assert body["scheduler"]["running"] is True
        assert body["workers"][0]["alive"] is True
        jobs = {job["name"]: job for job in body["jobs"]}
        purge = jobs["system.purge_expired"]
        assert purge["last_error"] is None
        assert purge["last_duration_ms"] >= 0
        next_purge = _parse(purge["next_run_at"])
        assert sent_at + timedelta(minutes=59) <= next_purge <= utcnow() + timedelta(minutes=61)
        next_heartbeat = _parse(jobs["system.heartbeat"]["next_run_at"])
        assert sent_at <= next_heartbeat <= utcnow() + timedelta(seconds=16)

        with database.session() as session:
            beats = session.scalars(select(ProcessHeartbeat).where(ProcessHeartbeat.kind == "beat"))
            assert len(list(beats)) == 1

        # Nobody ticks any more: a minute later beat counts as stopped and the worker as gone.
        with time_machine.travel(utcnow() + timedelta(seconds=90), tick=False):
            later = _status(client, headers)
        assert later["scheduler"]["running"] is False
        assert later["scheduler"]["last_seen_at"] == body["scheduler"]["last_seen_at"]
        assert later["workers"][0]["alive"] is False


def test_status_requires_authentication(client: TestClient) -> None:
    assert client.get("/api/v1/scheduler/status").status_code == 401


def _parse(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00"))
