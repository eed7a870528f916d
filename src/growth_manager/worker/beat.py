"""Beat's scheduler, recording what it will do: each job's next run time, and its heartbeat.

Celery keeps beat's state in a local shelve file nobody else can read. This scheduler writes
the next run time of every entry and a ``process_heartbeat`` row to the app database, so the
status endpoint (in another process, possibly on another machine) can tell whether the
scheduler runs and when each job runs next. Writes happen at most every
:attr:`RecordingScheduler.record_every_seconds`, and only changed next run times are written.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime, timedelta
from typing import Any

import structlog
from celery.beat import PersistentScheduler, ScheduleEntry
from celery.schedules import crontab, schedule

from growth_manager.kit.clock import utcnow
from growth_manager.models.jobs import PROCESS_BEAT
from growth_manager.worker import state
from growth_manager.worker.tasks import database_for, describe_schedule, periodic_jobs

log = structlog.get_logger(__name__)

SCHEDULER_PATH = "growth_manager.worker.beat:RecordingScheduler"
# Beat wakes at least this often even when no job is due, so its heartbeat and the next run
# times it records stay fresh (the status endpoint calls beat stopped after a few missed ticks).
BEAT_MAX_LOOP_SECONDS = 5.0


class RecordingScheduler(PersistentScheduler):
    record_every_seconds: float = BEAT_MAX_LOOP_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._started_at = utcnow()
        self._last_recorded: float | None = None
        self._written_next_runs: dict[str, datetime] = {}
        self._hostname = socket.gethostname()

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval: float = super().tick(*args, **kwargs)
        now = time.monotonic()
        if self._last_recorded is None or now - self._last_recorded >= self.record_every_seconds:
            self._last_recorded = now
            self.record()
        return interval

    def next_runs(self) -> dict[str, tuple[str, datetime]]:
        """``{name: (schedule description, next run time)}`` for every entry, in UTC."""
        now = utcnow()
        declared = periodic_jobs()
        runs: dict[str, tuple[str, datetime]] = {}
        for name, entry in self.schedule.items():
            remaining = _remaining(entry)
            next_run = now + max(remaining, timedelta(0))
            job = declared.get(name)
            runs[name] = (
                job.description if job else _describe(entry),
                next_run.replace(microsecond=0),
            )
        return runs

    def record(self) -> None:
        """Writes the heartbeat and the next run times that changed; never stops beat."""
        now = utcnow()
        runs = self.next_runs()
        changed = {
            name: value
            for name, value in runs.items()
            if self._written_next_runs.get(name) != value[1]
        }
        try:
            with database_for(self.app).session() as session:
                state.record_heartbeat(
                    session,
                    kind=PROCESS_BEAT,
                    hostname=self._hostname,
                    pid=os.getpid(),
                    started_at=self._started_at,
                    now=now,
                )
                if changed:
                    state.record_next_runs(session, changed)
        except Exception as exc:
            log.warning("worker.beat.record_failed", error=str(exc))
            return
        self._written_next_runs.update({name: value[1] for name, value in changed.items()})


def _remaining(entry: ScheduleEntry) -> timedelta:
    if entry.schedule is None:
        return timedelta(0)
    remaining: timedelta = entry.schedule.remaining_estimate(entry.last_run_at or utcnow())
    return remaining


def _describe(entry: ScheduleEntry) -> str:
    sched = entry.schedule
    if isinstance(sched, crontab):
        return describe_schedule(sched)
    if isinstance(sched, schedule):
        run_every: timedelta = getattr(sched, "run_every")  # noqa: B009 - untyped in stubs
        return describe_schedule(run_every)
    return str(sched)
