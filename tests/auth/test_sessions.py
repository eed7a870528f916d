"""Server-side dashboard sessions: the stores (database and real Redis), logout, password change,
the sessions API and the account page."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from growth_manager.auth.sessions import (
    LAST_SEEN_GRANULARITY,
    RedisSessionStore,
    SessionStore,
    SqlSessionStore,
    new_session,
    session_secret_hash,
)
from growth_manager.db import Database
from growth_manager.models.user import ApiToken, User, UserSession
from growth_manager.worker.state import purge_expired
from growth_manager.worker.system_tasks import EXPIRY_RULES
from tests.auth.conftest import (
    PASSWORD,
    bearer,
    form_csrf,
    login_page,
    page_csrf,
    signed_in_as,
    signup_api,
    token_for,
)

REDIS_URL = "redis://127.0.0.1:6379/13"
NEW_PASSWORD = "a brand new passphrase"
MOMENT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


# The stores --------------------------------------------------------------------------------------
@pytest.fixture(params=["sql", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[SessionStore]:
    if request.param == "sql":
        yield SqlSessionStore()
        return
    prefix = f"test:{uuid.uuid4().hex}:"
    yield RedisSessionStore(REDIS_URL, prefix=prefix)
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.fixture
def user_ids(database: Database) -> list[int]:
    with database.session() as session:
        users = [User(email=f"u{i}@example.com", password_hash="x") for i in range(2)]
        session.add_all(users)
        session.flush()
        return [user.id for user in users]


def _open(
    database: Database, store: SessionStore, user_id: int, now: datetime, days: int = 14
) -> tuple[str, str]:
    secret, browser = new_session(user_id, now, timedelta(days=days), "Firefox", "10.0.0.1")
    with database.session() as session:
        store.create(session, session_secret_hash(secret), browser)
    return secret, browser.id


def test_a_store_finds_lists_and_ends_sessions(
    database: Database, store: SessionStore, user_ids: list[int]
) -> None:
    alice, bob = user_ids
    now = MOMENT
    first, first_id = _open(database, store, alice, now)
    second, second_id = _open(database, store, alice, now + timedelta(minutes=1))
    _, bobs_id = _open(database, store, bob, now)
    _, third_id = _open(database, store, alice, now - timedelta(minutes=1))
    with database.session() as session:
        found = store.find(session, session_secret_hash(first), now)
        assert found is not None
        assert (found.id, found.user_id, found.user_agent) == (first_id, alice, "Firefox")
        assert store.find(session, session_secret_hash("not a secret"), now) is None
        # The secret itself is not a key: only its hash finds the session.
        assert store.find(session, first, now) is None
        listed = [s.id for s in store.of_user(session, alice, now)]
        assert listed == [second_id, first_id, third_id]
        # Another user's session cannot be ended by id.
        assert store.end(session, alice, bobs_id) is False
        assert store.end(session, alice, first_id) is True
        assert store.end(session, alice, first_id) is False
        assert store.find(session, session_secret_hash(first), now) is None
        assert store.find(session, session_secret_hash(second), now) is not None
        assert store.end_all(session, alice, keep=third_id) == 1
        assert [s.id for s in store.of_user(session, alice, now)] == [third_id]
        assert store.find(session, session_secret_hash(second), now) is None
        assert [s.id for s in store.of_user(session, bob, now)] == [bobs_id]


def test_a_store_never_returns_an_expired_session(
    database: Database, store: SessionStore, user_ids: list[int]
) -> None:
    secret, _ = _open(database, store, user_ids[0], MOMENT, days=1)
    with database.session() as session:
        assert store.find(session, session_secret_hash(secret), MOMENT + timedelta(hours=23))
        later = MOMENT + timedelta(days=1)
        assert store.find(session, session_secret_hash(secret), later) is None
        assert store.of_user(session, user_ids[0], later) == []


def test_a_store_records_last_seen_only_every_few_minutes(
    database: Database, store: SessionStore, user_ids: list[int]
) -> None:
    secret, _ = _open(database, store, user_ids[0], MOMENT)
    soon = MOMENT + LAST_SEEN_GRANULARITY - timedelta(seconds=1)
    later = MOMENT + LAST_SEEN_GRANULARITY
    with database.session() as session:
        found = store.find(session, session_secret_hash(secret), soon)
        assert found is not None
        assert store.touch(session, found, soon).last_seen_at == MOMENT
        assert store.touch(session, found, later).last_seen_at == later
    with database.session() as session:
        again = store.find(session, session_secret_hash(secret), later)
        assert again is not None
        assert again.last_seen_at == later


def test_expired_sessions_are_purged_by_the_expiry_sweep(
    database: Database, user_ids: list[int]
) -> None:
    store = SqlSessionStore()
    _open(database, store, user_ids[0], MOMENT - timedelta(days=20))  # expired 6 days ago
    live, _ = _open(database, store, user_ids[0], utc_now())
    assert any(rule.table == "user_session" for rule in EXPIRY_RULES)
    with database.session() as session:
        purge_expired(session, EXPIRY_RULES, utc_now())
    with database.session() as session:
        remaining = session.scalars(select(UserSession.token_hash)).all()
    assert remaining == [session_secret_hash(live)]


def utc_now() -> datetime:
    return datetime.now(UTC)


# Through the app ---------------------------------------------------------------------------------
def _browser(
    make_client: Callable[..., TestClient], email: str, agent: str, **overrides: Any
) -> TestClient:
    client = make_client(**overrides)
    client.headers["user-agent"] = agent
    assert login_page(client, email).status_code == 303
    return client


def test_password_change_ends_every_other_session_but_not_this_one(
    client: TestClient, make_client: Callable[..., TestClient]
) -> None:
    signup_api(client, "pw@example.com")
    laptop = _browser(make_client, "pw@example.com", "Laptop")
    phone = _browser(make_client, "pw@example.com", "Phone")
    token = token_for(client, "pw@example.com")

    wrong = laptop.post(
        "/api/v1/auth/password",
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
        headers={"X-CSRF-Token": page_csrf(laptop)},
    )
    assert wrong.status_code == 422
    assert "current_password" in wrong.json()["detail"]
    assert signed_in_as(phone) is not None

    changed = laptop.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers={"X-CSRF-Token": page_csrf(laptop)},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"sessions_ended": 1}
    assert signed_in_as(laptop) is not None
    assert signed_in_as(phone) is None
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
    assert login_page(make_client(), "pw@example.com").status_code == 401
    assert login_page(make_client(), "pw@example.com", password=NEW_PASSWORD).status_code == 303


def test_password_change_needs_the_csrf_token_from_a_browser(client: TestClient) -> None:
    signup_api(client, "pwcsrf@example.com")
    login_page(client, "pwcsrf@example.com")
    response = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 403
    assert login_page(client, "pwcsrf@example.com").status_code == 303  # old password still works


def test_the_sessions_api_lists_and_ends_sessions(
    client: TestClient, make_client: Callable[..., TestClient]
) -> None:
    signup_api(client, "list@example.com")
    signup_api(client, "other@example.com")
    laptop = _browser(make_client, "list@example.com", "Laptop")
    phone = _browser(make_client, "list@example.com", "Phone")
    tablet = _browser(make_client, "list@example.com", "Tablet")
    stranger = _browser(make_client, "other@example.com", "Stranger")

    listed = laptop.get("/api/v1/auth/sessions").json()
    assert sorted(s["user_agent"] for s in listed) == ["Laptop", "Phone", "Tablet"]
    assert [s["user_agent"] for s in listed if s["current"]] == ["Laptop"]
    assert all(s["ip_address"] and s["created_at"] and s["expires_at"] for s in listed)
    phone_id = next(s["id"] for s in listed if s["user_agent"] == "Phone")

    csrf = {"X-CSRF-Token": page_csrf(laptop)}
    # A session id of someone else is not found, and ends nothing.
    strangers_id = stranger.get("/api/v1/auth/sessions").json()[0]["id"]
    assert laptop.delete(f"/api/v1/auth/sessions/{strangers_id}", headers=csrf).status_code == 404
    assert signed_in_as(stranger) is not None
    assert laptop.delete(f"/api/v1/auth/sessions/{phone_id}").status_code == 403  # no token
    assert signed_in_as(phone) is not None

    assert laptop.delete(f"/api/v1/auth/sessions/{phone_id}", headers=csrf).status_code == 204
    assert signed_in_as(phone) is None
    assert signed_in_as(tablet) is not None
    ended = laptop.delete("/api/v1/auth/sessions", headers=csrf)
    assert ended.json() == {"ended": 1}
    assert signed_in_as(tablet) is None
    assert signed_in_as(laptop) is not None
    # With a bearer token, the same API works and needs no CSRF token.
    token = token_for(client, "list@example.com")
    assert [
        s["current"] for s in client.get("/api/v1/auth/sessions", headers=bearer(token)).json()
    ] == [False]


def test_reading_never_writes_and_last_seen_moves_every_few_minutes(
    client: TestClient, database: Database
) -> None:
    signup_api(client, "quiet@example.com")
    with time_machine.travel(MOMENT, tick=False):
        login_page(client, "quiet@example.com")
    writes: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        with time_machine.travel(MOMENT + LAST_SEEN_GRANULARITY / 2, tick=False):
            assert client.get("/api/v1/auth/me").status_code == 200
            assert client.get("/businesses").status_code == 200
        assert writes == []
        with time_machine.travel(MOMENT + LAST_SEEN_GRANULARITY, tick=False):
            assert client.get("/api/v1/auth/me").status_code == 200
        assert len(writes) == 1
        assert "user_session" in writes[0]
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    with database.session() as session:
        seen = session.scalar(select(UserSession.last_seen_at))
    assert seen == MOMENT + LAST_SEEN_GRANULARITY


def test_sessions_live_in_redis_when_it_is_configured(
    make_client: Callable[..., TestClient], database: Database
) -> None:
    client = make_client(redis_url=REDIS_URL)
    signup_api(client, "redis@example.com")
    assert login_page(client, "redis@example.com").status_code == 303
    user_id = signed_in_as(client)
    assert user_id is not None
    # Every key expires with the session: nothing outlives it in Redis.
    server = redis.Redis.from_url(REDIS_URL)
    for key in ("growth:session:user:" + str(user_id),):
        assert 13 * 86400 < server.ttl(key) <= 14 * 86400
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(UserSession)) == 0
    secret = client.cookies["gm_session"]
    stored = redis.Redis.from_url(REDIS_URL).get(
        f"growth:session:secret:{session_secret_hash(secret)}"
    )
    assert stored is not None
    assert secret.encode() not in stored
    response = client.post(
        "/logout", data={"csrf_token": page_csrf(client)}, follow_redirects=False
    )
    assert response.status_code == 303
    client.cookies.clear()
    client.cookies.set("gm_session", secret)
    assert signed_in_as(client) is None


# The account page --------------------------------------------------------------------------------
def test_the_account_page_shows_sessions_and_tokens_and_ends_them(
    client: TestClient, make_client: Callable[..., TestClient], database: Database
) -> None:
    signup_api(client, "page@example.com")
    token = token_for(client, "page@example.com")
    laptop = _browser(make_client, "page@example.com", "Laptop/1.0")
    phone = _browser(make_client, "page@example.com", "Phone/2.0")

    shell = laptop.get("/businesses").text
    assert 'href="/account"' in shell
    page = laptop.get("/account")
    assert page.status_code == 200
    text = page.text
    assert "Laptop/1.0" in text
    assert "Phone/2.0" in text
    assert "this device" in text
    assert text.index("this device") > text.index("Laptop/1.0")
    assert "End all other sessions (1)" in text
    with database.session() as session:
        token_row = session.scalars(select(ApiToken)).one()
        phone_id = session.scalars(
            select(UserSession.id).where(UserSession.user_agent == "Phone/2.0")
        ).one()
    assert f"/account/tokens/{token_row.id}/revoke" in text
    assert f"/account/sessions/{phone_id}/end" in text

    csrf = form_csrf(text)
    ended = laptop.post(
        f"/account/sessions/{phone_id}/end", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert ended.status_code == 303
    assert signed_in_as(phone) is None
    assert "signed out" in laptop.get("/account").text

    revoked = laptop.post(
        f"/account/tokens/{token_row.id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401


def test_the_account_page_changes_the_password(
    client: TestClient, make_client: Callable[..., TestClient]
) -> None:
    signup_api(client, "form@example.com")
    laptop = _browser(make_client, "form@example.com", "Laptop")
    phone = _browser(make_client, "form@example.com", "Phone")
    csrf = page_csrf(laptop, "/account")
    form = {"csrf_token": csrf, "current_password": PASSWORD, "new_password": NEW_PASSWORD}

    mismatch = laptop.post("/account/password", data={**form, "confirm_password": "something else"})
    assert mismatch.status_code == 422
    assert "the two new passwords differ" in mismatch.text
    wrong = laptop.post(
        "/account/password",
        data={**form, "current_password": "not it at all", "confirm_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 422
    assert "this is not your current password" in wrong.text
    assert NEW_PASSWORD not in wrong.text
    assert signed_in_as(phone) is not None

    done = laptop.post(
        "/account/password", data={**form, "confirm_password": NEW_PASSWORD}, follow_redirects=False
    )
    assert done.status_code == 303
    assert "Password changed and 1 other session signed out." in laptop.get("/account").text
    assert signed_in_as(phone) is None
    assert login_page(make_client(), "form@example.com", password=NEW_PASSWORD).status_code == 303
