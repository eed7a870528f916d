"""The request's unit of work: it commits before the response is sent, read requests never take
SQLite's write lock and never write, and every route gets its session the same way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from growth_manager.db import Database, WriteInReadTransaction, get_db_session
from growth_manager.models.content import Post
from growth_manager.models.user import User
from tests.support.factories import bearer_for, make_business, make_user


@pytest.fixture
def owner(database: Database) -> tuple[dict[str, str], int]:
    with database.session() as session:
        user = make_user(session, "boundary@example.com")
        business = make_business(session, user)
        return bearer_for(session, user), business.id


def _session_dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        if sub.call is get_db_session:
            yield sub
        yield from _session_dependencies(sub)


def test_every_route_gets_its_session_committed_before_the_response(app: FastAPI) -> None:
    using_session = 0
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None:
            continue
        for dependency in _session_dependencies(dependant):
            using_session += 1
            assert dependency.scope == "function", (
                f"{route.path} depends on get_db_session with scope {dependency.scope!r}: use "
                "growth_manager.db.DbSession, which commits before the response is sent"
            )
    assert using_session > 50  # the walk really reached the routes' sessions


def test_a_failed_commit_is_an_error_response_and_nothing_is_kept(
    app: FastAPI, database: Database, owner: tuple[dict[str, str], int]
) -> None:
    headers, business_id = owner

    def refuse(session: Session) -> None:
        if session.scalar(select(func.count()).select_from(Post)):
            raise RuntimeError("commit refused by the test")

    event.listen(Session, "before_commit", refuse)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.post(
                f"/api/v1/businesses/{business_id}/drafts",
                json={"title": "Never stored", "base_text": "hello"},
                headers=headers,
            )
    finally:
        event.remove(Session, "before_commit", refuse)
    assert response.status_code == 500, response.text
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 0


def test_a_read_session_refuses_to_write(database: Database) -> None:
    with database.read_session() as session:
        session.add(User(email="nobody@example.com", name="", password_hash="x"))
        with pytest.raises(WriteInReadTransaction):
            session.flush()
        session.rollback()
    with database.session() as session:
        assert session.scalar(select(User).where(User.email == "nobody@example.com")) is None


def test_get_requests_do_not_wait_for_the_sqlite_write_lock(
    client: TestClient, database: Database, db_kind: str, owner: tuple[dict[str, str], int]
) -> None:
    if db_kind != "sqlite":
        pytest.skip("SQLite's database-wide write lock only")
    headers, business_id = owner
    created = client.post(
        f"/api/v1/businesses/{business_id}/drafts",
        json={"title": "Read me", "base_text": "hello"},
        headers=headers,
    )
    assert created.status_code == 201
    answers: list[Any] = []
    # Another connection holds the write lock for the whole time the reads run: had the reads
    # asked for it, each would wait out busy_timeout and fail with "database is locked".
    with database.engine.connect() as holder:
        holder.execute(text("SELECT 1"))  # BEGIN IMMEDIATE on this write connection
        for path in (
            f"/api/v1/businesses/{business_id}/drafts",
            f"/api/v1/businesses/{business_id}/drafts/{created.json()['id']}",
            "/api/v1/auth/me",
        ):
            done = threading.Event()

            def read(path: str = path, done: threading.Event = done) -> None:
                answers.append(client.get(path, headers=headers))
                done.set()

            threading.Thread(target=read, daemon=True).start()
            assert done.wait(5), f"GET {path} waited for the write lock"
        holder.rollback()
    assert [answer.status_code for answer in answers] == [200, 200, 200]
