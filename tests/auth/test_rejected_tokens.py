"""A bearer token refused once is refused again at the door: no thread, no query."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from growth_manager.auth.rejected_tokens import RejectedTokens
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.user import ApiToken
from tests.support.factories import bearer_for, make_user


@pytest.fixture
def statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    yield seen
    event.remove(database.engine, "before_cursor_execute", record)


def test_a_refused_token_is_refused_again_without_a_query(
    client: TestClient, statements: list[str]
) -> None:
    headers = {"Authorization": "Bearer gm_not-a-token-anyone-issued"}
    first = client.get("/api/v1/auth/me", headers=headers)
    assert first.status_code == 401
    assert any("api_token" in s for s in statements)  # the first answer came from the database
    statements.clear()
    again = client.get("/api/v1/businesses", headers=headers)
    assert again.status_code == 401
    assert again.json() == first.json()
    assert again.headers["www-authenticate"] == "Bearer"
    assert statements == []


def test_valid_tokens_are_never_remembered_and_revoked_ones_are(
    client: TestClient, database: Database, statements: list[str]
) -> None:
    with database.session() as session:
        user = make_user(session, "valid@example.com")
        headers = bearer_for(session, user)
    for _ in range(3):
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    with database.session() as session:
        session.execute(update(ApiToken).values(revoked_at=utcnow()))
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    statements.clear()
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert statements == []


@pytest.fixture(autouse=True)
def _no_pause(app: FastAPI) -> None:
    app.state.rejected_tokens.pause_seconds = 0  # the pause has its own test


def test_a_remembered_refusal_waits_before_it_answers(client: TestClient, app: FastAPI) -> None:
    headers = {"Authorization": "Bearer gm_typo"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    app.state.rejected_tokens.pause_seconds = 0.5
    started = time.monotonic()
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert time.monotonic() - started >= 0.5


def test_the_memory_forgets_after_its_time_and_stays_bounded() -> None:
    rejected = RejectedTokens(ttl_seconds=-1)
    rejected.add("a")
    assert "a" not in rejected
    bounded = RejectedTokens(capacity=2)
    for token_hash in ("a", "b", "c"):
        bounded.add(token_hash)
    assert "a" not in bounded
    assert "b" in bounded
    assert "c" in bounded
