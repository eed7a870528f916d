"""Engine, session factories and the request-scoped session that commits at the boundary.

Services only ``flush()``; the request dependency (and the task decorator) commit once at the
end, or roll back on any error, so a failed request never leaves half-written rows. The request's
commit runs after the endpoint returns and **before the response is sent**, so a 201 is only
ever sent for a row that is already visible, and a failed commit becomes an error response.

Reads and writes are told apart at the boundary. A request that can change state (any method but
GET/HEAD/OPTIONS, or a GET endpoint marked with :func:`writes`, such as an OAuth callback) gets a
*write* session; every other request gets a *read* session. On SQLite the difference is the lock:

- A write session starts with ``BEGIN IMMEDIATE``, taking SQLite's single write lock up front. A
  deferred transaction that reads and then writes fails at once with "database is locked" when
  another connection committed in between (WAL can't upgrade a stale snapshot, and
  ``busy_timeout`` doesn't apply to that), so writers queue for the lock at the start instead.
- A read session starts with a deferred ``BEGIN``: a consistent snapshot that never takes the
  write lock, so reads never queue behind writers (or each other). A read session refuses to
  write, loudly, so a GET endpoint that writes is found by its first test instead of failing
  only under load; the rare bookkeeping a read request does (an API token's last use) goes
  through :meth:`Database.write_session`, a separate short transaction.

On PostgreSQL both are ordinary transactions; the guard is the same, so code behaves alike on
both databases.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from growth_manager.config import Settings
from growth_manager.kit.files import private_sqlite

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY = "growth_read_only"  # execution option and Session.info key
WRITES_ATTRIBUTE = "__growth_writes__"

F = TypeVar("F", bound=Callable[..., Any])


class WriteInReadTransaction(RuntimeError):
    """A read session was asked to write: the endpoint must be marked with :func:`writes`."""


def writes(endpoint: F) -> F:
    """Marks a GET endpoint that changes state (e.g. an OAuth callback), so its request gets a
    write session. Every non-GET endpoint gets one without asking."""
    setattr(endpoint, WRITES_ATTRIBUTE, True)
    return endpoint


CALLS_PLATFORM_ATTRIBUTE = "__growth_calls_platform__"


def calls_platform(endpoint: F) -> F:
    """Marks a changing endpoint whose writes all happen in units of work of its own around a
    platform call (claim, call with no transaction open, record). Its request gets a read
    session, so no write lock or open write transaction is held while the platform answers."""
    setattr(endpoint, CALLS_PLATFORM_ATTRIBUTE, True)
    return endpoint


def make_engine(url: str, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        private_sqlite(url)  # 0600 in a 0700 data directory, before SQLite creates it 0644
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            # A connection per request session (as many as threads, get_db_session), plus one
            # per thread for the short side transactions of read requests, and some room:
            # nobody waits for a slot while holding a thread.
            pool_size=pool_size,
            max_overflow=pool_size + 10,
            pool_timeout=10,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=pool_size + 10,
        pool_timeout=10,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")  # deferred: a snapshot, never the write lock
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        changed = {type(obj).__name__ for obj in (*session.new, *session.dirty, *session.deleted)}
        raise WriteInReadTransaction(
            f"A read-only request tried to write {', '.join(sorted(changed))}: mark the "
            "endpoint with growth_manager.db.writes, or do bookkeeping in "
            "Database.write_session()."
        )


def _refuse_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise WriteInReadTransaction(
            "A read-only request tried to run an INSERT, UPDATE or DELETE: mark the endpoint "
            "with growth_manager.db.writes, or do bookkeeping in Database.write_session()."
        )


class Database:
    """One per process: the engine and its two session factories."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.effective_database_url, pool_size=settings.web_threads)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}),
            expire_on_commit=False,
            info={READ_ONLY: True},
        )
        event.listen(self.read_sessions, "before_flush", _refuse_flush)
        event.listen(self.read_sessions, "do_orm_execute", _refuse_dml)
        self._write_turn: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._request_slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def write_turn(self) -> asyncio.Lock:
        """The event-loop lock write requests queue on (see :func:`sqlite_write_turn`)."""
        loop = asyncio.get_running_loop()
        if self._write_turn is None or self._write_turn[0] is not loop:
            self._write_turn = (loop, asyncio.Lock())
        return self._write_turn[1]

    def request_slots(self) -> asyncio.Semaphore:
        """The event-loop semaphore request sessions queue on (see :func:`get_db_session`)."""
        loop = asyncio.get_running_loop()
        if self._request_slots is None or self._request_slots[0] is not loop:
            slots = asyncio.Semaphore(self.settings.web_threads)
            self._request_slots = (loop, slots)
        return self._request_slots[1]

    @asynccontextmanager
    async def slot_given_back(self) -> AsyncIterator[None]:
        """For a request that waits on something else (a worker) without using its session:
        its slot goes to the requests queued behind it meanwhile, and is taken back after."""
        slots = self.request_slots()
        slots.release()
        try:
            yield
        finally:
            await slots.acquire()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work that may write: commit on success, roll back on any exception."""
        yield from _unit_of_work(self.sessions())

    write_session = session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A consistent read: never takes SQLite's write lock, refuses to write."""
        yield from _unit_of_work(self.read_sessions())

    def dispose(self) -> None:
        self.engine.dispose()


def _unit_of_work(session: Session) -> Iterator[Session]:
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


Claimed = TypeVar("Claimed")
Answer = TypeVar("Answer")
Outcome = TypeVar("Outcome")


def unit_of_work(
    database: Database,
    claim: Callable[[Session], Claimed | None],
    call: Callable[[Claimed], Answer],
    record: Callable[[Session, Claimed, Answer], Outcome],
) -> Outcome | None:
    """The one shape of work that calls a platform (or anything slow and outside): **claim**
    what the work is about in a short write transaction (a lease, a consumed state, the rows
    to act on; ``None``: nothing to do), **call** with no transaction open, **record** the
    answer in a second short transaction. No lock or open transaction is ever held while the
    other side answers, and what was claimed stays claimed when the call fails.

    ``call`` that can fail returns its failure as a value (or ``record`` never runs): the
    recording of a failure is work too, and it belongs in ``record``'s transaction.
    """
    with database.session() as session:
        claimed = claim(session)
    if claimed is None:
        return None
    answer = call(claimed)
    with database.session() as session:
        return record(session, claimed, answer)


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Runs ``action`` once the session's transaction commits (never if it rolls back): for
    work outside the database that must not happen for a write that did not (removing a file,
    telling a channel)."""
    event.listen(session, "after_commit", lambda _session: action(), once=True)


def is_read_only(session: Session) -> bool:
    return bool(session.info.get(READ_ONLY))


def request_writes(request: Request) -> bool:
    endpoint = request.scope.get("endpoint")
    if request.method not in SAFE_METHODS:
        return not getattr(endpoint, CALLS_PLATFORM_ATTRIBUTE, False)
    return bool(getattr(endpoint, WRITES_ATTRIBUTE, False))


async def sqlite_write_turn(request: Request) -> AsyncIterator[None]:
    """On SQLite, one write request of this process at a time holds the database, waited for
    on the event loop rather than on a thread.

    A write transaction takes SQLite's lock at its first statement (in the authentication
    dependency) and needs further threads before it commits (the endpoint, the commit). If 50
    writers each held a thread while waiting in SQLite's busy handler, the one holding the lock
    could wait for a thread until their timeouts ran out: every write stalled for seconds. SQLite
    runs one writer at a time anyway; queueing them here costs nothing and keeps threads free.
    Other processes (workers, more web processes) still meet at SQLite's own lock.
    """
    database: Database = request.app.state.database
    if not database.is_sqlite or not request_writes(request):
        yield
        return
    async with database.write_turn():
        yield


async def get_db_session(
    request: Request, _turn: Annotated[None, Depends(sqlite_write_turn, scope="function")]
) -> AsyncIterator[Session]:
    """The request's session: a write session for requests that can change state, a read
    session otherwise. Committed when the endpoint returns, before the response is sent (and
    before the write turn is handed on).

    Async on purpose: making a session does no I/O, and each sync dependency costs a hop to a
    worker thread and back (measured as a large part of a small request's CPU). Ending a
    session does I/O, so it runs on a thread, except an SQLite read's, which only ends a
    snapshot inside this process.
    """
    database: Database = request.app.state.database
    writes = request_writes(request)
    # As many request sessions at a time as there are threads (and pooled connections): the
    # others wait here, on the event loop, before they hold a connection. Without this, more
    # requests than threads each check a connection out between their thread hops, and the
    # threads left wait in the pool for connections whose requests wait for a thread.
    async with database.request_slots():
        session = database.sessions() if writes else database.read_sessions()
        inline = database.is_sqlite and not writes
        try:
            yield session
        except BaseException:
            await _finish(session.rollback, session, inline)
            raise
        await _finish(session.commit, session, inline)


async def _finish(end: Callable[[], None], session: Session, inline: bool) -> None:
    def run() -> None:
        try:
            end()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    if inline:
        run()
    else:
        await run_in_threadpool(run)


# Always depend on the session through this alias. scope="function": the code after ``yield``
# (the commit) runs when the endpoint returns and its answer is serialised, before the response
# is sent. FastAPI's default ("request") would commit after the client already has a 201 for a
# row it can't read yet (tests/test_db_boundary.py keeps every route on this alias).
DbSession = Annotated[Session, Depends(get_db_session, scope="function")]


_databases: dict[str, Database] = {}


def get_database(settings: Settings | None = None) -> Database:
    """The process-wide :class:`Database` for these settings (workers and CLI commands)."""
    from growth_manager.config import get_settings

    settings = settings or get_settings()
    url = settings.effective_database_url
    if url not in _databases:
        _databases[url] = Database(settings)
    return _databases[url]
