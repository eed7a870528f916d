"""``Idempotency-Key`` for creating requests: a client that retries (a timeout, a dropped
connection) gets the first reply again, and nothing is created twice.

The key is claimed before any work is done: its row is inserted (in a savepoint) first, so two
concurrent requests with one key can't both work. On PostgreSQL the second insert waits for the
first request's transaction and then fails on the unique key, and the second request replays
the first one's stored reply; on SQLite write requests take turns, so the second one finds the
reply. A request that fails stores nothing (its transaction rolls back), so it may be retried
with the same key. The same key with a different body is a 409: keys name one request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from growth_manager.errors import Conflict
from growth_manager.kit.clock import utcnow
from growth_manager.models.publishing import IdempotentReply

REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Any unique string (a UUID). Retrying the request with the same key returns "
        "the first reply (with `Idempotent-Replayed: true`) and creates nothing new; keys are "
        "kept for 24 hours. The same key with a different body is a 409.",
    ),
]


class KeyReused(Conflict):
    type = "idempotency_key_reused"


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _find(session: Session, user_id: int, key: str) -> IdempotentReply | None:
    return session.scalars(
        select(IdempotentReply).where(
            IdempotentReply.user_id == user_id, IdempotentReply.key == key
        )
    ).first()


def _replay(row: IdempotentReply, print_: str) -> JSONResponse:
    if row.fingerprint != print_:
        raise KeyReused(
            "This Idempotency-Key was already used for a different request; send a new key "
            "for a new request."
        )
    if row.status_code == 0:
        raise Conflict(
            "A request with this Idempotency-Key is still being processed; retry in a moment."
        )
    return JSONResponse(row.body, status_code=row.status_code, headers={REPLAYED_HEADER: "true"})


def once(
    session: Session,
    user_id: int,
    key: str | None,
    print_: str,
    produce: Callable[[], tuple[int, dict[str, Any]]],
) -> JSONResponse:
    """Run ``produce`` (→ status, JSON body) once per key; replay its reply afterwards."""
    if key is None:
        status, body = produce()
        return JSONResponse(body, status_code=status)
    existing = _find(session, user_id, key)
    if existing is not None:
        return _replay(existing, print_)
    now = utcnow()
    row = IdempotentReply(
        user_id=user_id, key=key, fingerprint=print_, status_code=0, body={}, created_at=now
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = _find(session, user_id, key)
        if existing is None:  # the other request failed and rolled back: ours may run
            raise Conflict(
                "A request with this Idempotency-Key failed just now; retry it."
            ) from None
        return _replay(existing, print_)
    status, body = produce()
    row.status_code = status
    row.body = body
    session.flush()
    return JSONResponse(body, status_code=status)
