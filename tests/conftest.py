"""Shared fixtures: real databases (SQLite by default, PostgreSQL with --db=postgres or
GROWTH_TEST_DB=postgres), a fresh schema per test session, and per-test isolation by emptying
every table after each test (the app commits at its boundary, often from other threads, so
wrapping tests in a rolled-back transaction would not see those commits)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models import Base
from growth_manager.models.user import User
from growth_manager.worker.celery_app import create_celery
from tests.support.analytics_rows import Seeded, seed_analytics
from tests.support.apps import app_sharing
from tests.support.live_server import live_server
from tests.support.owners import Owner, make_owner
from tests.support.sandbox import SandboxHandle, register_callbacks
from tests.support.team import Team, make_team
from tests.support.world import World, make_world, signed_in_clients

POSTGRES_ADMIN_URL = os.environ.get(
    "GROWTH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=["sqlite", "postgres"],
        default=os.environ.get("GROWTH_TEST_DB", "sqlite"),
        help="Database the suite runs on (default sqlite; env GROWTH_TEST_DB).",
    )


def _create_postgres_database() -> str:
    """A new database for this test session, so two runs (or two sessions) never collide."""
    name = f"growth_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.config.getoption("--db")
    return kind


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def settings(db_kind: str, data_dir: Path) -> Iterator[Settings]:
    database_url = None
    if db_kind == "postgres":
        database_url = _create_postgres_database()
    yield Settings(
        data_dir=data_dir,
        database_url=database_url,
        environment="test",
        log_json=True,
        public_url="http://testserver",
    )
    if database_url:
        _drop_postgres_database(database_url)


@pytest.fixture(scope="session")
def database(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def empty_all_tables(database: Database) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _isolate_database(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "database" in request.fixturenames:
        empty_all_tables(request.getfixturevalue("database"))


@pytest.fixture
def app(settings: Settings, database: Database) -> FastAPI:
    return app_sharing(settings, database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def team(database: Database) -> Team:
    """A business with one member of each role, and a stranger who owns another business."""
    return make_team(database)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """The platform sandbox on a real loopback port, one server for the whole session."""
    from platform_sandbox.app import create_app

    data_dir: Path = tmp_path_factory.mktemp("sandbox")
    app = create_app(data_dir, seed=42)
    with live_server(app) as url:
        yield SandboxHandle(url=url, app=app)


@pytest.fixture
def fresh_sandbox(sandbox: SandboxHandle) -> SandboxHandle:
    """The sandbox reset before the test (drop, create, re-seed, clock offset 0), so tests
    never see each other's posts or tokens."""
    sandbox.reset()
    return sandbox


def json_of(response: Any) -> Any:
    """The JSON body, with the status in the assertion message when it is not JSON."""
    try:
        return response.json()
    except ValueError as exc:  # pragma: no cover - diagnostic only
        raise AssertionError(f"{response.status_code}: {response.text[:500]}") from exc


@pytest.fixture
def owner(database: Database) -> Owner:
    return make_owner(database)


@pytest.fixture
def sandbox_settings(settings: Settings, fresh_sandbox: SandboxHandle) -> Settings:
    """The product's settings with every platform served by a fresh sandbox, whose OAuth
    callbacks are registered there."""
    configured = settings.model_copy(update={"sandbox_url": fresh_sandbox.url})
    register_callbacks(fresh_sandbox, configured.public_url)
    return configured


@pytest.fixture
def gm(sandbox_settings: Settings, database: Database) -> Iterator[TestClient]:
    """The product talking to a fresh sandbox."""
    with TestClient(
        app_sharing(sandbox_settings, database), base_url=sandbox_settings.public_url
    ) as client:
        yield client


REDIS_TEST_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture(params=["sqlite-broker", "redis-broker"])
def broker_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite-broker":
        yield f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
        return
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    client.flushdb()
    yield REDIS_TEST_URL
    client.flushdb()
    client.close()


@pytest.fixture
def worker_settings(settings: Settings, broker_url: str) -> Settings:
    # Job tests are not about publishing: no dispatcher thread that outlives their worker.
    return settings.model_copy(update={"broker_url": broker_url, "publish_dispatcher": False})


@pytest.fixture
def celery_app(worker_settings: Settings, database: Database) -> Iterator[Celery]:
    app = create_celery(worker_settings)
    app.set_current()
    app.set_default()
    yield app
    app.close()


@pytest.fixture(autouse=True)
def _no_dispatcher_outlives_its_test() -> Iterator[None]:
    """A publishing dispatcher left running would claim later tests' posts."""
    yield
    import threading

    leaked = [t for t in threading.enumerate() if t.name == "publish-dispatcher" and t.is_alive()]
    assert not leaked, "a publishing dispatcher is still running after the test"


@pytest.fixture
def world(database: Database) -> World:
    """A business with a member of each role and an outsider (tests/support/world.py)."""
    return make_world(database)


@pytest.fixture
def signed_in(app: FastAPI) -> Iterator[Callable[[User], TestClient]]:
    """A new client with a dashboard session for a user."""
    with signed_in_clients(app) as make:
        yield make


@pytest.fixture
def now() -> datetime:
    return utcnow()


@pytest.fixture
def seeded(database: Database, world: World, now: datetime) -> Seeded:
    """Synced analytics rows for ``world``'s business (tests/support/analytics_rows.py)."""
    return seed_analytics(database, world.bid, now)
