"""SQL for what the worker and beat recorded: periodic job runs, heartbeats, expired rows.

Writes are single-statement upserts so that two processes recording at once (two workers, or
a worker and beat) never collide on the unique keys, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from growth_manager.models import Base
from growth_manager.models.jobs import PeriodicJobState, ProcessHeartbeat


def _upsert(
    session: Session,
    table: Table,
    values: Mapping[str, Any],
    key: Sequence[str],
    update_columns: Sequence[str],
) -> None:
    dialect = session.get_bind().dialect.name
    insert_fn: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert_fn(table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=list(key),
        set_={column: statement.excluded[column] for column in update_columns},
    )
    session.execute(statement)


def record_job_started(session: Session, name: str, schedule: str, now: datetime) -> None:
    _upsert(
        session,
        PeriodicJobState.__table__,  # type: ignore[arg-type]
        {"name": name, "schedule": schedule, "last_started_at": now, "run_count": 0},
        key=["name"],
        update_columns=["schedule", "last_started_at"],
    )


def record_job_finished(
    session: Session,
    name: str,
    *,
    status: str,
    error: str | None,
    duration_ms: int,
    now: datetime,
) -> None:
    session.execute(
        update(PeriodicJobState)
        .where(PeriodicJobState.name == name)
        .values(
            last_finished_at=now,
            last_status=status,
            last_error=error,
            last_duration_ms=duration_ms,
            run_count=PeriodicJobState.run_count + 1,
        )
    )


def record_next_runs(session: Session, next_runs: Mapping[str, tuple[str, datetime]]) -> None:
    """``{name: (schedule description, next run time)}`` as beat computed them."""
    for name, (schedule, next_run_at) in next_runs.items():
        _upsert(
            session,
            PeriodicJobState.__table__,  # type: ignore[arg-type]
            {"name": name, "schedule": schedule, "next_run_at": next_run_at, "run_count": 0},
            key=["name"],
            update_columns=["schedule", "next_run_at"],
        )


def record_heartbeat(
    session: Session, *, kind: str, hostname: str, pid: int, started_at: datetime, now: datetime
) -> None:
    _upsert(
        session,
        ProcessHeartbeat.__table__,  # type: ignore[arg-type]
        {
            "kind": kind,
            "hostname": hostname,
            "pid": pid,
            "started_at": started_at,
            "last_seen_at": now,
        },
        key=["kind", "hostname", "pid"],
        update_columns=["last_seen_at"],
    )


def job_states(session: Session) -> dict[str, PeriodicJobState]:
    return {row.name: row for row in session.scalars(select(PeriodicJobState))}


def heartbeats(session: Session, kind: str, seen_since: datetime) -> list[ProcessHeartbeat]:
    return list(
        session.scalars(
            select(ProcessHeartbeat)
            .where(ProcessHeartbeat.kind == kind, ProcessHeartbeat.last_seen_at >= seen_since)
            .order_by(ProcessHeartbeat.last_seen_at.desc())
        )
    )


@dataclass(frozen=True)
class ExpiryRule:
    """Rows of ``table`` whose ``column`` is older than ``now - grace`` are deleted."""

    table: str
    column: str
    grace: timedelta = timedelta(0)


def purge_expired(session: Session, rules: Sequence[ExpiryRule], now: datetime) -> dict[str, int]:
    """Deletes expired rows per rule; rules naming a table that doesn't exist are skipped."""
    deleted: dict[str, int] = {}
    for rule in rules:
        table = Base.metadata.tables.get(rule.table)
        if table is None or rule.column not in table.c:
            continue
        result: Any = session.execute(delete(table).where(table.c[rule.column] <= now - rule.grace))
        deleted[rule.table] = deleted.get(rule.table, 0) + int(result.rowcount or 0)
    return deleted
