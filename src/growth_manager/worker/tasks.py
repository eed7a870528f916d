"""The one task decorator, and enqueue-after-commit.

``@task`` gives every job the same contract: a database session opened for the task and
committed at the end (rolled back on error), the task name and id bound to every log line, and an
explicit retry policy (``retry_for`` exceptions, exponential backoff with jitter, a cap on
attempts). Jobs are sent with :func:`enqueue`, which waits for the surrounding transaction to
commit, so a worker never looks for a row that isn't there yet and a rolled-back request sends
nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import structlog
from celery import shared_task
from sqlalchemy import event
from sqlalchemy.orm import Session

from growth_manager.db import get_database

log = structlog.get_logger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def task(
    name: str,
    *,
    retry_for: tuple[type[BaseException], ...] = (),
    max_retries: int = 5,
    backoff_max: int = 600,
    queue: str | None = None,
) -> Callable[[Callable[..., R]], Any]:
    """Declare a job: ``fn(session, *ids)``; the decorator supplies and commits the session."""

    def decorate(fn: Callable[..., R]) -> Any:
        options: dict[str, Any] = {"queue": queue} if queue else {}

        @shared_task(
            name=name,
            bind=True,
            autoretry_for=retry_for,
            max_retries=max_retries,
            retry_backoff=True,
            retry_backoff_max=backoff_max,
            retry_jitter=True,
            **options,
        )
        @functools.wraps(fn)
        def run(self: Any, *args: Any, **kwargs: Any) -> R:
            structlog.contextvars.bind_contextvars(
                task_name=name, task_id=self.request.id, request_id=_request_id(self)
            )
            try:
                with get_database().session() as session:
                    return fn(session, *args, **kwargs)
            finally:
                structlog.contextvars.unbind_contextvars("task_name", "task_id", "request_id")

        return run

    return decorate


def _request_id(task_self: Any) -> str | None:
    headers = getattr(task_self.request, "headers", None) or {}
    value = headers.get("request_id") if isinstance(headers, dict) else None
    return value if isinstance(value, str) else None


def enqueue(session: Session, task_obj: Any, *args: Any, **kwargs: Any) -> None:
    """Send ``task_obj`` with ``args`` once ``session`` commits; nothing if it rolls back."""
    pending: list[tuple[Any, tuple[Any, ...], dict[str, Any]]] = session.info.setdefault(
        "pending_jobs", []
    )
    pending.append((task_obj, args, kwargs))
    if not session.info.get("pending_jobs_hooked"):
        session.info["pending_jobs_hooked"] = True
        event.listen(session, "after_commit", _send_pending)
        event.listen(session, "after_rollback", _drop_pending)


def _send_pending(session: Session) -> None:
    pending = session.info.pop("pending_jobs", [])
    from asgi_correlation_id import correlation_id

    request_id = correlation_id.get()
    for task_obj, args, kwargs in pending:
        try:
            task_obj.apply_async(args=args, kwargs=kwargs, headers={"request_id": request_id})
        except Exception:
            # The row is committed; the periodic sweeps pick up work whose message was lost.
            log.exception("worker.enqueue.failed", task=task_obj.name)


def _drop_pending(session: Session) -> None:
    session.info.pop("pending_jobs", None)
