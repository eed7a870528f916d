"""The side-by-side comparison: the business's own accounts and its competitors, per platform,
over a period.

For every row:
- ``followers``: the last value read at or before the period's end;
- ``growth_percent``: (followers at the end − followers at the start) / followers at the
  start × 100, where the start is the last value read at or before the period's start (the
  first one inside the period when reading began later); None with fewer than two reads;
- ``posts_per_week``: posts published in the period / the weeks of it the data covers (own
  accounts: the whole period; a competitor: from 30 days before its first read on, since each
  read returns the last 30 days of posts);
- ``engagement_per_post``: the mean interactions of those posts, counting on both sides only
  the metrics the platform's competitor read reports (X: likes, replies, reposts, quotes,
  bookmarks; Instagram: likes and comments), by the one formula of ``analytics.rates``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from growth_manager.analytics.queries import Period
from growth_manager.competitors.sync import WINDOW, interactions_of
from growth_manager.insights.posts import follower_history
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.analytics import RemotePost
from growth_manager.models.competitors import Competitor, CompetitorSnapshot
from growth_manager.providers.registry import descriptor, descriptors

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Row:
    kind: str  # "own" | "competitor"
    id: int  # the social account's id, or the competitor's
    platform: str
    name: str
    handle: str | None
    status: str
    followers: int | None
    followers_at_start: int | None
    growth_percent: float | None
    posts: int
    posts_per_week: float | None
    engagement_per_post: float | None
    rated_posts: int
    covered_since: datetime | None


def supported_platforms(only: Sequence[str] = ()) -> list[str]:
    return [
        d.platform
        for d in descriptors()
        if d.competitors.supported and (not only or d.platform in only)
    ]


def compare(
    session: Session, business_id: int, period: Period, only: Sequence[str] = ()
) -> list[Row]:
    platforms = supported_platforms(only)
    rows = _own(session, business_id, period, platforms)
    rows += _competitors(session, business_id, period, platforms)
    order = {p: i for i, p in enumerate(platforms)}
    return sorted(rows, key=lambda r: (order.get(r.platform, 99), r.kind != "own", r.name.lower()))


def series(
    session: Session, business_id: int, period: Period, only: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Followers over time of every row, for the chart: ``[{label, platform, kind, points:
    [[iso time, followers], …]}]`` inside the period."""
    platforms = supported_platforms(only)
    out: list[dict[str, Any]] = []
    accounts = _accounts(session, business_id, platforms)
    history = follower_history(session, [a.id for a in accounts])
    for account in accounts:
        points = [
            [at.isoformat(), int(value)]
            for at, value in zip(
                history.times.get(account.id, []), history.values.get(account.id, []), strict=True
            )
            if period.since <= at < period.until
        ]
        out.append(
            {"label": account.name, "platform": account.platform, "kind": "own", "points": points}
        )
    for competitor in _listed(session, business_id, platforms):
        snapshots = _snapshots(session, competitor.id)
        out.append(
            {
                "label": competitor.display_name or f"@{competitor.handle}",
                "platform": competitor.platform,
                "kind": "competitor",
                "points": [
                    [s.captured_at.isoformat(), s.followers]
                    for s in snapshots
                    if s.followers is not None and period.since <= s.captured_at < period.until
                ],
            }
        )
    return out


# --- own accounts -----------------------------------------------------------------------------
def _accounts(session: Session, business_id: int, platforms: Sequence[str]) -> list[SocialAccount]:
    if not platforms:
        return []
    return list(
        session.scalars(
            select(SocialAccount)
            .where(SocialAccount.business_id == business_id, SocialAccount.platform.in_(platforms))
            .order_by(SocialAccount.id)
        )
    )


def _own(session: Session, business_id: int, period: Period, platforms: Sequence[str]) -> list[Row]:
    accounts = _accounts(session, business_id, platforms)
    history = follower_history(session, [a.id for a in accounts])
    rows: list[Row] = []
    for account in accounts:
        counted = descriptor(account.platform).competitors.metrics
        latest = session.scalars(
            select(RemotePost.latest).where(
                RemotePost.social_account_id == account.id,
                RemotePost.published_at >= period.since,
                RemotePost.published_at < period.until,
                RemotePost.gone_reason.is_(None),
            )
        ).all()
        points = list(
            zip(history.times.get(account.id, []), history.values.get(account.id, []), strict=True)
        )
        rows.append(
            _row(
                kind="own",
                row_id=account.id,
                platform=account.platform,
                name=account.name,
                handle=account.username,
                status=str(account.status),
                points=[(at, int(value)) for at, value in points],
                post_metrics=list(latest),
                counted=counted,
                period=period,
                covered_since=None,
            )
        )
    return rows


# --- competitors ------------------------------------------------------------------------------
def _listed(session: Session, business_id: int, platforms: Sequence[str]) -> list[Competitor]:
    if not platforms:
        return []
    return list(
        session.scalars(
            select(Competitor)
            .where(Competitor.business_id == business_id, Competitor.platform.in_(platforms))
            .order_by(Competitor.id)
        )
    )


def _snapshots(session: Session, competitor_id: int) -> list[CompetitorSnapshot]:
    return list(
        session.scalars(
            select(CompetitorSnapshot)
            .where(CompetitorSnapshot.competitor_id == competitor_id)
            .order_by(CompetitorSnapshot.captured_at, CompetitorSnapshot.id)
        )
    )


def known_posts(
    snapshots: Iterable[CompetitorSnapshot],
) -> dict[str, tuple[datetime, Mapping[str, Any]]]:
    """Every post any read returned, with the numbers of the latest read that had it."""
    posts: dict[str, tuple[datetime, Mapping[str, Any]]] = {}
    for snapshot in snapshots:  # oldest first: later reads overwrite
        for post in snapshot.posts or []:
            if not isinstance(post, dict) or "id" not in post:
                continue
            published = datetime.fromisoformat(str(post["published_at"]))
            posts[str(post["id"])] = (published, post.get("metrics") or {})
    return posts


def _competitors(
    session: Session, business_id: int, period: Period, platforms: Sequence[str]
) -> list[Row]:
    rows: list[Row] = []
    for competitor in _listed(session, business_id, platforms):
        snapshots = _snapshots(session, competitor.id)
        counted = descriptor(competitor.platform).competitors.metrics
        posts = known_posts(snapshots)
        in_period = [m for at, m in posts.values() if period.since <= at < period.until]
        rows.append(
            _row(
                kind="competitor",
                row_id=competitor.id,
                platform=competitor.platform,
                name=competitor.display_name or f"@{competitor.handle}",
                handle=competitor.handle,
                status=competitor.status,
                points=[(s.captured_at, s.followers) for s in snapshots if s.followers is not None],
                post_metrics=in_period,
                counted=counted,
                period=period,
                covered_since=snapshots[0].captured_at - WINDOW if snapshots else None,
            )
        )
    return rows


# --- the numbers ------------------------------------------------------------------------------
def _row(
    *,
    kind: str,
    row_id: int,
    platform: str,
    name: str,
    handle: str | None,
    status: str,
    points: list[tuple[datetime, int]],
    post_metrics: list[Mapping[str, Any]],
    counted: tuple[str, ...],
    period: Period,
    covered_since: datetime | None,
) -> Row:
    end = _at_or_before(points, period.until)
    start = _start(points, period)
    growth = None
    if start is not None and end is not None and start[0] != end[0] and start[1] > 0:
        growth = (end[1] - start[1]) / start[1] * 100
    values = [v for m in post_metrics if (v := interactions_of(m, counted)) is not None]
    begin = max(period.since, covered_since) if covered_since is not None else period.since
    weeks = (period.until - begin) / WEEK if begin < period.until else 0.0
    return Row(
        kind=kind,
        id=row_id,
        platform=platform,
        name=name,
        handle=handle,
        status=status,
        followers=end[1] if end else None,
        followers_at_start=start[1] if start else None,
        growth_percent=growth,
        posts=len(post_metrics),
        posts_per_week=len(post_metrics) / weeks if weeks > 0 else None,
        engagement_per_post=sum(values) / len(values) if values else None,
        rated_posts=len(values),
        covered_since=covered_since,
    )


def _at_or_before(
    points: list[tuple[datetime, int]], moment: datetime
) -> tuple[datetime, int] | None:
    index = bisect.bisect_left([at for at, _ in points], moment) - 1
    return points[index] if index >= 0 else None


def _start(points: list[tuple[datetime, int]], period: Period) -> tuple[datetime, int] | None:
    before = _at_or_before(points, period.since + timedelta(microseconds=1))
    if before is not None:
        return before
    inside = [p for p in points if period.since <= p[0] < period.until]
    return inside[0] if inside else None
