"""OAuth states are single-use and expire, in the database and in Redis."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis

from growth_manager.connections.state_store import (
    PendingAuthorization,
    RedisStateStore,
    SqlStateStore,
    StateStore,
)
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from tests.support.owners import Owner

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture(params=["sql", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[StateStore]:
    if request.param == "sql":
        yield SqlStateStore()
        return
    prefix = f"test:{secrets.token_hex(4)}:"
    store = RedisStateStore(REDIS_URL, prefix=prefix)
    yield store
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def _pending(owner: Owner, lifetime: timedelta = timedelta(minutes=10)) -> PendingAuthorization:
    now = utcnow()
    return PendingAuthorization(
        platform="x",
        user_id=owner.user_id,
        business_id=owner.business_id,
        code_verifier="verifier-" + "v" * 50,
        redirect_uri="http://testserver/api/v1/oauth/x/callback",
        return_to=None,
        created_at=now,
        expires_at=now + lifetime,
    )


def test_a_state_is_returned_once(database: Database, owner: Owner, store: StateStore) -> None:
    with database.session() as session:
        store.save(session, "state-1", _pending(owner))
    with database.session() as session:
        first = store.consume(session, "state-1")
    with database.session() as session:
        second = store.consume(session, "state-1")
    assert first is not None
    assert first.code_verifier == "verifier-" + "v" * 50
    assert first.business_id == owner.business_id
    assert second is None


def test_an_unknown_state_is_refused(database: Database, store: StateStore) -> None:
    with database.session() as session:
        assert store.consume(session, "never-issued") is None


def test_sql_purge_removes_only_expired_states(database: Database, owner: Owner) -> None:
    store = SqlStateStore()
    with database.session() as session:
        store.save(session, "old", _pending(owner, timedelta(seconds=-1)))
        store.save(session, "fresh", _pending(owner))
    with database.session() as session:
        assert store.purge_expired(session, utcnow()) == 1
    with database.session() as session:
        assert store.consume(session, "old") is None
        assert store.consume(session, "fresh") is not None


def test_the_verifier_is_encrypted_in_redis(owner: Owner, database: Database) -> None:
    prefix = f"test:{secrets.token_hex(4)}:"
    store = RedisStateStore(REDIS_URL, prefix=prefix)
    with database.session() as session:
        store.save(session, "s", _pending(owner))
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}*"))
    assert len(keys) == 1
    raw = client.get(keys[0])
    assert raw is not None
    assert b"verifier-" not in raw
    assert 0 < client.ttl(keys[0]) <= 600
    client.delete(*keys)
