"""``create_app()``: routers, middleware, error handlers, static files and lifespan."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from anyio import to_thread
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from growth_manager import __version__
from growth_manager.auth.dependencies import BROWSER_COOKIE, cookie_name, page_csrf_protect
from growth_manager.auth.ratelimit import build_rate_limiter
from growth_manager.auth.rejected_tokens import RejectedBearerMiddleware, RejectedTokens
from growth_manager.config import Settings, get_settings
from growth_manager.db import Database
from growth_manager.inputs import BodySizeLimitMiddleware, check_request_values
from growth_manager.kit.crypto import configure_keys
from growth_manager.logging import configure_logging
from growth_manager.observability import (
    RequestContextMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
    init_sentry,
    meter_provider,
)
from growth_manager.openapi import install_openapi
from growth_manager.web.error_pages import install_error_handlers
from growth_manager.web.templating import STATIC_DIR

# Each feature module exposes ``router``; API routers carry their own /api/v1 prefix.
ROUTER_MODULES = [
    "growth_manager.system",
    "growth_manager.auth.endpoints",
    "growth_manager.business.endpoints",
    "growth_manager.content.endpoints",
    "growth_manager.content.public",
    "growth_manager.connections.endpoints",
    "growth_manager.publishing.endpoints",
    "growth_manager.analytics.endpoints",
    "growth_manager.analytics.views",
    "growth_manager.insights.sentiment_endpoints",
    "growth_manager.insights.endpoints",
    "growth_manager.worker.endpoints",
    "growth_manager.web.pages",
    "growth_manager.web.docs",
    "growth_manager.auth.pages",
    "growth_manager.auth.account",
    "growth_manager.business.pages",
    "growth_manager.overview.pages",
    "growth_manager.content.pages",
    "growth_manager.connections.pages",
    "growth_manager.publishing.pages",
    "growth_manager.analytics.pages",
    "growth_manager.insights.pages",
    "growth_manager.insights.works_endpoints",
    "growth_manager.insights.recycle_pages",
    "growth_manager.competitors.endpoints",
    "growth_manager.competitors.pages",
    "growth_manager.notifications.endpoints",
    "growth_manager.notifications.pages",
]

API_DESCRIPTION = """
The Growth Manager REST API. Everything the dashboard does, this API does too.

Authenticate with a bearer token: `POST /api/v1/auth/token` with your email and password returns
one; send it as `Authorization: Bearer <token>`. Errors always have the shape
`{"type": "...", "detail": "..."}`; validation errors (422) name the field and the reason.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    configure_keys(settings.resolved_token_keys())
    init_sentry(
        settings.sentry_dsn.get_secret_value() if settings.sentry_dsn else None,
        settings.environment,
    )
    database = Database(settings)
    from growth_manager.tokens.platforms import log_version_warnings

    log_version_warnings(settings, datetime.now(UTC).date())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Sync endpoints and dependencies run on this pool; the database pool has as many
        # connections (db.py), so a thread never waits for a connection another one holds.
        to_thread.current_default_thread_limiter().total_tokens = settings.web_threads
        yield
        database.dispose()

    app = FastAPI(
        title="Growth Manager",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        # /docs and /redoc come from growth_manager.web.docs: vendored files, no CDN.
        docs_url=None,
        redoc_url=None,
        dependencies=[
            # Every route inherits the refusal of values the database cannot store (inputs.py).
            Depends(check_request_values),
            # CSRF for every state-changing dashboard route, present and future.
            Depends(page_csrf_protect),
        ],
        telemetry={
            "meter_provider": meter_provider(),
            "tracing": False,
            "logs": False,
            "exclude": lambda scope: scope.get("path", "").startswith(("/metrics", "/static")),
        },
    )
    app.state.settings = settings
    app.state.database = database
    app.state.rate_limiter = build_rate_limiter(settings)
    install_error_handlers(app)
    install_openapi(app)

    # The last middleware added is the outermost. RequestIdMiddleware (asgi-correlation-id's)
    # must wrap the middleware that binds the id to the log context, or the id is not set yet
    # (stack.md E10).
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_json_bytes=settings.max_request_body_kb * 1024,
        max_upload_bytes=max(settings.max_upload_mb_image, settings.max_upload_mb_video)
        * 1024
        * 1024
        + 64 * 1024,
    )
    # Signed cookie for flash messages and the pre-login CSRF token only: who is signed in lives
    # in server-side sessions (auth/sessions.py), which logout ends.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie=cookie_name(BROWSER_COOKIE, settings),
        max_age=settings.session_max_age_days * 86400,
        same_site="lax",
        https_only=settings.environment == "production",
    )
    app.state.rejected_tokens = RejectedTokens()
    app.add_middleware(RejectedBearerMiddleware, rejected=app.state.rejected_tokens)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(
        RequestIdMiddleware,
        header_name="X-Request-ID",
        sentry=bool(settings.sentry_dsn and settings.sentry_dsn.get_secret_value()),
    )
    # Outermost, so everything inside (rate limits, logs, Secure-cookie checks) sees the real
    # client. The app, not the server, decides whom to believe: ``growth-manager web`` turns
    # uvicorn's own proxy handling off, which would otherwise trust 127.0.0.1 and let anyone
    # on the machine (or a proxy passing headers through) pick their address per request.
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)

    for module_name in ROUTER_MODULES:
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
