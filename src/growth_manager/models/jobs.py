"""What the worker and beat really did: periodic job runs and process heartbeats.

Celery's own state (beat's shelve file, the broker) is neither shared nor queryable across
processes, so the status endpoint reads these rows instead. They are written by the processes
themselves: the task decorator records each periodic run, beat records its next run times and
its own heartbeat, the ``system.heartbeat`` job records the worker's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from growth_manager.models.base import Base

JOB_STATUS_OK = "ok"
JOB_STATUS_ERROR = "error"
# The attempt failed with a ``retry_for`` error and Celery scheduled another attempt.
JOB_STATUS_RETRYING = "retrying"

PROCESS_WORKER = "worker"
PROCESS_BEAT = "beat"


class PeriodicJobState(Base):
    """The latest run of one beat entry, keyed by the task name."""

    __tablename__ = "periodic_job_state"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    schedule: Mapped[str] = mapped_column(String(200), default="")
    last_started_at: Mapped[datetime | None] = mapped_column(default=None)
    last_finished_at: Mapped[datetime | None] = mapped_column(default=None)
    last_status: Mapped[str | None] = mapped_column(String(20), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_duration_ms: Mapped[int | None] = mapped_column(default=None)
    run_count: Mapped[int] = mapped_column(default=0)
    next_run_at: Mapped[datetime | None] = mapped_column(default=None)


class ProcessHeartbeat(Base):
    """A worker or beat process that said it was alive, and when it last did."""

    __tablename__ = "process_heartbeat"
    __table_args__ = (UniqueConstraint("kind", "hostname", "pid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(index=True)
