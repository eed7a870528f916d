"""Persistent state of the sandbox: one SQLite file, SQLAlchemy ORM tables per platform.

Every platform module declares its tables on :class:`Base` with a table-name prefix of its own
(``x_``, ``li_``, ``meta_``, ``sb_`` for the control plane), so that reset, export and import
can treat the whole state generically.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, String, create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on SQLite, which stores naive values."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the sandbox store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Setting(Base):
    """Key/value settings of the sandbox itself (clock offset, seed, rate-limit overrides)."""

    __tablename__ = "sb_setting"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Store:
    """The sandbox's SQLite database. ``session()`` commits on success, rolls back on error."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.engine: Engine = create_engine(
            f"sqlite:///{path}",
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        event.listen(self.engine, "connect", _sqlite_pragmas)
        # Every unit of work takes the write lock when it begins. A deferred transaction that
        # reads and then writes fails at once with "database is locked" when another thread
        # wrote in between (its snapshot is stale, so SQLite can't wait it out): handlers read
        # then write all the time (next id, then insert).
        event.listen(self.engine, "begin", _begin_immediate)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def create_all(self) -> None:
        Base.metadata.create_all(self.engine)

    def drop_all(self) -> None:
        Base.metadata.drop_all(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def get_setting(self, session: Session, key: str, default: Any = None) -> Any:
        row = session.get(Setting, key)
        return default if row is None else row.value

    def set_setting(self, session: Session, key: str, value: Any) -> None:
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value))
        else:
            row.value = value

    def export_state(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table, as JSON-safe dicts (datetimes as ISO 8601)."""
        out: dict[str, list[dict[str, Any]]] = {}
        with self.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                rows = conn.execute(select(table)).mappings().all()
                out[table.name] = [
                    {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()}
                    for r in rows
                ]
        return json.loads(json.dumps(out, default=str))  # type: ignore[no-any-return]

    def import_state(self, state: dict[str, list[dict[str, Any]]]) -> None:
        """Replace the whole state with an export; unknown tables are an error."""
        known = {t.name: t for t in Base.metadata.sorted_tables}
        unknown = set(state) - set(known)
        if unknown:
            raise ValueError(f"unknown tables in state: {sorted(unknown)}")
        with self.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
            for table in Base.metadata.sorted_tables:
                rows = state.get(table.name) or []
                if not rows:
                    continue
                converted = []
                for row in rows:
                    item = dict(row)
                    for col in table.columns:
                        value = item.get(col.name)
                        if isinstance(col.type, UTCDateTime) and isinstance(value, str):
                            item[col.name] = datetime.fromisoformat(value)
                    converted.append(item)
                conn.execute(table.insert(), converted)


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own implicit BEGIN is off, so the "begin" listener decides how to begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
