"""Server-side dashboard sessions: in the database by default, in Redis when ``GROWTH_REDIS_URL``
is set.

The ``gm_session`` cookie carries only a random secret. The store keys a session by the secret's
SHA-256, so logging out, changing the password or "end this session" on the account page ends it
for good: the cookie that remains in a browser no longer finds anything.

Reading a session is one indexed lookup and writes nothing, except "last seen", which is written
at most every :data:`LAST_SEEN_GRANULARITY`: on SQLite every write takes the database's single
write lock, and 50 clients reading their dashboards must not queue behind each other for a
timestamp nobody needs to the second. Expiry is absolute (``GROWTH_SESSION_MAX_AGE_DAYS`` after
login); expired sessions are never returned and are purged by the worker's expiry sweep (SQL) or
by their TTL (Redis).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, joinedload

from growth_manager.models.user import UserSession

# As for API tokens' last_used_at: precise enough to tell devices apart on the account page.
LAST_SEEN_GRANULARITY = timedelta(minutes=5)
MAX_USER_AGENT_LENGTH = 300
MAX_IP_LENGTH = 64


@dataclass(frozen=True)
class BrowserSession:
    id: str
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str = ""
    ip_address: str = ""


def session_secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token_for(secret: str) -> str:
    """The CSRF token of the session whose cookie holds ``secret``.

    Derived, not stored: an HMAC keyed by the session's own secret, so it is unguessable without
    the cookie (which pages cannot read: HttpOnly), differs for every session, dies with the
    session, and reveals nothing of the secret when a page shows it.
    """
    return hmac.new(secret.encode(), b"growth-manager csrf v1", hashlib.sha256).hexdigest()


def new_session(
    user_id: int, now: datetime, lifetime: timedelta, user_agent: str, ip_address: str
) -> tuple[str, BrowserSession]:
    """A fresh secret (for the cookie) and the session it opens."""
    secret = secrets.token_urlsafe(32)
    session = BrowserSession(
        id=secrets.token_hex(8),
        user_id=user_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        user_agent=user_agent[:MAX_USER_AGENT_LENGTH],
        ip_address=ip_address[:MAX_IP_LENGTH],
    )
    return secret, session


class SessionStore(Protocol):
    def create(self, db: Session, secret_hash: str, session: BrowserSession) -> None: ...

    def find(self, db: Session, secret_hash: str, now: datetime) -> BrowserSession | None:
        """The live session with this secret; None when unknown, ended or expired."""
        ...

    def touch(self, db: Session, session: BrowserSession, now: datetime) -> BrowserSession:
        """Records ``now`` as last seen, when the stored value is older than the granularity."""
        ...

    def of_user(self, db: Session, user_id: int, now: datetime) -> list[BrowserSession]:
        """The user's live sessions, most recently seen first."""
        ...

    def end(self, db: Session, user_id: int, session_id: str) -> bool:
        """Ends one of the user's sessions; False when the user has no such session."""
        ...

    def end_all(self, db: Session, user_id: int, keep: str | None = None) -> int:
        """Ends every session of the user except ``keep``; returns how many ended."""
        ...

    def purge_expired(self, db: Session, now: datetime) -> int: ...


def needs_touch(session: BrowserSession, now: datetime) -> bool:
    return now - session.last_seen_at >= LAST_SEEN_GRANULARITY


def _from_row(row: UserSession) -> BrowserSession:
    return BrowserSession(
        id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        user_agent=row.user_agent,
        ip_address=row.ip_address,
    )


class SqlSessionStore:
    def create(self, db: Session, secret_hash: str, session: BrowserSession) -> None:
        db.add(UserSession(token_hash=secret_hash, **asdict(session)))
        db.flush()

    def find(self, db: Session, secret_hash: str, now: datetime) -> BrowserSession | None:
        # The user comes in the same query (a join on its primary key), so authenticating a
        # request is this one indexed lookup: the caller's session.get(User, …) is then
        # answered from the identity map.
        row = db.scalar(
            select(UserSession)
            .options(joinedload(UserSession.user))
            .where(UserSession.token_hash == secret_hash)
        )
        if row is None or row.expires_at <= now:
            return None
        return _from_row(row)

    def touch(self, db: Session, session: BrowserSession, now: datetime) -> BrowserSession:
        if not needs_touch(session, now):
            return session
        db.execute(
            update(UserSession)
            .where(UserSession.id == session.id)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
        return replace(session, last_seen_at=now)

    def of_user(self, db: Session, user_id: int, now: datetime) -> list[BrowserSession]:
        rows = db.scalars(
            select(UserSession)
            .where(UserSession.user_id == user_id, UserSession.expires_at > now)
            .order_by(UserSession.last_seen_at.desc(), UserSession.id)
        )
        return [_from_row(row) for row in rows]

    def end(self, db: Session, user_id: int, session_id: str) -> bool:
        result = db.execute(
            delete(UserSession)
            .where(UserSession.id == session_id, UserSession.user_id == user_id)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def end_all(self, db: Session, user_id: int, keep: str | None = None) -> int:
        statement = delete(UserSession).where(UserSession.user_id == user_id)
        if keep is not None:
            statement = statement.where(UserSession.id != keep)
        result = db.execute(statement.execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)

    def purge_expired(self, db: Session, now: datetime) -> int:
        result = db.execute(delete(UserSession).where(UserSession.expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)


class RedisSessionStore:
    """Sessions as Redis keys that expire with the session.

    ``{prefix}secret:{hash}`` holds the session; ``{prefix}id:{id}`` points from the public id to
    the hash (to end a session by id); ``{prefix}user:{user_id}`` is the set of the user's
    session ids, pruned of ended or expired ones whenever it is read.
    """

    def __init__(self, url: str, prefix: str = "growth:session:") -> None:
        import redis

        self.redis = redis.Redis.from_url(url, decode_responses=True)
        self.prefix = prefix

    def _secret_key(self, secret_hash: str) -> str:
        return f"{self.prefix}secret:{secret_hash}"

    def _id_key(self, session_id: str) -> str:
        return f"{self.prefix}id:{session_id}"

    def _user_key(self, user_id: int) -> str:
        return f"{self.prefix}user:{user_id}"

    @staticmethod
    def _dump(session: BrowserSession) -> str:
        data: dict[str, Any] = asdict(session)
        for key in ("created_at", "last_seen_at", "expires_at"):
            data[key] = data[key].isoformat()
        return json.dumps(data)

    @staticmethod
    def _load(raw: str) -> BrowserSession:
        data = json.loads(raw)
        for key in ("created_at", "last_seen_at", "expires_at"):
            data[key] = datetime.fromisoformat(data[key])
        return BrowserSession(**data)

    def create(self, db: Session, secret_hash: str, session: BrowserSession) -> None:
        ttl = max(1, int((session.expires_at - session.created_at).total_seconds()))
        pipe = self.redis.pipeline()
        pipe.set(self._secret_key(secret_hash), self._dump(session), ex=ttl)
        pipe.set(self._id_key(session.id), secret_hash, ex=ttl)
        pipe.sadd(self._user_key(session.user_id), session.id)
        pipe.ttl(self._user_key(session.user_id))
        remaining = pipe.execute()[-1]
        # The set lives as long as the user's longest session: extended, never shortened.
        if isinstance(remaining, int) and remaining < ttl:
            self.redis.expire(self._user_key(session.user_id), ttl)

    def find(self, db: Session, secret_hash: str, now: datetime) -> BrowserSession | None:
        raw = self.redis.get(self._secret_key(secret_hash))
        if raw is None:
            return None
        session = self._load(str(raw))
        return session if session.expires_at > now else None

    def touch(self, db: Session, session: BrowserSession, now: datetime) -> BrowserSession:
        if not needs_touch(session, now):
            return session
        secret_hash = self.redis.get(self._id_key(session.id))
        if secret_hash is None:
            return session
        touched = replace(session, last_seen_at=now)
        # XX: never resurrect a session that was ended since it was read.
        self.redis.set(
            self._secret_key(str(secret_hash)), self._dump(touched), keepttl=True, xx=True
        )
        return touched

    def of_user(self, db: Session, user_id: int, now: datetime) -> list[BrowserSession]:
        found: list[BrowserSession] = []
        for session_id in sorted(self.redis.smembers(self._user_key(user_id))):
            secret_hash = self.redis.get(self._id_key(session_id))
            raw = self.redis.get(self._secret_key(str(secret_hash))) if secret_hash else None
            session = self._load(str(raw)) if raw is not None else None
            if session is None or session.expires_at <= now:
                self.redis.srem(self._user_key(user_id), session_id)
                continue
            found.append(session)
        found.sort(key=lambda s: (s.last_seen_at, s.id), reverse=True)
        return found

    def end(self, db: Session, user_id: int, session_id: str) -> bool:
        if not self.redis.sismember(self._user_key(user_id), session_id):
            return False
        secret_hash = self.redis.getdel(self._id_key(session_id))
        self.redis.srem(self._user_key(user_id), session_id)
        if secret_hash is None:
            return False
        return bool(self.redis.delete(self._secret_key(str(secret_hash))))

    def end_all(self, db: Session, user_id: int, keep: str | None = None) -> int:
        ended = 0
        for session_id in list(self.redis.smembers(self._user_key(user_id))):
            if session_id != keep and self.end(db, user_id, str(session_id)):
                ended += 1
        return ended

    def purge_expired(self, db: Session, now: datetime) -> int:
        return 0  # keys expire by themselves


def session_store_for(redis_url: str | None) -> SessionStore:
    return RedisSessionStore(redis_url) if redis_url else SqlSessionStore()
