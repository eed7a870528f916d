"""Single-use OAuth states: in the database by default, in Redis when ``GROWTH_REDIS_URL`` is set.

A state binds the authorization to the user and business that started it, carries the PKCE
verifier (encrypted at rest), and lives 10 minutes. ``consume`` returns it at most once: the
SQL store deletes the row in the statement that reads it; Redis uses ``GETDEL``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from growth_manager.kit import crypto
from growth_manager.models.accounts import OAuthState

STATE_LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True)
class PendingAuthorization:
    platform: str
    user_id: int
    business_id: int
    code_verifier: str | None
    redirect_uri: str
    return_to: str | None
    created_at: datetime
    expires_at: datetime


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


class StateStore(Protocol):
    def save(self, session: Session, state: str, pending: PendingAuthorization) -> None: ...

    def consume(self, session: Session, state: str) -> PendingAuthorization | None: ...

    def purge_expired(self, session: Session, now: datetime) -> int: ...


class SqlStateStore:
    def save(self, session: Session, state: str, pending: PendingAuthorization) -> None:
        session.add(
            OAuthState(
                state_hash=state_hash(state),
                platform=pending.platform,
                user_id=pending.user_id,
                business_id=pending.business_id,
                code_verifier=pending.code_verifier,
                redirect_uri=pending.redirect_uri,
                return_to=pending.return_to,
                created_at=pending.created_at,
                expires_at=pending.expires_at,
            )
        )
        session.flush()

    def consume(self, session: Session, state: str) -> PendingAuthorization | None:
        row = session.scalar(select(OAuthState).where(OAuthState.state_hash == state_hash(state)))
        if row is None:
            return None
        # Delete by primary key and check the count: of two concurrent callbacks with the same
        # state, only the one whose delete removed the row may continue.
        deleted = session.execute(delete(OAuthState).where(OAuthState.id == row.id))
        if getattr(deleted, "rowcount", 0) != 1:
            return None
        return PendingAuthorization(
            platform=row.platform,
            user_id=row.user_id,
            business_id=row.business_id,
            code_verifier=row.code_verifier,
            redirect_uri=row.redirect_uri,
            return_to=row.return_to,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )

    def purge_expired(self, session: Session, now: datetime) -> int:
        result = session.execute(delete(OAuthState).where(OAuthState.expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)


class RedisStateStore:
    """States as Redis keys with a TTL; expiry is Redis's job, so purging is a no-op."""

    def __init__(self, url: str, prefix: str = "growth:oauth_state:") -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix

    def save(self, session: Session, state: str, pending: PendingAuthorization) -> None:
        payload = asdict(pending)
        payload["created_at"] = pending.created_at.isoformat()
        payload["expires_at"] = pending.expires_at.isoformat()
        if pending.code_verifier is not None:
            payload["code_verifier"] = crypto.encrypt(pending.code_verifier)
        ttl = max(1, int((pending.expires_at - pending.created_at).total_seconds()))
        stored = self.redis.set(
            self.prefix + state_hash(state), json.dumps(payload), ex=ttl, nx=True
        )
        if not stored:
            raise RuntimeError("OAuth state collision")

    def consume(self, session: Session, state: str) -> PendingAuthorization | None:
        raw = self.redis.getdel(self.prefix + state_hash(state))
        if raw is None:
            return None
        data = json.loads(raw)
        verifier = data.get("code_verifier")
        return PendingAuthorization(
            platform=data["platform"],
            user_id=int(data["user_id"]),
            business_id=int(data["business_id"]),
            code_verifier=crypto.decrypt(verifier) if verifier else None,
            redirect_uri=data["redirect_uri"],
            return_to=data.get("return_to"),
            created_at=datetime.fromisoformat(data["created_at"]),
            expires_at=datetime.fromisoformat(data["expires_at"]),
        )

    def purge_expired(self, session: Session, now: datetime) -> int:
        return 0


def state_store_for(redis_url: str | None) -> StateStore:
    return RedisStateStore(redis_url) if redis_url else SqlStateStore()
