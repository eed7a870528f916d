"""The one task decorator, periodic jobs declared next to their task, and enqueue-after-commit.

``@task`` gives every job the same contract: a database session opened for the task and
committed at the end (rolled back on error), the task name, task id and originating request id
bound to every log line, and an explicit retry policy (``retry_for`` exceptions, exponential
backoff with jitter, a cap on attempts). Jobs are sent with :func:`enqueue`, which waits for the
surrounding transaction to commit, so a worker never looks for a row that isn't there yet and a
rolled-back request sends nothing.

Periodic jobs
-------------
A job becomes periodic by giving ``@task`` a ``schedule`` (seconds, a ``timedelta`` or a
``celery.schedules.crontab``; every schedule is in UTC)::

    @task("analytics.sync_all", schedule=crontab(minute=0), retry_for=(ProviderUnavailable,))
    def sync_all(session: Session) -> None: ...

The module must be listed in :data:`TASK_MODULES`. Beat's schedule is built from these
declarations (:func:`beat_schedule`), each run is recorded in ``periodic_job_state`` (start,
finish, status, error, duration), beat records each job's next run time, and
``GET /api/v1/scheduler/status`` lists every declared job, including those that never ran.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import structlog
from celery import Celery, shared_task
from celery.schedules import crontab
from celery.signals import before_task_publish
from sqlalchemy import event
from sqlalchemy.orm import Session

from growth_manager.config import Settings
from growth_manager.db import Database, get_database
from growth_manager.kit.clock import utcnow
from growth_manager.models.jobs import JOB_STATUS_ERROR, JOB_STATUS_OK, JOB_STATUS_RETRYING

log = structlog.get_logger(__name__)

R = TypeVar("R")
Schedule = float | timedelta | crontab

# Modules that declare tasks. The worker and beat import them at start-up; the web process
# imports them to know the beat schedule. A module that doesn't exist (yet) is skipped.
TASK_MODULES = [
    "growth_manager.worker.system_tasks",
    "growth_manager.tokens.tasks",
    "growth_manager.publishing.tasks",
    "growth_manager.analytics.tasks",
    "growth_manager.analytics.periodic",
    "growth_manager.competitors.tasks",
    "growth_manager.insights.tasks",
]

REQUEST_ID_HEADER = "request_id"


def available_task_modules() -> list[str]:
    return [name for name in TASK_MODULES if _exists(name)]


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package doesn't exist yet
        return False


def load_task_modules() -> None:
    """Imports every task module, which registers its tasks and periodic jobs."""
    for name in available_task_modules():
        importlib.import_module(name)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    schedule: Schedule
    queue: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def description(self) -> str:
        return describe_schedule(self.schedule)


_periodic_jobs: dict[str, PeriodicJob] = {}


def periodic_jobs() -> dict[str, PeriodicJob]:
    """Every declared periodic job by task name (import the task modules first)."""
    return dict(_periodic_jobs)


def register_periodic(job: PeriodicJob) -> None:
    _periodic_jobs[job.name] = job


def unregister_periodic(name: str) -> None:
    _periodic_jobs.pop(name, None)


def describe_schedule(schedule: Schedule) -> str:
    if isinstance(schedule, crontab):
        # crontab keeps the fields as written only in private attributes (its repr is verbose).
        fields = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
        return "cron " + " ".join(str(getattr(schedule, f"_orig_{f}")) for f in fields) + " UTC"
    seconds = schedule.total_seconds() if isinstance(schedule, timedelta) else float(schedule)
    if seconds % 3600 == 0:
        return f"every {int(seconds // 3600)} h"
    if seconds % 60 == 0:
        return f"every {int(seconds // 60)} min"
    return f"every {seconds:g} s"


def _interval_seconds(schedule: Schedule) -> float | None:
    if isinstance(schedule, crontab):
        return None
    return schedule.total_seconds() if isinstance(schedule, timedelta) else float(schedule)


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Celery's ``beat_schedule`` from the declared periodic jobs."""
    entries: dict[str, dict[str, Any]] = {}
    for job in _periodic_jobs.values():
        options = dict(job.options)
        if job.queue:
            options["queue"] = job.queue
        interval = _interval_seconds(job.schedule)
        if interval is not None and "expires" not in options:
            # A run still queued when the next one is sent is pointless; drop it instead of
            # letting a stalled worker face a pile of identical sweeps when it comes back.
            options["expires"] = max(interval, 1.0)
        schedule = timedelta(seconds=interval) if interval is not None else job.schedule
        entries[job.name] = {"task": job.name, "schedule": schedule, "options": options}
    return entries


# The settings a Celery app was created with, so tasks use that app's database (tests create
# apps with their own settings; production has one app built from the environment).
_app_settings: dict[int, Settings] = {}


def bind_settings(app: Celery, settings: Settings) -> None:
    _app_settings[id(app)] = settings


def settings_for(app: Celery | None) -> Settings:
    """The settings ``app`` was created with (the environment's when unknown)."""
    settings = _app_settings.get(id(app)) if app is not None else None
    if settings is None:
        from growth_manager.config import get_settings

        settings = get_settings()
    return settings


def database_for(app: Celery | None) -> Database:
    settings = _app_settings.get(id(app)) if app is not None else None
    return get_database(settings)


def task(
    name: str,
    *,
    retry_for: tuple[type[BaseException], ...] = (),
    max_retries: int = 5,
    backoff_max: int = 600,
    queue: str | None = None,
    schedule: Schedule | None = None,
    unit_of_work: bool = False,
) -> Callable[[Callable[..., R]], Any]:
    """Declare a job: ``fn(session, *ids)``; the decorator supplies and commits the session.

    A job that calls a platform must not hold a transaction across the call: with
    ``unit_of_work=True`` it gets ``fn(database, *ids)`` instead and opens its own short
    transactions (claim, call with none open, record; see ``publishing/engine.py``).

    ``retry_for`` errors are retried up to ``max_retries`` times with exponential backoff (1 s,
    2 s, 4 s … capped at ``backoff_max``, with jitter); any other error fails the task at once.
    ``schedule`` makes it a periodic job run by beat (see the module docstring).
    """

    def decorate(fn: Callable[..., R]) -> Any:
        options: dict[str, Any] = {"queue": queue} if queue else {}
        if schedule is not None:
            register_periodic(PeriodicJob(name=name, schedule=schedule, queue=queue))

        @shared_task(
            name=name,
            bind=True,
            autoretry_for=retry_for,
            max_retries=max_retries,
            retry_backoff=True,
            retry_backoff_max=backoff_max,
            retry_jitter=True,
            **options,
        )
        @functools.wraps(fn)
        def run(self: Any, *args: Any, **kwargs: Any) -> R:
            structlog.contextvars.bind_contextvars(
                task_name=name, task_id=self.request.id, request_id=_request_id(self)
            )
            database = database_for(self.app)
            job = _periodic_jobs.get(name)
            started = time.perf_counter()
            if job is not None:
                _record(database, "started", job.name, schedule=job.description)
            try:
                if unit_of_work:
                    result = fn(database, *args, **kwargs)
                else:
                    with database.session() as session:
                        result = fn(session, *args, **kwargs)
            except BaseException as exc:
                attempt = int(self.request.retries or 0)
                will_retry = isinstance(exc, retry_for) and attempt < max_retries
                duration_ms = int((time.perf_counter() - started) * 1000)
                error = f"{type(exc).__name__}: {exc}"[:2000]
                if will_retry:
                    log.warning(
                        "worker.task.retrying",
                        attempt=attempt + 1,
                        error=error,
                        max_retries=max_retries,
                    )
                else:
                    log.error("worker.task.failed", attempt=attempt + 1, error=error)
                if job is not None:
                    _record(
                        database,
                        "finished",
                        job.name,
                        status=JOB_STATUS_RETRYING if will_retry else JOB_STATUS_ERROR,
                        error=error,
                        duration_ms=duration_ms,
                    )
                raise
            else:
                duration_ms = int((time.perf_counter() - started) * 1000)
                log.info("worker.task.succeeded", duration_ms=duration_ms)
                if job is not None:
                    _record(
                        database,
                        "finished",
                        job.name,
                        status=JOB_STATUS_OK,
                        error=None,
                        duration_ms=duration_ms,
                    )
                return result
            finally:
                structlog.contextvars.unbind_contextvars("task_name", "task_id", "request_id")

        return run

    return decorate


def _record(database: Database, what: str, name: str, **fields: Any) -> None:
    """Writes a periodic run's state in its own transaction: it must survive the job's rollback,
    and a failure to record must never fail the job itself."""
    from growth_manager.worker import state

    try:
        with database.session() as session:
            if what == "started":
                state.record_job_started(session, name, fields["schedule"], utcnow())
            else:
                state.record_job_finished(session, name, now=utcnow(), **fields)
    except Exception as exc:
        log.warning("worker.job_state.record_failed", job=name, error=str(exc))


def _request_id(task_self: Any) -> str | None:
    headers = getattr(task_self.request, "headers", None) or {}
    value = headers.get(REQUEST_ID_HEADER) if isinstance(headers, dict) else None
    if not isinstance(value, str):
        value = getattr(task_self.request, REQUEST_ID_HEADER, None)
    return value if isinstance(value, str) else None


def current_request_id() -> str | None:
    """The id of the HTTP request (or of the task) this code runs for, if any."""
    from asgi_correlation_id import correlation_id

    value = correlation_id.get() or structlog.contextvars.get_contextvars().get("request_id")
    return value if isinstance(value, str) else None


@before_task_publish.connect
def _add_request_id(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    """Every message sent while serving a request (or a task) carries that request's id, so a
    job's log lines can be joined to the request that caused them, whoever sent it."""
    if headers is not None and not headers.get(REQUEST_ID_HEADER):
        request_id = current_request_id()
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id


def enqueue(session: Session, task_obj: Any, *args: Any, **kwargs: Any) -> None:
    """Send ``task_obj`` with ``args`` once ``session`` commits; nothing if it rolls back."""
    pending: list[tuple[Any, tuple[Any, ...], dict[str, Any], str | None]] = (
        session.info.setdefault("pending_jobs", [])
    )
    # Captured now: the commit may run where the request's context is no longer current.
    pending.append((task_obj, args, kwargs, current_request_id()))
    if not session.info.get("pending_jobs_hooked"):
        session.info["pending_jobs_hooked"] = True
        event.listen(session, "after_commit", _send_pending)
        event.listen(session, "after_rollback", _drop_pending)


def _send_pending(session: Session) -> None:
    pending = session.info.pop("pending_jobs", [])
    for task_obj, args, kwargs, request_id in pending:
        headers = {REQUEST_ID_HEADER: request_id} if request_id else {}
        try:
            task_obj.apply_async(args=args, kwargs=kwargs, headers=headers)
        except Exception:
            # The row is committed; the periodic sweeps pick up work whose message was lost.
            log.exception("worker.enqueue.failed", task=getattr(task_obj, "name", "?"))


def _drop_pending(session: Session) -> None:
    session.info.pop("pending_jobs", None)
