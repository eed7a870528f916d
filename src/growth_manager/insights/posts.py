"""The facts every insight starts from: a business's synced posts with their current numbers,
the features that might explain them, and the account's audience when each was published.

One read per call: the posts (``remote_post`` on its ``(business_id, published_at)`` index)
and the accounts' ``followers`` history (one query on the account snapshot index), joined in
memory. Nothing here decides what is good; the insight modules do.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from growth_manager.analytics import rates
from growth_manager.analytics.queries import Period, mapping_of
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.analytics import MetricSnapshot, MetricSubject, RemotePost
from growth_manager.models.content import Post
from growth_manager.models.publishing import PostTarget

HASHTAG = re.compile(r"(?<![\w&])#(\w+)", re.UNICODE)
LINK = re.compile(r"https?://\S+", re.IGNORECASE)


@dataclass(frozen=True)
class PostFacts:
    remote_post_id: int
    account_id: int
    platform: str
    published_at: datetime  # UTC
    text: str
    media_kind: str | None  # "image", "video", "carousel", … or None for text only
    remote_url: str | None
    post_id: int | None  # the product's post, when it was published through the product
    strategy_id: int | None
    imported: bool
    interactions: float | None  # the engagement rate's numerator (rates.interactions)
    audience: float | None  # impressions, else reach (rates.audience)
    engagement_rate: float | None  # interactions / audience (rates.engagement_rate)
    followers: float | None  # the account's followers when the post went out (last known)

    @property
    def per_follower(self) -> float | None:
        """Interactions per follower at publication: engagement normalised for the account's
        growth, available even where a platform reports no impressions."""
        if self.interactions is None or not self.followers:
            return None
        return self.interactions / self.followers

    @property
    def hashtags(self) -> list[str]:
        return [tag.lower() for tag in HASHTAG.findall(self.text)]

    @property
    def has_link(self) -> bool:
        return bool(LINK.search(self.text))

    @property
    def asks_question(self) -> bool:
        return "?" in LINK.sub("", self.text)

    @property
    def length(self) -> int:
        return len(self.text)


def accounts(
    session: Session, business_id: int, platforms: Sequence[str] = (), ids: Sequence[int] = ()
) -> list[SocialAccount]:
    query = select(SocialAccount).where(SocialAccount.business_id == business_id)
    if platforms:
        query = query.where(SocialAccount.platform.in_(platforms))
    if ids:
        query = query.where(SocialAccount.id.in_(ids))
    return list(session.scalars(query.order_by(SocialAccount.id)))


def load(
    session: Session,
    business_id: int,
    period: Period | None = None,
    *,
    platforms: Sequence[str] = (),
    account_ids: Sequence[int] = (),
) -> list[PostFacts]:
    """The business's synced posts (oldest first), optionally in ``period`` and only for some
    platforms or accounts. Posts the platform says are gone are left out."""
    query = (
        select(RemotePost, PostTarget.post_id, Post.strategy_id)
        .outerjoin(PostTarget, PostTarget.id == RemotePost.post_target_id)
        .outerjoin(Post, Post.id == PostTarget.post_id)
        .where(RemotePost.business_id == business_id, RemotePost.gone_reason.is_(None))
    )
    if period is not None:
        query = query.where(
            RemotePost.published_at >= period.since, RemotePost.published_at < period.until
        )
    if platforms:
        query = query.where(RemotePost.platform.in_(platforms))
    if account_ids:
        query = query.where(RemotePost.social_account_id.in_(account_ids))
    rows = list(session.execute(query.order_by(RemotePost.published_at, RemotePost.id)))
    followers = follower_history(session, sorted({row[0].social_account_id for row in rows}))
    out: list[PostFacts] = []
    for remote, post_id, strategy_id in rows:
        values = mapping_of(remote.latest)
        out.append(
            PostFacts(
                remote_post_id=remote.id,
                account_id=remote.social_account_id,
                platform=remote.platform,
                published_at=remote.published_at,
                text=remote.text or "",
                media_kind=remote.media_kind,
                remote_url=remote.remote_url,
                post_id=post_id,
                strategy_id=strategy_id,
                imported=remote.imported,
                interactions=rates.interactions(values),
                audience=rates.audience(values),
                engagement_rate=rates.engagement_rate(values),
                followers=followers.at(remote.social_account_id, remote.published_at),
            )
        )
    return out


@dataclass
class FollowerHistory:
    """Each account's ``followers`` snapshots, to read "followers at a moment" in memory."""

    times: dict[int, list[datetime]]
    values: dict[int, list[float]]

    def at(self, account_id: int, moment: datetime) -> float | None:
        """The last value captured at or before ``moment``; the first one when the history
        starts later (the closest known figure)."""
        times = self.times.get(account_id)
        if not times:
            return None
        index = bisect.bisect_right(times, moment) - 1
        return self.values[account_id][max(index, 0)]


def follower_history(session: Session, account_ids: Sequence[int]) -> FollowerHistory:
    series = account_series(session, account_ids, "followers")
    return FollowerHistory(
        {a: [at for at, _ in points] for a, points in series.items()},
        {a: [value for _, value in points] for a, points in series.items()},
    )


def account_series(
    session: Session, account_ids: Sequence[int], metric: str
) -> dict[int, list[tuple[datetime, float]]]:
    """Each account's ``metric`` snapshots as (captured_at, value), oldest first (one query on
    the account snapshot index)."""
    out: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    if not account_ids:
        return {}
    snap = MetricSnapshot
    query = (
        select(snap.social_account_id, snap.captured_at, snap.value)
        .where(
            snap.social_account_id.in_(account_ids),
            snap.subject == MetricSubject.account,
            snap.metric == metric,
        )
        .order_by(snap.social_account_id, snap.captured_at, snap.id)
    )
    for account_id, at, value in session.execute(query):
        out[account_id].append((at, float(value)))
    return dict(out)
