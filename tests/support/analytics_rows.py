"""Analytics rows for tests: accounts, tracked posts with their latest numbers and snapshot
history, and account follower history, written straight through the models. What was written
is returned as plain values, so a test recomputes what the API should answer from them."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from growth_manager.db import Database
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.analytics import MetricSnapshot, MetricSubject, RemotePost

# The platform's field for each metric, per platform (as the platforms spell them).
FIELDS: dict[str, dict[str, str]] = {
    "x": {
        "likes": "public_metrics.like_count",
        "comments": "public_metrics.reply_count",
        "reposts": "public_metrics.retweet_count",
        "quotes": "public_metrics.quote_count",
        "bookmarks": "public_metrics.bookmark_count",
        "impressions": "public_metrics.impression_count",
        "clicks": "non_public_metrics.url_link_clicks",
        "followers": "public_metrics.followers_count",
    },
    "linkedin": {
        "likes": "totalShareStatistics.likeCount",
        "comments": "totalShareStatistics.commentCount",
        "shares": "totalShareStatistics.shareCount",
        "impressions": "totalShareStatistics.impressionCount",
        "reach": "totalShareStatistics.uniqueImpressionsCount",
        "clicks": "totalShareStatistics.clickCount",
        "followers": "firstDegreeSize",
    },
    "facebook": {
        "reactions": "reactions.summary.total_count",
        "likes": "post_reactions_by_type_total.like",
        "comments": "comments.summary.total_count",
        "shares": "shares.count",
        "impressions": "post_total_media_view",
        "reach": "post_total_media_view_unique",
        "followers": "followers_count",
    },
}
VERSIONS = {"x": "2", "linkedin": "202601", "facebook": "v23.0"}


@dataclass
class SeededPost:
    id: int
    platform: str
    account_id: int
    published_at: datetime
    latest: dict[str, float]
    text: str


@dataclass
class SeededAccount:
    id: int
    platform: str
    name: str
    # (captured_at, value) of each followers snapshot, oldest first.
    followers: list[tuple[datetime, float]] = field(default_factory=list)


@dataclass
class Seeded:
    accounts: list[SeededAccount]
    posts: list[SeededPost]

    def account(self, platform: str) -> SeededAccount:
        return next(a for a in self.accounts if a.platform == platform)


def _latest(rng: random.Random, platform: str) -> dict[str, float]:
    impressions = float(rng.randint(200, 6000))
    share = {"likes": 40, "clicks": 60}  # a like in 40 impressions; other actions rarer
    values = {
        metric: float(rng.randint(0, int(impressions // share.get(metric, 250))))
        for metric in FIELDS[platform]
        if metric not in ("followers", "impressions", "reach")
    }
    values["impressions"] = impressions
    if "reach" in FIELDS[platform]:
        values["reach"] = float(int(impressions * rng.uniform(0.5, 0.9)))
    if platform == "facebook":  # reactions include likes
        values["reactions"] = values["likes"] + float(rng.randint(0, 12))
    return values


def seed_analytics(
    database: Database,
    business_id: int,
    now: datetime,
    *,
    posts_per_platform: int = 12,
    days: int = 60,
    seed: int = 7,
    platforms: tuple[str, ...] = ("x", "linkedin", "facebook"),
    extra_posts: list[dict[str, Any]] | None = None,
) -> Seeded:
    """Accounts of ``platforms``, posts spread over the last ``days`` days (each with two
    snapshots per metric: an early read and the latest), and a daily followers history."""
    rng = random.Random(seed)
    accounts: list[SeededAccount] = []
    posts: list[SeededPost] = []
    with database.session() as session:
        for platform in platforms:
            account = SocialAccount(
                business_id=business_id,
                platform=platform,
                kind="page" if platform == "facebook" else "user",
                external_id=f"{platform}-{business_id}",
                name=f"Bloom on {platform}",
                username=f"bloom_{platform}" if platform == "x" else None,
                access_token="stored-token",
                followers=None,
            )
            session.add(account)
            session.flush()
            seeded = SeededAccount(account.id, platform, account.name)
            accounts.append(seeded)
            count = float(rng.randint(800, 5000))
            for day in range(days, -1, -1):
                at = (now - timedelta(days=day)).replace(hour=6, minute=0, second=0, microsecond=0)
                if at > now:
                    continue
                count += rng.randint(-3, 25)
                session.add(
                    MetricSnapshot(
                        business_id=business_id,
                        social_account_id=account.id,
                        subject=MetricSubject.account,
                        metric="followers",
                        value=count,
                        captured_at=at,
                        source_field=FIELDS[platform]["followers"],
                        api_version=VERSIONS[platform],
                    )
                )
                seeded.followers.append((at, count))
            for index in range(posts_per_platform):
                published = now - timedelta(
                    days=rng.uniform(0.2, days - 0.5), minutes=rng.randint(0, 600)
                )
                latest = _latest(rng, platform)
                text = f"{platform} post {index}: fresh sourdough #{rng.randint(1, 999)}"
                posts.append(
                    _add_post(session, business_id, account.id, platform, published, latest, text)
                )
        for extra in extra_posts or []:
            account_id = next(a.id for a in accounts if a.platform == extra["platform"])
            posts.append(
                _add_post(
                    session,
                    business_id,
                    account_id,
                    extra["platform"],
                    extra["published_at"],
                    extra["latest"],
                    extra.get("text", "extra post"),
                    post_target_id=extra.get("post_target_id"),
                )
            )
    return Seeded(accounts, posts)


def _add_post(
    session: Any,
    business_id: int,
    account_id: int,
    platform: str,
    published: datetime,
    latest: dict[str, float],
    text: str,
    post_target_id: int | None = None,
) -> SeededPost:
    read_at = published + timedelta(hours=1)
    row = RemotePost(
        business_id=business_id,
        social_account_id=account_id,
        platform=platform,
        remote_id=f"{platform}-{published.timestamp():.0f}-{random.random():.6f}",
        remote_url=f"https://{platform}.example/p/{published.timestamp():.0f}",
        text=text,
        published_at=published,
        imported=post_target_id is None,
        post_target_id=post_target_id,
        latest=dict(latest),
        last_synced_at=read_at + timedelta(hours=5),
    )
    session.add(row)
    session.flush()
    fields = FIELDS.get(platform, {})
    for metric, value in latest.items():
        for at, number in ((read_at, max(0.0, value // 2)), (read_at + timedelta(hours=5), value)):
            session.add(
                MetricSnapshot(
                    business_id=business_id,
                    social_account_id=account_id,
                    subject=MetricSubject.post,
                    remote_post_id=row.id,
                    metric=metric,
                    value=number,
                    captured_at=at,
                    source_field=fields.get(metric, metric),
                    api_version=VERSIONS.get(platform, "1"),
                )
            )
    return SeededPost(row.id, platform, account_id, published, dict(latest), text)
