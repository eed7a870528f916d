"""Request ids in logs, Prometheus metrics and the health check.

HTTP request durations come from FastAPI's native OpenTelemetry metrics, exported through one
process-wide Prometheus reader (labelled by route template); product metrics are plain
``prometheus_client`` collectors declared where they are measured.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import structlog
from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("growth_manager.http")


def init_sentry(dsn: str | None, environment: str, **options: Any) -> None:
    """Error tracking, only when a DSN is configured (the SDK is a no-op otherwise).

    Events and breadcrumbs are scrubbed like log lines: a request's URL carries an OAuth
    callback's code and state, an outgoing Graph call's access token (see :func:`scrub`).
    """
    if not dsn:
        return
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        # Frame locals hold tokens, codes and request scopes under any name; no scrubber can
        # know them all, so stack traces go without them.
        include_local_variables=False,
        before_send=lambda event, _hint: scrub(event),
        before_breadcrumb=lambda crumb, _hint: scrub(crumb),
        **options,
    )


def scrub(value: Any) -> Any:
    """``value`` (a Sentry event or breadcrumb) with every string passed through the log
    redaction: secret query parameters, bearer tokens, ``access_token=`` pairs."""
    from growth_manager.logging import redact_text

    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: _scrub_field(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


# Fields where Sentry keeps a query string without its "?" (the request's, an HTTP breadcrumb's).
_BARE_QUERY_FIELDS = {"query_string", "http.query"}


def _scrub_field(key: str, value: Any) -> Any:
    if key in _BARE_QUERY_FIELDS and isinstance(value, str):
        return scrub("?" + value)[1:]
    return scrub(value)


@lru_cache(maxsize=1)
def meter_provider() -> MeterProvider:
    # One reader per process: each one registers a collector in prometheus_client's registry.
    return MeterProvider(metric_readers=[PrometheusMetricReader()])


@dataclass
class RequestIdMiddleware(CorrelationIdMiddleware):
    """asgi-correlation-id's middleware, telling Sentry the request id only when Sentry runs.

    Whenever sentry-sdk is installed (it is a dependency), the library sets the id as a tag on
    Sentry's isolation scope for every request, which builds a scope per request even with no
    DSN configured: measurable CPU on every request, for events that are never sent.
    """

    sentry: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.sentry:
            self.sentry_extension = _no_sentry


def _no_sentry(_request_id: str) -> None:
    return None


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
    """Same-origin content only: no CDN, and no script but the files under /static.

    Scripts: 'self' alone, no 'unsafe-inline' and no 'unsafe-eval'. Templates carry no inline
    script or on*=/hx-on handlers (static/js does that work), no htmx trigger filters or js:
    values (htmx 4 compiles those with Function()), Alpine is its CSP build with components
    registered by name, and /docs and /redoc start from static files too
    (tests/web/test_vendored.py and the browser tests hold all of that). Styles keep
    'unsafe-inline': htmx, Alpine's x-show, Swagger UI and ReDoc set inline styles, which can't
    run code. ReDoc's search index runs in a worker it creates from a blob: URL.
    """

    CSP = (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; worker-src 'self' blob:; font-src 'self' data:; connect-src 'self'; "
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
