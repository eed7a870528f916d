"""Analytics' periodic jobs: the hourly sync of every business with something due, and a
minute sweep that starts per-business schedules and ends runs whose worker was lost."""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy.orm import Session

from growth_manager.analytics import runs
from growth_manager.kit.clock import utcnow
from growth_manager.models.analytics import SyncTrigger
from growth_manager.worker.tasks import task

log = structlog.get_logger(__name__)

HOURLY = timedelta(hours=1)
SWEEP_EVERY = timedelta(minutes=1)


@task(runs.HOURLY_JOB, schedule=HOURLY)
def sync_all_businesses(session: Session) -> int:
    """Every business with something due (posts on the cadence ladder, daily account
    metrics, an account never imported) gets a scheduled run."""
    now = utcnow()
    started = 0
    for business_id in runs.businesses_due(session, now):
        runs.start_sync(session, business_id, trigger=SyncTrigger.schedule)
        started += 1
    log.info("analytics.sync_all.started", runs=started)
    return started


@task("analytics.sweep", schedule=SWEEP_EVERY)
def sweep(session: Session) -> int:
    """Starts the per-business schedules that are due and ends runs whose worker was lost."""
    ended = runs.reap_stalled(session)
    started = runs.run_due_schedules(session)
    return ended + len(started)
