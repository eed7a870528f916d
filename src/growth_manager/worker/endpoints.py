"""``GET /api/v1/scheduler/status``: is beat running, which workers are alive, and each
periodic job's last and next run, as the worker and beat recorded them in the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from growth_manager.auth.dependencies import CurrentUser, DbSession
from growth_manager.kit.clock import utcnow
from growth_manager.models.jobs import PROCESS_BEAT, PROCESS_WORKER
from growth_manager.models.user import User
from growth_manager.worker import state
from growth_manager.worker.beat import BEAT_MAX_LOOP_SECONDS
from growth_manager.worker.tasks import load_task_modules, periodic_jobs

router = APIRouter(prefix="/api/v1", tags=["scheduler"])

# Beat records its heartbeat every few seconds (worker.beat); allowing for a tick that waits
# its full loop interval plus a slow write on a loaded machine, three missed records mean it
# is not running.
BEAT_STALE_AFTER_SECONDS = int(3 * 2 * BEAT_MAX_LOOP_SECONDS)
# Processes not seen for a day are left out: every restart gets a new pid and row.
LIST_PROCESSES_SEEN_WITHIN = timedelta(days=1)


class SchedulerOut(BaseModel):
    running: bool = Field(
        description="True when beat recorded a heartbeat within `stale_after_seconds`."
    )
    last_seen_at: datetime | None = Field(description="Beat's latest heartbeat (UTC), if any.")
    stale_after_seconds: int = Field(
        description="How old the latest heartbeat may be for beat to count as running."
    )


class WorkerOut(BaseModel):
    hostname: str = Field(description="The worker's node name, e.g. `celery@host`.")
    pid: int = Field(description="Process id of the worker's main process.")
    started_at: datetime = Field(description="When this worker process started (UTC).")
    last_seen_at: datetime = Field(description="When it last ran its heartbeat job (UTC).")
    alive: bool = Field(description="Whether it ran its heartbeat job recently enough.")


class JobOut(BaseModel):
    name: str = Field(description="Task name, e.g. `system.purge_expired`.")
    schedule: str = Field(
        description="When it runs, in UTC, e.g. `every 15 s` or `cron 0 * * * * UTC`."
    )
    last_run_at: datetime | None = Field(
        description="When its latest run started (UTC); null if it never ran."
    )
    last_finished_at: datetime | None = Field(description="When its latest run ended (UTC).")
    last_status: str | None = Field(
        description="`ok`, `error` (failed for good) or `retrying` (failed, another attempt "
        "is scheduled); null if it never ran."
    )
    last_error: str | None = Field(description="The latest run's error, when it failed.")
    last_duration_ms: int | None = Field(description="How long the latest run took.")
    run_count: int = Field(description="Runs recorded since the job first ran (attempts).")
    next_run_at: datetime | None = Field(
        description="When beat will next send it (UTC); null until beat has recorded it."
    )


class BusinessScheduleOut(BaseModel):
    id: str = Field(description="The job's id, e.g. `business-sync:12`.")
    business_id: int = Field(description="The business it runs for.")
    name: str = Field(description="What it does.")
    interval_hours: int = Field(description="Hours between runs.")
    next_run_at: datetime = Field(description="When it runs next (UTC).")
    last_run_at: datetime | None = Field(description="When it last ran (UTC).")


class SchedulerStatus(BaseModel):
    scheduler: SchedulerOut
    workers: list[WorkerOut] = Field(description="Workers seen in the last 24 hours.")
    jobs: list[JobOut] = Field(description="Every periodic job in beat's schedule.")
    business_schedules: list[BusinessScheduleOut] = Field(
        default_factory=list,
        description="Recurring jobs of your businesses (their own analytics sync schedules).",
    )


# Parts of the product that keep per-business schedules list them here for the caller, so this
# status needs to know none of them.
ScheduleSource = Callable[[Session, User], list[BusinessScheduleOut]]
_schedule_sources: list[ScheduleSource] = []


def on_scheduler_status(source: ScheduleSource) -> ScheduleSource:
    if source not in _schedule_sources:
        _schedule_sources.append(source)
    return source


@router.get(
    "/scheduler/status",
    response_model=SchedulerStatus,
    summary="Scheduler and worker status",
    description="Whether the scheduler (Celery beat) is running, which workers are alive, and "
    "every periodic job with its latest run (start, status, error, duration) and its next run "
    "time. Everything comes from what the worker and beat processes recorded in the database: "
    "beat writes a heartbeat and each job's next run time every few seconds, each worker runs a "
    "heartbeat job every 15 seconds, and every periodic run records its outcome. Jobs that never "
    "ran are listed with nulls.",
)
def scheduler_status(user: CurrentUser, session: DbSession) -> SchedulerStatus:
    now = utcnow()
    load_task_modules()
    from growth_manager.worker.system_tasks import WORKER_STALE_AFTER

    since = now - LIST_PROCESSES_SEEN_WITHIN
    beats = state.heartbeats(session, PROCESS_BEAT, since)
    beat_seen = beats[0].last_seen_at if beats else None
    stale_after = timedelta(seconds=BEAT_STALE_AFTER_SECONDS)
    workers = [
        WorkerOut(
            hostname=row.hostname,
            pid=row.pid,
            started_at=row.started_at,
            last_seen_at=row.last_seen_at,
            alive=now - row.last_seen_at <= WORKER_STALE_AFTER,
        )
        for row in state.heartbeats(session, PROCESS_WORKER, since)
    ]
    recorded = state.job_states(session)
    jobs: list[JobOut] = []
    for name, job in sorted(periodic_jobs().items()):
        row = recorded.get(name)
        jobs.append(
            JobOut(
                name=name,
                schedule=job.description,
                last_run_at=row.last_started_at if row else None,
                last_finished_at=row.last_finished_at if row else None,
                last_status=row.last_status if row else None,
                last_error=row.last_error if row else None,
                last_duration_ms=row.last_duration_ms if row else None,
                run_count=row.run_count if row else 0,
                next_run_at=row.next_run_at if row else None,
            )
        )
    return SchedulerStatus(
        scheduler=SchedulerOut(
            running=beat_seen is not None and now - beat_seen <= stale_after,
            last_seen_at=beat_seen,
            stale_after_seconds=BEAT_STALE_AFTER_SECONDS,
        ),
        workers=workers,
        jobs=jobs,
        business_schedules=[row for source in _schedule_sources for row in source(session, user)],
    )
