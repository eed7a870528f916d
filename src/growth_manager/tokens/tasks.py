"""Token health on beat: renew tokens before they expire, warn before expiries only the user can
fix, and check connections whose tokens never expire.

The :class:`~growth_manager.tokens.keeper.TokenKeeper` works in its own short transactions
(a lease, then the HTTP call outside any transaction, then the new pair committed at once), so
these jobs are units of work: the task decorator hands them the database, not a session. Expired
OAuth states and
pending connections are purged by ``system.purge_expired`` (worker/system_tasks.py).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import structlog
from celery import current_task
from celery.schedules import crontab
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.models.accounts import AccountStatus, SocialAccount
from growth_manager.providers.errors import ProviderError
from growth_manager.tokens.keeper import TokenKeeper
from growth_manager.worker.tasks import database_for, settings_for, task

log = structlog.get_logger(__name__)

REFRESH_EVERY = timedelta(minutes=5)


def keeper() -> TokenKeeper:
    """A keeper on the database and settings of the Celery app running the current task."""
    app = current_task.app if current_task else None
    return TokenKeeper(database_for(app), settings_for(app))


@task("accounts.refresh_due_tokens", schedule=REFRESH_EVERY, max_retries=0, unit_of_work=True)
def refresh_due_tokens(_database: Database) -> dict[str, int]:
    """Renews every token that expires within its platform's margin (X: 20 minutes; LinkedIn
    and Meta: 7 days). Accounts in backoff or leased by another worker are left alone."""
    outcomes = Counter(outcome.result for outcome in keeper().refresh_due())
    log.info("accounts.refresh_due_tokens.done", **{k: outcomes[k] for k in sorted(outcomes)})
    return dict(outcomes)


@task(
    "accounts.warn_expiring",
    schedule=timedelta(hours=1),
    max_retries=2,
    backoff_max=60,
    unit_of_work=True,
)
def warn_expiring(_database: Database) -> int:
    """Opens an "expires soon" notification 7 days before an expiry only the user can fix."""
    return keeper().warn_expiring()


@task(
    "accounts.verify_connections",
    schedule=crontab(minute=17, hour=4),
    max_retries=0,
    unit_of_work=True,
)
def verify_connections(database: Database) -> dict[str, int]:
    """Checks every active account whose token never expires (Facebook Pages, Instagram): a
    page token dies silently when the user changes their password or removes the app, and
    only a call tells. A dead one becomes ``reauth_required`` with a notification."""
    with database.read_session() as session:
        account_ids = list(
            session.scalars(
                select(SocialAccount.id).where(
                    SocialAccount.status == AccountStatus.active,
                    SocialAccount.expires_at.is_(None),
                    SocialAccount.access_token.is_not(None),
                )
            )
        )
    token_keeper = keeper()
    outcomes: Counter[str] = Counter()
    for account_id in account_ids:
        try:
            token_keeper.verify(account_id)
        except ProviderError as exc:
            # The keeper recorded what the account needs; the sweep goes on.
            outcomes[type(exc).__name__] += 1
        else:
            outcomes["ok"] += 1
    log.info("accounts.verify_connections.done", **{k: outcomes[k] for k in sorted(outcomes)})
    return dict(outcomes)
