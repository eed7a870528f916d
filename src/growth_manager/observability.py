"""Request ids in logs, Prometheus metrics and the health check.

HTTP request durations come from FastAPI's native OpenTelemetry metrics, exported through one
process-wide Prometheus reader (labelled by route template); product metrics are plain
``prometheus_client`` collectors declared where they are measured.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import structlog
from asgi_correlation_id import correlation_id
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("growth_manager.http")


def init_sentry(dsn: str | None, environment: str) -> None:
    """Error tracking, only when a DSN is configured (the SDK is a no-op otherwise)."""
    if not dsn:
        return
    import sentry_sdk

    sentry_sdk.init(dsn=dsn, environment=environment, send_default_pii=False)


@lru_cache(maxsize=1)
def meter_provider() -> MeterProvider:
    # One reader per process: each one registers a collector in prometheus_client's registry.
    return MeterProvider(metric_readers=[PrometheusMetricReader()])


class RequestContextMiddleware:
    """Binds the request id (set by CorrelationIdMiddleware, which must wrap this one) to the
    structlog context for every line logged while the request runs, and logs one access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=correlation_id.get())
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            log.info(
                "http.request.completed",
                method=scope["method"],
                path=scope["path"],
                route=getattr(route, "path", None),
                status=status["code"],
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()


class SecurityHeadersMiddleware:
    """Same-origin content only: no CDN, no inline third-party code."""

    CSP = (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-eval' 'unsafe-inline'; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self' http: https:"
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = {
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"same-origin",
                    b"x-frame-options": b"DENY",
                }
                if b"content-security-policy" not in names:
                    extra[b"content-security-policy"] = self.CSP.encode()
                headers.extend((k, v) for k, v in extra.items() if k not in names)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)
