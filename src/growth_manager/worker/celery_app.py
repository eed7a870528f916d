"""The Celery application.

Embedded mode (the default) uses kombu's SQLAlchemy transport on its own SQLite file next to the
app database, so one machine needs no Redis; distributed mode is just ``GROWTH_BROKER_URL=redis://…``.
Queue messages carry ids only and may be lost (the SQLite transport drops an in-flight message
on a crash) or duplicated (Redis redelivers after the visibility timeout): the database is the
source of truth, and every task re-reads its row and is idempotent.

Beat's schedule is not written here: each task module declares its periodic jobs next to the
task (``@task(..., schedule=...)``, see :mod:`growth_manager.worker.tasks`), and
:func:`create_celery` collects them.
"""

from __future__ import annotations

import kombu.transport.sqlalchemy
from celery import Celery

from growth_manager.config import Settings, get_settings
from growth_manager.kit.files import private_directory, private_sqlite
from growth_manager.worker.beat import BEAT_MAX_LOOP_SECONDS
from growth_manager.worker.tasks import (
    TASK_MODULES,
    available_task_modules,
    beat_schedule,
    bind_settings,
    load_task_modules,
)

# The transport passes transport options straight to create_engine(), so polling_interval
# cannot go there (TypeError); the class attribute is the only knob. 1.0 s is the default.
kombu.transport.sqlalchemy.Transport.polling_interval = 0.1

__all__ = ["BEAT_MAX_LOOP_SECONDS", "TASK_MODULES", "celery_app", "create_celery"]


def broker_options(settings: Settings) -> dict[str, object]:
    url = settings.effective_broker_url
    if url.startswith("redis"):
        # Longer than the longest task, so a slow task is not redelivered while it runs.
        return {"visibility_timeout": 3600}
    return {}


def create_celery(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    if settings.effective_broker_url.startswith("sqla+sqlite"):
        # kombu creates the broker file itself, readable by all; the messages are only ids,
        # but the data directory and everything in it stay private.
        private_directory(settings.data_dir)
        private_sqlite(settings.effective_broker_url)
    app = Celery("growth_manager", broker=settings.effective_broker_url)
    bind_settings(app, settings)
    load_task_modules()
    app.conf.update(
        task_ignore_result=True,  # results live in the app database
        task_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options=broker_options(settings),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        task_default_queue="default",
        task_routes={"publishing.*": {"queue": "publish"}},
        beat_schedule=beat_schedule(),
        beat_max_loop_interval=BEAT_MAX_LOOP_SECONDS,
    )
    # Task modules use shared_task (see worker.tasks), so they register with whichever app is
    # current; listing them here makes the worker import them at start-up too.
    app.conf.imports = available_task_modules()
    return app


celery_app = create_celery()
