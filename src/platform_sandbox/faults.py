"""Fault injection: make the next N matching requests fail the way real networks and APIs do.

Rules are posted to ``/_sandbox/faults`` and kept in memory (a reset clears them). Kinds:

``status``
    answer with ``status`` and the real error body of the platform that owns the path prefix
    (``Platform.error_response``), without running the handler;
``delay``
    wait ``delay_ms`` and then handle the request normally;
``hang``
    never answer: keep the connection open until the client gives up (capped by
    ``hang_seconds`` so a forgotten rule cannot pin a server thread forever);
``drop_after_commit``
    run the handler, so the write is committed, send the status line and headers, then close
    the connection before the body: the client cannot tell whether the write happened, which
    is exactly the case idempotent retries have to survive.

Control-plane paths (``/_sandbox/...``) are never faulted, so a test can always clear a rule.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
import threading
from dataclasses import asdict, dataclass
from typing import Any, Literal

import anyio
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FaultKind = Literal["status", "delay", "hang", "drop_after_commit"]
FAULT_KINDS: tuple[str, ...] = ("status", "delay", "hang", "drop_after_commit")
_RUNTIME_KEY = "faults"
CONTROL_PREFIX = "/_sandbox"


@dataclass
class FaultRule:
    id: int
    kind: FaultKind
    path: str  # glob (fnmatch) on the request path, or a regular expression when ``regex``
    method: str = "*"
    regex: bool = False
    times: int | None = 1  # None: until cleared
    status: int = 503
    message: str | None = None
    delay_ms: int = 0
    hang_seconds: float = 300.0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        if self.regex:
            return re.search(self.path, path) is not None
        return fnmatch.fnmatchcase(path, self.path)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["remaining"] = None if self.times is None else max(0, self.times - self.hits)
        return out


class FaultBook:
    """Thread-safe list of active rules; ``take`` consumes one use of the first match."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def add(self, **fields: Any) -> FaultRule:
        if fields.get("kind") not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        if fields.get("regex"):
            try:  # fail at registration, not on some later request
                re.compile(fields["path"])
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from exc
        with self._lock:
            rule = FaultRule(id=next(self._ids), **fields)
            self._rules.append(rule)
            return rule

    def take(self, method: str, path: str) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.hits += 1
                    if rule.times is not None and rule.hits >= rule.times:
                        self._rules.remove(rule)
                    return rule
            return None

    def list(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()


def fault_book(runtime: dict[str, Any]) -> FaultBook:
    found = runtime.get(_RUNTIME_KEY)
    if not isinstance(found, FaultBook):
        found = runtime.setdefault(_RUNTIME_KEY, FaultBook())
    return found


class FaultMiddleware:
    """Pure ASGI, because hanging and dropping connections are below what a Response can do."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        sandbox_app = scope["app"]
        rule = fault_book(sandbox_app.state.sandbox.runtime).take(scope["method"], path)
        if rule is None:
            await self.app(scope, receive, send)
        elif rule.kind == "status":
            await _error_for(sandbox_app, path, rule)(scope, receive, send)
        elif rule.kind == "delay":
            await anyio.sleep(rule.delay_ms / 1000)
            await self.app(scope, receive, send)
        elif rule.kind == "hang":
            await _hang(receive, rule.hang_seconds)
        else:
            await self._drop_after_commit(scope, receive, send)

    async def _drop_after_commit(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def swallow_body(message: Message) -> None:
            # The status line goes out (uvicorn only aborts a response it has started);
            # returning without the body makes uvicorn close the connection mid-response.
            # Without its length the response is chunked, so even an empty body (LinkedIn's
            # 201 for a new post) is left incomplete instead of complete with the headers.
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"content-length"
                ]
                await send({**message, "headers": headers})

        await self.app(scope, receive, swallow_body)


async def _hang(receive: Receive, seconds: float) -> None:
    with anyio.move_on_after(seconds):
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return


def _error_for(sandbox_app: Any, path: str, rule: FaultRule) -> Response:
    prefix = path.lstrip("/").split("/", 1)[0]
    for platform in sandbox_app.state.platforms:
        if prefix in platform.routers:
            response: Response = platform.error_response(rule.status, rule.message)
            return response
    return JSONResponse({"error": rule.message or "injected fault"}, status_code=rule.status)
