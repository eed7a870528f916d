"""Engine, session factory and the request-scoped session that commits at the boundary.

Services only ``flush()``; the request dependency (and the task decorator) commit once at the
end, or roll back on any error, so a failed request never leaves half-written rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from growth_manager.config import Settings
from growth_manager.kit.files import private_sqlite


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        private_sqlite(url)  # 0600 in a 0700 data directory, before SQLite creates it 0644
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # BEGIN IMMEDIATE takes SQLite's write lock when the transaction starts. With a plain
        # (deferred) BEGIN, a transaction that reads and then writes fails at once with
        # "database is locked" whenever another process (worker, beat) committed in between:
        # WAL can't upgrade a stale read snapshot, and busy_timeout doesn't apply to that.
        # Readers are never blocked by this; writers queue up behind busy_timeout.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # see the "begin" listener above
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """One per process: the engine and its session factory."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.effective_database_url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commit on success, roll back on any exception."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def get_db_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: the request's session, committed when the endpoint returns."""
    database: Database = request.app.state.database
    with database.session() as session:
        yield session


_databases: dict[str, Database] = {}


def get_database(settings: Settings | None = None) -> Database:
    """The process-wide :class:`Database` for these settings (workers and CLI commands)."""
    from growth_manager.config import get_settings

    settings = settings or get_settings()
    url = settings.effective_database_url
    if url not in _databases:
        _databases[url] = Database(settings)
    return _databases[url]
