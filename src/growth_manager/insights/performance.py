"""Post performance relative to the account's recent usual: "this post is doing 2.4× your
usual engagement".

A post's **multiple** is its engagement rate (:mod:`growth_manager.analytics.rates`) divided
by the median engagement rate of the :data:`BASELINE_POSTS` posts the same account published
before it. The rate, not the raw count of interactions: it does not grow with the audience
and a post a few hours old already has a meaningful one. Where the platform reports no
audience figure, interactions per follower at publication take its place (the basis is
named). Under :data:`MIN_BASELINE` earlier posts with the same basis, or a median of 0, there
is no usual to compare with: no multiple.

**Top and bottom posts** of a period are its posts with a multiple, highest and lowest first.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from growth_manager.analytics.pages import post_column
from growth_manager.analytics.queries import Period, PostRow
from growth_manager.insights import posts as facts
from growth_manager.insights import sections
from growth_manager.insights.besttime import as_utc
from growth_manager.insights.posts import PostFacts
from growth_manager.models.analytics import RemotePost

BASELINE_POSTS = 30
MIN_BASELINE = 5
RATE = "engagement_rate"
PER_FOLLOWER = "per_follower"
BASIS_LABELS = {RATE: "engagement rate", PER_FOLLOWER: "interactions per follower"}


@dataclass(frozen=True)
class Performance:
    post: PostFacts
    basis: str  # RATE or PER_FOLLOWER
    value: float  # the post's own figure on that basis
    baseline: float  # the median of the earlier posts
    baseline_posts: int
    multiple: float

    @property
    def explanation(self) -> str:
        return (
            f"{self.multiple:.1f}× your usual {BASIS_LABELS[self.basis]} "
            f"(the median of the {self.baseline_posts} posts before it)"
        )


def measure(post: PostFacts) -> tuple[str, float] | None:
    if post.engagement_rate is not None:
        return RATE, post.engagement_rate
    if post.per_follower is not None:
        return PER_FOLLOWER, post.per_follower
    return None


def multiples(posts: Sequence[PostFacts]) -> dict[int, Performance]:
    """Each post's performance (by ``remote_post_id``) where it has a usual to compare with;
    ``posts`` must hold each account's earlier posts too (they are the baseline)."""
    by_account: dict[int, list[PostFacts]] = defaultdict(list)
    for post in posts:
        by_account[post.account_id].append(post)
    out: dict[int, Performance] = {}
    for items in by_account.values():
        items.sort(key=lambda p: (p.published_at, p.remote_post_id))
        earlier: dict[str, list[float]] = defaultdict(list)
        for post in items:
            found = measure(post)
            if found is None:
                continue
            basis, value = found
            window = earlier[basis][-BASELINE_POSTS:]
            if len(window) >= MIN_BASELINE:
                usual = statistics.median(window)
                if usual > 0:
                    out[post.remote_post_id] = Performance(
                        post, basis, value, usual, len(window), value / usual
                    )
            earlier[basis].append(value)
    return out


def for_business(
    session: Session,
    business_id: int,
    *,
    platforms: Sequence[str] = (),
    account_ids: Sequence[int] = (),
) -> dict[int, Performance]:
    """Every post's performance for the business (all history, so baselines are complete)."""
    return multiples(facts.load(session, business_id, platforms=platforms, account_ids=account_ids))


def ranked(
    session: Session,
    business_id: int,
    period: Period,
    *,
    platforms: Sequence[str] = (),
    account_ids: Sequence[int] = (),
    limit: int = 5,
) -> tuple[list[Performance], list[Performance], int]:
    """The period's top and bottom ``limit`` posts by multiple, and how many had one."""
    found = for_business(session, business_id, platforms=platforms, account_ids=account_ids)
    inside = [
        p for p in found.values() if period.since <= as_utc(p.post.published_at) < period.until
    ]
    inside.sort(key=lambda p: (-p.multiple, p.post.remote_post_id))
    top = inside[:limit]
    bottom = sorted(inside, key=lambda p: (p.multiple, p.post.remote_post_id))[:limit]
    return top, bottom, len(inside)


@sections.section("performance", "Top and bottom posts", "_performance.html", 20)
def performance_section(session: Session, access: Any, filters: sections.Filters) -> dict[str, Any]:
    top, bottom, count = ranked(
        session, access.business.id, filters.period, platforms=filters.platforms
    )
    return {
        "top": top,
        "bottom": bottom,
        "count": count,
        "baseline_posts": BASELINE_POSTS,
        "min_baseline": MIN_BASELINE,
    }


@post_column("vs_usual", "vs usual")
def posts_table_column(session: Session, rows: Sequence[PostRow]) -> dict[int, dict[str, str]]:
    """The analytics posts table's "vs usual" column: each post's multiple."""
    if not rows:
        return {}
    business_id = rows[0].post.business_id
    accounts = sorted({r.post.social_account_id for r in rows})
    found = for_business(session, business_id, account_ids=accounts)
    return {
        r.post.id: {
            "text": f"{found[r.post.id].multiple:.1f}×",
            "title": found[r.post.id].explanation,
        }
        for r in rows
        if r.post.id in found
    }


def for_targets(
    session: Session, business_id: int, target_ids: Sequence[int]
) -> dict[int, Performance]:
    """The performance of the synced posts of these publishing targets, by target id."""
    if not target_ids:
        return {}
    remote = list(
        session.execute(
            select(RemotePost.id, RemotePost.post_target_id, RemotePost.social_account_id).where(
                RemotePost.business_id == business_id,
                RemotePost.post_target_id.in_(target_ids),
            )
        )
    )
    if not remote:
        return {}
    found = for_business(session, business_id, account_ids=sorted({r[2] for r in remote}))
    return {
        target: found[rid]
        for rid, target, _account in remote
        if rid in found and target is not None
    }
