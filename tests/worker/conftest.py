"""A real Celery worker (in a thread of the test process) on a real broker: the embedded SQLite
transport in a temporary data directory, or the machine's Redis on a database of its own."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from fastapi.testclient import TestClient
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.orm import Session

from growth_manager.auth.dependencies import hash_api_token
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.user import ApiToken, User

T = TypeVar("T")

# A table only these tests use: each test job writes a row the test can wait for.
test_metadata = MetaData()
marks = Table(
    "test_job_mark",
    test_metadata,
    Column("id", Integer, primary_key=True),
    Column("label", String(100)),
    Column("attempt", Integer),
    Column("request_id", String(100), nullable=True),
)


@pytest.fixture
def marks_table(database: Database) -> Iterator[Table]:
    test_metadata.create_all(database.engine)
    yield marks
    with database.engine.begin() as conn:
        conn.execute(marks.delete())


def read_marks(database: Database) -> list[dict[str, Any]]:
    with database.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(marks).order_by(marks.c.id))]


@pytest.fixture
def worker(celery_app: Celery, marks_table: Table) -> Iterator[Any]:
    with start_worker(
        celery_app,
        pool="solo",
        perform_ping_check=False,
        queues=["default", "publish"],
        shutdown_timeout=30,
    ) as running:
        yield running


def make_bearer(database: Database) -> dict[str, str]:
    token = "gm_" + secrets.token_urlsafe(24)
    with database.session() as session:
        user = User(email=f"{secrets.token_hex(4)}@example.com", password_hash="x")
        session.add(user)
        session.flush()
        session.add(
            ApiToken(
                user_id=user.id,
                token_hash=hash_api_token(token),
                expires_at=utcnow() + timedelta(days=1),
            )
        )
    return {"Authorization": f"Bearer {token}"}


def mark(session: Session, label: str, attempt: int, request_id: str | None) -> None:
    session.execute(marks.insert().values(label=label, attempt=attempt, request_id=request_id))


def status_of(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get("/api/v1/scheduler/status", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
