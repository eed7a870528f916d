"""The worker's own periodic jobs: a heartbeat, and purging rows that have expired."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

import structlog
from celery import current_task
from celery.signals import worker_process_init, worker_ready
from sqlalchemy.orm import Session

from growth_manager.kit.clock import utcnow
from growth_manager.models.jobs import PROCESS_WORKER
from growth_manager.worker import state
from growth_manager.worker.state import ExpiryRule
from growth_manager.worker.tasks import database_for, task

log = structlog.get_logger(__name__)

HEARTBEAT_EVERY = timedelta(seconds=15)
# A worker whose heartbeat job hasn't run for this long is reported as not alive: it is gone,
# or it is too busy (or its queue too backed up) to run a job scheduled three times since.
WORKER_STALE_AFTER = HEARTBEAT_EVERY * 4

# Tables whose rows expire. Feature modules append their own with :func:`register_expiry`.
EXPIRY_RULES: list[ExpiryRule] = [
    # Kept a while after expiry or revocation so "your token expired" can still be explained.
    ExpiryRule("api_token", "expires_at", timedelta(days=30)),
    ExpiryRule("api_token", "revoked_at", timedelta(days=30)),
    ExpiryRule("oauth_state", "expires_at"),
    # Dashboard sessions (in Redis, keys expire by themselves). Logout deletes at once.
    ExpiryRule("user_session", "expires_at"),
    ExpiryRule("pending_connection", "expires_at"),
    # Replies kept for Idempotency-Key retries (growth_manager/idempotency.py).
    ExpiryRule("idempotent_reply", "created_at", timedelta(hours=24)),
    # Heartbeats of processes long gone (every restart gets a new pid).
    ExpiryRule("process_heartbeat", "last_seen_at", timedelta(days=7)),
]


def register_expiry(rule: ExpiryRule) -> None:
    if rule not in EXPIRY_RULES:
        EXPIRY_RULES.append(rule)


class _WorkerIdentity:
    started_at: datetime = utcnow()
    # Set in prefork pool children: the heartbeat names the worker (the pool's parent), not the
    # child that happened to run the job.
    main_pid: int | None = None


@worker_process_init.connect
def _remember_parent(**_kwargs: Any) -> None:
    _WorkerIdentity.main_pid = os.getppid()


def _worker_pid() -> int:
    return _WorkerIdentity.main_pid or os.getpid()


@worker_ready.connect
def _first_heartbeat(sender: Any = None, **_kwargs: Any) -> None:
    """Shows the worker in the status as soon as it is ready, before its first heartbeat job."""
    _WorkerIdentity.started_at = utcnow()
    app = getattr(sender, "app", None)
    hostname = getattr(sender, "hostname", None) or socket.gethostname()
    try:
        with database_for(app).session() as session:
            _beat(session, hostname)
    except Exception as exc:
        log.warning("worker.heartbeat.record_failed", error=str(exc))


def _beat(session: Session, hostname: str) -> None:
    now = utcnow()
    state.record_heartbeat(
        session,
        kind=PROCESS_WORKER,
        hostname=hostname,
        pid=_worker_pid(),
        started_at=_WorkerIdentity.started_at,
        now=now,
    )


@task("system.heartbeat", schedule=HEARTBEAT_EVERY, max_retries=0)
def heartbeat(session: Session) -> None:
    """Records that a worker took a job off the queue and ran it just now."""
    request = current_task.request if current_task else None
    hostname = getattr(request, "hostname", None) or socket.gethostname()
    _beat(session, hostname)


@task("system.purge_expired", schedule=timedelta(hours=1), max_retries=2, backoff_max=60)
def purge_expired(session: Session) -> dict[str, int]:
    """Deletes expired rows of every table in :data:`EXPIRY_RULES`."""
    deleted = state.purge_expired(session, EXPIRY_RULES, utcnow())
    # Table names as values, not keys: log redaction blanks any key that mentions "token".
    log.info(
        "system.purge_expired.done",
        deleted_rows=sum(deleted.values()),
        per_table=[f"{table}:{count}" for table, count in deleted.items()],
    )
    return deleted
