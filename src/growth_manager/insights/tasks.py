"""Best-time reports kept fresh: a weekly job recomputes every account's, and an account's
finished import recomputes its own (:func:`growth_manager.analytics.sync.on_import_finished`)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from growth_manager.analytics.sync import on_import_finished
from growth_manager.insights import besttime
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.besttime import BestTimeReport
from growth_manager.models.business import Business
from growth_manager.worker.tasks import task

log = structlog.get_logger(__name__)

WEEKLY = timedelta(days=7)


def zone_of_business(business: Business | None) -> ZoneInfo:
    try:
        return ZoneInfo((business.timezone if business else None) or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def refresh_account(session: Session, account_id: int) -> None:
    account = session.get(SocialAccount, account_id)
    if account is None:
        return
    zone = zone_of_business(session.get(Business, account.business_id))
    besttime.refresh(session, account, zone, utcnow())


def refresh_all(session: Session, older_than: timedelta = WEEKLY) -> int:
    """Recomputes, from its last 16 weeks, the best-time report of every account that has none
    or one computed ``older_than`` ago; returns how many it recomputed."""
    stale_before = utcnow() - older_than
    fresh = select(BestTimeReport.social_account_id).where(
        BestTimeReport.computed_at >= stale_before
    )
    ids = list(
        session.scalars(
            select(SocialAccount.id)
            .where(SocialAccount.id.not_in(fresh))
            .order_by(SocialAccount.id)
        )
    )
    for account_id in ids:
        refresh_account(session, account_id)
    log.info("insights.best_times.refreshed", accounts=len(ids))
    return len(ids)


# Checked a few times a day, so each report is recomputed a week after the last one however
# often the scheduler restarts (an interval of a week would start again with every restart).
@task("insights.best_times", schedule=timedelta(hours=6))
def refresh_best_times(session: Session) -> int:
    """The weekly refresh of every account's best-time report."""
    return refresh_all(session)


on_import_finished(refresh_account)
