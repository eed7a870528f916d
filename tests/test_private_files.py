"""The data directory is 0700 and the databases and secrets in it 0600, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from kombu import Connection
from sqlalchemy import text

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.files import sqlite_file
from growth_manager.worker.celery_app import create_celery


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual 022: without care, files come out world-readable."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_fresh_data_directory_is_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir)
    settings.resolved_secret_key()
    settings.resolved_token_keys()
    database = Database(settings)
    with database.engine.begin() as conn:  # WAL mode: the -wal and -shm files appear too
        conn.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO probe DEFAULT VALUES"))
    create_celery(settings)
    # kombu's transport opens the pre-created broker file and makes its tables in it.
    with Connection(settings.effective_broker_url) as broker:
        queue = broker.SimpleQueue("probe")
        queue.put({"id": 1})
        assert queue.get(timeout=5).payload == {"id": 1}
        queue.close()
    try:
        assert mode(data_dir) == 0o700
        files = ["growth.sqlite3", "broker.sqlite3", "secret_key", "token_keys"]
        files += [p.name for p in data_dir.iterdir() if p.name.endswith(("-wal", "-shm"))]
        assert "growth.sqlite3-wal" in files
        assert {name: mode(data_dir / name) for name in files} == dict.fromkeys(files, 0o600)
    finally:
        database.dispose()


def test_files_an_older_version_left_readable_are_tightened(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    for name in ("secret_key", "growth.sqlite3"):
        (data_dir / name).write_text("old-secret\n" if name == "secret_key" else "")
        (data_dir / name).chmod(0o644)
    settings = Settings(data_dir=data_dir)
    assert settings.resolved_secret_key() == "old-secret"
    Database(settings).dispose()
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "secret_key") == 0o600
    assert mode(data_dir / "growth.sqlite3") == 0o600


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////srv/gm/growth.sqlite3", Path("/srv/gm/growth.sqlite3")),
        ("sqla+sqlite:////srv/gm/broker.sqlite3", Path("/srv/gm/broker.sqlite3")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("postgresql+psycopg://u@h/db", None),
        ("redis://127.0.0.1:6379/0", None),
    ],
)
def test_sqlite_file_of_a_url(url: str, expected: Path | None) -> None:
    assert sqlite_file(url) == expected
