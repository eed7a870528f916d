"""Files only this user may read: the data directory (0700), and the SQLite databases and
generated secrets in it (0600).

They hold password hashes, session secrets, the keys that decrypt platform tokens and the
encrypted tokens themselves, so on a shared machine no other account may read them, whatever
the umask. SQLite gives its ``-wal`` and ``-shm`` files the database file's own mode, which is
why creating the database file first, privately, is enough.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & 0o077:  # readable, writable or searchable by group or others
        os.chmod(path, mode)
        log.info("files.permissions.tightened", path=str(path), mode=oct(mode))


def private_directory(path: Path) -> Path:
    """Create ``path`` (and missing parents) so that only this user can enter it; an existing
    one that others can read is tightened."""
    path.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    _tighten(path, PRIVATE_DIRECTORY)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty, readable and writable by this user only, unless it exists (then
    it is tightened). Its directory must exist."""
    # O_EXCL: never truncate what another process created a moment ago.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    _tighten(path, PRIVATE_FILE)
    return path


def sqlite_file(url: str) -> Path | None:
    """The database file of an SQLite URL (``sqlite:///…``, ``sqla+sqlite:///…``); None for
    other databases and for in-memory ones."""
    from sqlalchemy.engine import make_url

    if "sqlite" not in url.split(":", 1)[0]:
        return None
    database = make_url(url.removeprefix("sqla+")).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def private_sqlite(url: str) -> None:
    """Before SQLite (or kombu) opens ``url``: its file exists and is private.

    A directory that does not exist is left for SQLite to report: a mistyped database path
    must fail (the health check names it), not be created. The data directory itself is made
    by :func:`private_directory` where the product owns it (settings, migrate, the worker)."""
    path = sqlite_file(url)
    if path is not None and path.parent.is_dir():
        private_file(path)
