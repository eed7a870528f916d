"""Reading competitors: each read is a unit of work (claim in a short transaction, call the
platform with none open, record in another), through the business's own connected account
and the token keeper (which renews a rejected token once and records every budget the
platform reports).

Rate limits: before calling, the read looks at the budget last recorded for the endpoint it
spends (``Descriptor.competitors.endpoints``) on the account it reads through; a spent budget
defers the read until its reset, and so does a 429. A deferred read keeps the competitor's
status and is picked up by the next sweep after ``deferred_until``: it is not a failure.

Every read that finds the account adds a ``competitor_snapshot`` (never overwritten):
followers, following, posts, and the public numbers of the posts of the last 30 days with
their count, mean and median interactions per post (interactions: ``rates.interactions``
over the metrics the platform's read reports, ``Descriptor.competitors.metrics``).
"""

from __future__ import annotations

import fnmatch
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from growth_manager.analytics import rates
from growth_manager.competitors import service
from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import RateLimitBudget
from growth_manager.models.competitors import Competitor, CompetitorSnapshot, CompetitorStatus
from growth_manager.providers.base import (
    AccountRef,
    CompetitorPost,
    CompetitorProfile,
    CompetitorReader,
)
from growth_manager.providers.errors import ProviderError, RateLimited, ReauthRequired
from growth_manager.providers.registry import descriptor, is_platform
from growth_manager.tokens.keeper import TokenKeeper

log = structlog.get_logger(__name__)

WINDOW = timedelta(days=30)
# Read once a day; a little less, so a sweep at the same hour each day finds it due.
EVERY = timedelta(hours=23)
# Percentage budgets (Meta) are shared with publishing and analytics: stop at this share.
PERCENT_RESERVE = 90.0


@dataclass(frozen=True)
class _Claim:
    competitor_id: int
    platform: str
    handle: str
    account_id: int
    ref: AccountRef


def interactions_of(metrics: Mapping[str, Any], counted: tuple[str, ...]) -> float | None:
    """A post's interactions counting only ``counted`` metrics (what a competitor read
    reports), by the one engagement formula (:func:`rates.interactions`)."""
    return rates.interactions({k: v for k, v in metrics.items() if k in counted})


def summary(
    posts: list[CompetitorPost], counted: tuple[str, ...], now: datetime
) -> tuple[int, float | None, float | None]:
    """Posts of the 30 days before ``now``, and their mean and median interactions."""
    recent = [p for p in posts if now - WINDOW <= p.published_at <= now]
    values = [v for p in recent if (v := interactions_of(p.metrics, counted)) is not None]
    if not values:
        return len(recent), None, None
    return len(recent), sum(values) / len(values), float(statistics.median(values))


def due_ids(session: Session, now: datetime) -> list[int]:
    """Competitors not read for a day (or never), whose read is not deferred."""
    return list(
        session.scalars(
            select(Competitor.id)
            .where(
                or_(Competitor.last_synced_at.is_(None), Competitor.last_synced_at <= now - EVERY),
                or_(Competitor.deferred_until.is_(None), Competitor.deferred_until <= now),
            )
            .order_by(Competitor.id)
        )
    )


class CompetitorSyncer:
    def __init__(
        self, database: Database, settings: Settings, keeper: TokenKeeper | None = None
    ) -> None:
        self.database = database
        self.keeper = keeper or TokenKeeper(database, settings)

    def due(self, now: datetime | None = None) -> list[int]:
        with self.database.read_session() as session:
            return due_ids(session, now or utcnow())

    def sync_due(self, now: datetime | None = None) -> dict[str, int]:
        """Reads every due competitor here and now; how many ended in each outcome."""
        outcomes: dict[str, int] = {}
        for competitor_id in self.due(now):
            outcome = self.sync(competitor_id, now)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        return outcomes

    def sync(self, competitor_id: int, now: datetime | None = None) -> str:
        """One read of one competitor: its outcome (a status, ``deferred``, ``no_account``,
        ``failed`` or ``gone``)."""
        now = now or utcnow()
        claimed = self._claim(competitor_id, now)
        if isinstance(claimed, str):
            return claimed
        counted = descriptor(claimed.platform).competitors.metrics
        try:
            profile = self.keeper.call(
                claimed.account_id,
                lambda provider, token: cast(CompetitorReader, provider).competitor_profile(
                    claimed.ref, token, claimed.handle, now - WINDOW
                ),
            )
        except RateLimited as exc:
            until = now + timedelta(seconds=max(exc.retry_after, 1.0))
            return self._defer(competitor_id, until, exc.message)
        except ReauthRequired as exc:
            return self._failed(
                competitor_id, f"Reconnect the account it is read with: {exc.message}"
            )
        except ProviderError as exc:
            return self._failed(competitor_id, exc.message)
        return self._record(competitor_id, profile, counted, now)

    # --- units of work ---------------------------------------------------------------------
    def _claim(self, competitor_id: int, now: datetime) -> _Claim | str:
        with self.database.session() as session:
            competitor = session.get(Competitor, competitor_id)
            if competitor is None:
                return "gone"
            platform = competitor.platform
            if not is_platform(platform) or not descriptor(platform).competitors.supported:
                competitor.status = CompetitorStatus.unsupported.value
                competitor.status_message = (
                    descriptor(platform).competitors.reason if is_platform(platform) else None
                )
                return CompetitorStatus.unsupported.value
            if competitor.deferred_until is not None and competitor.deferred_until > now:
                return "deferred"
            account = service.reader_account(session, competitor.business_id, platform)
            if account is None:
                competitor.status_message = (
                    f"Connect a {descriptor(platform).display_name} account: competitors are "
                    "read through your own connected account."
                )
                return "no_account"
            blocked = _spent_until(
                session, account.id, descriptor(platform).competitors.endpoints, now
            )
            if blocked is not None:
                competitor.deferred_until = blocked
                competitor.status_message = (
                    f"Waiting for the rate limit to reset at {blocked:%H:%M} UTC."
                )
                log.info("competitors.read.deferred", competitor_id=competitor_id, until=blocked)
                return "deferred"
            return _Claim(
                competitor_id,
                platform,
                competitor.handle,
                account.id,
                AccountRef(account.external_id, account.kind, account.parent_external_id),
            )

    def _defer(self, competitor_id: int, until: datetime, message: str) -> str:
        with self.database.session() as session:
            competitor = session.get(Competitor, competitor_id)
            if competitor is not None:
                competitor.deferred_until = until
                competitor.status_message = (
                    f"Rate limited ({message}); read again after {until:%H:%M} UTC."
                )
        log.info("competitors.read.deferred", competitor_id=competitor_id, until=until)
        return "deferred"

    def _failed(self, competitor_id: int, message: str) -> str:
        # The last status stands (a failed read says nothing new about the account).
        with self.database.session() as session:
            competitor = session.get(Competitor, competitor_id)
            if competitor is not None:
                competitor.status_message = message
        log.warning("competitors.read.failed", competitor_id=competitor_id, error=message)
        return "failed"

    def _record(
        self,
        competitor_id: int,
        profile: CompetitorProfile,
        counted: tuple[str, ...],
        now: datetime,
    ) -> str:
        with self.database.session() as session:
            competitor = session.get(Competitor, competitor_id)
            if competitor is None:
                return "gone"
            competitor.status = profile.status
            competitor.status_message = profile.message
            competitor.last_synced_at = now
            competitor.deferred_until = None
            if profile.remote_id:
                competitor.remote_id = profile.remote_id
            if profile.display_name:
                competitor.display_name = profile.display_name
            if profile.followers is not None:
                posts = sorted(profile.posts, key=lambda p: p.published_at, reverse=True)
                count, mean, median = summary(posts, counted, now)
                session.add(
                    CompetitorSnapshot(
                        competitor_id=competitor_id,
                        business_id=competitor.business_id,
                        captured_at=now,
                        followers=profile.followers,
                        following=profile.following,
                        posts_count=profile.posts_count,
                        posts_30d=count,
                        mean_interactions=mean,
                        median_interactions=median,
                        posts=[_post_json(p) for p in posts],
                        api_version=profile.api_version,
                    )
                )
        log.info("competitors.read.done", competitor_id=competitor_id, status=profile.status)
        return profile.status


def _post_json(post: CompetitorPost) -> dict[str, Any]:
    return {
        "id": post.remote_id,
        "published_at": post.published_at.isoformat(),
        "metrics": dict(post.metrics),
        "raw": dict(post.raw),
    }


def _spent_until(
    session: Session, account_id: int, patterns: tuple[str, ...], now: datetime
) -> datetime | None:
    """When the first spent budget among ``patterns`` resets (None: none is spent)."""
    if not patterns:
        return None
    rows = session.scalars(
        select(RateLimitBudget).where(
            RateLimitBudget.social_account_id == account_id, RateLimitBudget.reset_at > now
        )
    )
    for row in rows:
        if not any(fnmatch.fnmatchcase(row.endpoint, p) for p in patterns):
            continue
        spent = (
            row.remaining <= 0
            if row.remaining is not None
            else row.used_percent is not None and row.used_percent >= PERCENT_RESERVE
        )
        if spent:
            return row.reset_at
    return None
