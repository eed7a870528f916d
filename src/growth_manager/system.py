"""``/health`` (database and broker) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

import time
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from growth_manager.db import Database

log = structlog.get_logger(__name__)
router = APIRouter(tags=["system"])


def check_database(database: Database) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health.database.down", error=str(exc))
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def check_broker(broker_url: str) -> dict[str, Any]:
    from kombu import Connection

    started = time.perf_counter()
    try:
        with Connection(broker_url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            # Virtual transports (the SQLite one, Redis) connect lazily: a connection can be
            # "established" to a broker file that can't be opened. Asking a queue's size makes
            # them really reach the store (the SQLite transport creates the queue row once).
            size = getattr(conn.default_channel, "_size", None)
            if callable(size):
                size("default")
    except Exception as exc:
        log.warning("health.broker.down", error=str(exc))
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


@router.get(
    "/health",
    summary="Liveness and readiness",
    description="Checks that the database and the job broker answer. 200 with each check's "
    "latency when both do; 503 when either doesn't, with `ok: false` and the error's type on "
    'the failing check, e.g. `{"status": "unavailable", "checks": {"database": '
    '{"ok": false, "error": "OperationalError"}, "broker": {"ok": true, …}}}`. '
    "No authentication: load balancers and `growth-manager run` poll it.",
    responses={
        200: {"description": "Database and broker both answer."},
        503: {"description": "The database or the broker (named in `checks`) is down."},
    },
)
def health(request: Request) -> JSONResponse:
    database: Database = request.app.state.database
    checks = {
        "database": check_database(database),
        "broker": check_broker(request.app.state.settings.effective_broker_url),
    }
    ok = all(check["ok"] for check in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
