"""Competitor jobs: an hourly sweep that sends a read for every competitor not read for a day
(so each is read daily, and a read deferred by a rate limit is taken up after its reset), and
the read of one competitor."""

from __future__ import annotations

from datetime import timedelta

import structlog
from celery import current_task
from sqlalchemy.orm import Session

from growth_manager.competitors.sync import CompetitorSyncer, due_ids
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.worker.tasks import enqueue, settings_for, task

log = structlog.get_logger(__name__)

SWEEP_EVERY = timedelta(hours=1)


@task("competitors.sync_one", unit_of_work=True, max_retries=0)
def sync_competitor(database: Database, competitor_id: int) -> str:
    """One competitor's read. Never retried by Celery: a rate limit defers it (recorded on
    the competitor) and the sweep sends it again once the budget resets."""
    app = current_task.app if current_task else None
    return CompetitorSyncer(database, settings_for(app)).sync(competitor_id)


@task("competitors.sync_daily", schedule=SWEEP_EVERY)
def sync_daily(session: Session) -> int:
    """Sends a read for each competitor of every business that is due (see ``sync.due``)."""
    due = due_ids(session, utcnow())
    for competitor_id in due:
        enqueue(session, sync_competitor, competitor_id)
    log.info("competitors.sync_daily.sent", reads=len(due))
    return len(due)
