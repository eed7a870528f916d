"""Publishing jobs. The dispatcher (``publishing/dispatcher.py``) does the steady work inside
each worker that consumes the ``publish`` queue; these jobs start a post the moment a person
asks, sweep as a backstop where no dispatcher runs, and delete published posts on request.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import structlog
from celery import current_app, current_task
from celery.signals import (
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)

from growth_manager.db import Database
from growth_manager.publishing import dispatcher
from growth_manager.publishing.engine import Publisher
from growth_manager.publishing.remote import delete_remote
from growth_manager.worker.tasks import database_for, settings_for, task

log = structlog.get_logger(__name__)

# Every publishing.* job goes to this queue (task_routes in worker/celery_app.py).
QUEUE = "publish"
SWEEP_EVERY = timedelta(seconds=30)
# A sweep stops claiming after this long, well before the next one is sent.
SWEEP_BUDGET_SECONDS = 20.0
NOW_THREADS = 8


def publisher(database: Database) -> Publisher:
    app = current_task.app if current_task else None
    return Publisher(database, settings_for(app))


@task("publishing.publish_now", unit_of_work=True, max_retries=0)
def publish_now(database: Database, post_id: int) -> int:
    """Publish a post's due targets at once (sent after the request that made them commits).
    Targets another worker already claimed are theirs; a lost message is covered by the
    dispatcher, which would claim them within a second anyway."""
    worker = publisher(database)
    ids = worker.claim_post(post_id)
    if len(ids) <= 1:
        for target_id in ids:
            worker.publish(target_id)
    else:
        with ThreadPoolExecutor(min(NOW_THREADS, len(ids))) as pool:
            list(pool.map(worker.publish, ids))
    return len(ids)


@task("publishing.sweep", schedule=SWEEP_EVERY, unit_of_work=True, max_retries=0)
def sweep(database: Database) -> int:
    """Backstop for deployments without a dispatcher: reap lost leases, resume reconnected
    accounts' posts, and publish what is due (for up to 20 s)."""
    worker = publisher(database)
    worker.reap()
    done = 0
    started = time.monotonic()
    while time.monotonic() - started < SWEEP_BUDGET_SECONDS:
        claimed = worker.claim_due(NOW_THREADS)
        if not claimed:
            break
        with ThreadPoolExecutor(NOW_THREADS) as pool:
            list(pool.map(worker.publish, [target_id for target_id, _due in claimed]))
        done += len(claimed)
    return done


@task("publishing.delete_remote", unit_of_work=True, max_retries=0)
def delete_remote_post(database: Database, target_id: int) -> str:
    """Delete a published target from its platform (asked for by a person)."""
    app = current_task.app if current_task else None
    return delete_remote(database, settings_for(app), target_id)


def _consumes_publish(app: Any) -> bool:
    """Whether this worker takes the publish queue (``-Q`` may leave it to other workers)."""
    consume_from = getattr(
        getattr(getattr(app, "amqp", None), "queues", None), "consume_from", None
    )
    return not consume_from or QUEUE in consume_from


def _start(app: Any) -> None:
    settings = settings_for(app)
    if not settings.publish_dispatcher or not _consumes_publish(app):
        return
    dispatcher.start(
        Publisher(database_for(app), settings),
        threads=settings.publish_threads,
        poll_seconds=settings.publish_poll_seconds,
    )


def _process_pool(consumer: Any) -> bool:
    pool = getattr(consumer, "pool", None)
    return pool is not None and type(pool).__module__.endswith("prefork")


@worker_process_init.connect
def _start_in_pool_process(**_kwargs: Any) -> None:
    """Each process of a prefork pool runs a dispatcher: the work is CPU-bound in Python (one
    process was measured as the ceiling), so a worker with ``-c 2`` publishes on two cores.
    Claims are atomic, so dispatchers never take the same post."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxied app
    # Connections opened before the fork belong to the parent; this process opens its own.
    database_for(app).engine.dispose(close=False)
    _start(app)


@worker_ready.connect
def _start_dispatcher(sender: Any = None, **_kwargs: Any) -> None:
    """Without a process pool (solo, threads), the worker's own process runs it."""
    if _process_pool(sender):
        return
    _start(getattr(sender, "app", None))


@worker_process_shutdown.connect
def _stop_in_pool_process(**_kwargs: Any) -> None:
    dispatcher.stop()


@worker_shutdown.connect
def _stop_dispatcher(**_kwargs: Any) -> None:
    dispatcher.stop()
