"""Bearer tokens refused a moment ago are refused again at the door, without a thread or a query.

A client stuck on a revoked or mistyped token (or a flood of them) would otherwise cost a worker
thread, a database read and the whole dependency chain per request, taking that capacity from
everyone signed in properly. After one refusal, a token's hash is remembered for a minute, and
:class:`RejectedBearerMiddleware` answers its next requests with the same 401 before routing,
after a pause: a refusal costs microseconds, so 50 connections repeating a refused token could
still fill the event loop with thousands of them a second (measured: a signed-in client's
requests slowed from 7 ms to 250 ms). Paused, each such connection gets one answer a second
and costs nothing while it waits.
Valid tokens never enter the set: tokens are random, so a remembered hash can't belong to a
token issued later. A revoked token is refused at once the first time (its row says so) and
from memory after that.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections import OrderedDict

from starlette.types import ASGIApp, Receive, Scope, Send

from growth_manager.errors import send_error

REJECTED_DETAIL = "The bearer token is invalid, expired or revoked."


class RejectedTokens:
    """A bounded, expiring set of token hashes, safe to share between threads."""

    def __init__(
        self, ttl_seconds: float = 60.0, capacity: int = 10_000, pause_seconds: float = 1.0
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.capacity = capacity
        self.pause_seconds = pause_seconds
        self._until: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, token_hash: str) -> None:
        with self._lock:
            self._until[token_hash] = time.monotonic() + self.ttl_seconds
            self._until.move_to_end(token_hash)
            while len(self._until) > self.capacity:
                self._until.popitem(last=False)

    def __contains__(self, token_hash: object) -> bool:
        with self._lock:
            until = self._until.get(token_hash)  # type: ignore[call-overload]
            if until is None:
                return False
            if until < time.monotonic():
                del self._until[token_hash]  # type: ignore[arg-type]
                return False
            return True


def bearer_hash(authorization: bytes) -> str | None:
    scheme, _, value = authorization.decode("latin-1").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        return None
    return hashlib.sha256(value.encode()).hexdigest()


class RejectedBearerMiddleware:
    def __init__(self, app: ASGIApp, rejected: RejectedTokens) -> None:
        self.app = app
        self.rejected = rejected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers") or ():
                if name == b"authorization":
                    token_hash = bearer_hash(value)
                    if token_hash is not None and token_hash in self.rejected:
                        await asyncio.sleep(self.rejected.pause_seconds)
                        await send_error(
                            send,
                            401,
                            "not_authenticated",
                            REJECTED_DETAIL,
                            [(b"www-authenticate", b"Bearer")],
                        )
                        return
                    break
        await self.app(scope, receive, send)
