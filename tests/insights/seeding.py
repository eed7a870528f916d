"""Seeding for the insights tests: accounts and posts with known features and numbers
(written through the models), and the performance multiples recomputed from seeded rows."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from growth_manager.analytics import rates
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.analytics import RemotePost
from growth_manager.models.content import Post, PostStatus
from growth_manager.models.publishing import PostTarget, TargetStatus
from tests.support.analytics_rows import Seeded


@dataclass
class Seed:
    id: int
    account_id: int
    text: str
    media_kind: str | None
    published_at: datetime
    likes: float
    impressions: float
    strategy_id: int | None = None


def add_account(session: Any, business_id: int, platform: str) -> SocialAccount:
    account = SocialAccount(
        business_id=business_id,
        platform=platform,
        kind="user",
        external_id=f"{platform}-{business_id}-works",
        name=f"Bloom on {platform}",
        access_token="stored-token",
    )
    session.add(account)
    session.flush()
    return account


def add_post(
    session: Any,
    account: SocialAccount,
    text: str,
    media_kind: str | None,
    published: datetime,
    likes: float,
    impressions: float,
    strategy_id: int | None = None,
) -> Seed:
    target_id = None
    if strategy_id is not None:
        post = Post(
            business_id=account.business_id,
            strategy_id=strategy_id,
            base_text=text,
            status=PostStatus.published,
            platforms=[account.platform],
        )
        session.add(post)
        session.flush()
        target = PostTarget(
            post_id=post.id,
            business_id=account.business_id,
            social_account_id=account.id,
            platform=account.platform,
            parts=[text],
            media_ids=[],
            scheduled_at=published,
            next_attempt_at=published,
            status=TargetStatus.published,
            origin="now",
            progress={},
            warnings=[],
        )
        session.add(target)
        session.flush()
        target_id = target.id
    row = RemotePost(
        business_id=account.business_id,
        social_account_id=account.id,
        platform=account.platform,
        remote_id=f"{account.id}-{published.timestamp():.0f}-{len(text)}-{likes}",
        text=text,
        media_kind=media_kind,
        published_at=published,
        imported=target_id is None,
        post_target_id=target_id,
        latest={"likes": likes, "impressions": impressions},
        last_synced_at=published + timedelta(hours=6),
    )
    session.add(row)
    session.flush()
    return Seed(row.id, account.id, text, media_kind, published, likes, impressions, strategy_id)


def expected_multiples(seeded: Seeded) -> dict[int, float]:
    out: dict[int, float] = {}
    for account in seeded.accounts:
        posts = sorted(
            (p for p in seeded.posts if p.account_id == account.id),
            key=lambda p: (p.published_at, p.id),
        )
        earlier: list[float] = []
        for post in posts:
            rate = rates.engagement_rate(post.latest)
            if rate is None:
                continue
            window = earlier[-30:]
            if len(window) >= 5 and statistics.median(window) > 0:
                out[post.id] = rate / statistics.median(window)
            earlier.append(rate)
    return out
