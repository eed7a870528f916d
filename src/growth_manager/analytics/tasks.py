"""The analytics job a run sends for each of its accounts (see ``runs.start_sync``); the
periodic jobs that start runs are in ``periodic.py``."""

from __future__ import annotations

from celery import current_task

from growth_manager.analytics.sync import Syncer
from growth_manager.db import Database
from growth_manager.worker.tasks import settings_for, task


@task("analytics.sync_account", unit_of_work=True, max_retries=0)
def sync_account(database: Database, account_id: int, run_id: int) -> str:
    """One account's part of a run. Never retried by Celery: a rate limit defers the account
    (recorded on it), and the next scheduled run picks up what is still due."""
    app = current_task.app if current_task else None
    tally = Syncer(database, settings_for(app)).sync_account(account_id, run_id)
    return tally.status
