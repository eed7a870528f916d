"""The simulated audience: deterministic for a seed, realistic enough to analyse.

Every simulated account (an X user, a LinkedIn member or organization, a Facebook Page, an
Instagram business account) gets an :class:`AudienceProfile` derived from ``(seed, key)``: a
follower count that grows over time, an engagement rate and a hidden best posting window
(weekday and hour, UTC). A post's metrics follow a curve that rises over the first hours and
flattens over days; their level depends on text length, media, hashtags and how close the
posting time is to the account's best window. All counts are mutually consistent:
``reach <= impressions`` and every engagement count is bounded by impressions.

Nothing here touches the database or the clock: callers pass ``now``.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# Growth is measured from this instant so that a profile's follower count is a pure function.
GROWTH_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
HISTORY_DAYS = 90


@dataclass(frozen=True)
class AudienceProfile:
    key: str
    followers_at_epoch: int
    daily_growth: float  # fraction per day, e.g. 0.002
    engagement_rate: float  # engagements per impression at the best window
    reach_ratio: float  # share of followers a typical post reaches
    best_weekday: int  # 0 = Monday, UTC
    best_hour: int  # 0-23, UTC

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PostFeatures:
    text_length: int
    posted_at: datetime
    media_count: int = 0
    has_video: bool = False
    hashtag_count: int = 0


@dataclass(frozen=True)
class PostMetrics:
    impressions: int
    reach: int
    likes: int
    comments: int
    shares: int
    clicks: int
    saves: int
    video_views: int
    profile_visits: int

    @property
    def engagements(self) -> int:
        return self.likes + self.comments + self.shares + self.clicks + self.saves

    def as_dict(self) -> dict[str, int]:
        return {k: int(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class HistoricalPost:
    post_key: str  # stable, unique per account: f"{account_key}:h{index}"
    posted_at: datetime
    text: str
    features: PostFeatures


def _rng(seed: int, *parts: object) -> random.Random:
    # Simulation, not security: a seeded, reproducible generator is the point.
    return random.Random(":".join([str(seed), *map(str, parts)]))  # noqa: S311


def profile_for(seed: int, key: str) -> AudienceProfile:
    rng = _rng(seed, "profile", key)
    return AudienceProfile(
        key=key,
        followers_at_epoch=int(math.exp(rng.uniform(math.log(300), math.log(25_000)))),
        daily_growth=rng.uniform(0.0008, 0.004),
        engagement_rate=rng.uniform(0.02, 0.07),
        reach_ratio=rng.uniform(0.12, 0.35),
        best_weekday=rng.randrange(7),
        best_hour=rng.randrange(7, 21),
    )


def followers_at(profile: AudienceProfile, when: datetime) -> int:
    days = (when - GROWTH_EPOCH).total_seconds() / 86_400
    return max(1, int(profile.followers_at_epoch * (1 + profile.daily_growth) ** days))


def following_at(profile: AudienceProfile, when: datetime) -> int:
    return 50 + int(followers_at(profile, when) ** 0.5 * 3)


def timing_multiplier(profile: AudienceProfile, posted_at: datetime) -> float:
    """1.0 at the hidden best window, falling off with hour and weekday distance."""
    at = posted_at.astimezone(UTC)
    hour_distance = min(abs(at.hour - profile.best_hour), 24 - abs(at.hour - profile.best_hour))
    day_distance = min(
        abs(at.weekday() - profile.best_weekday), 7 - abs(at.weekday() - profile.best_weekday)
    )
    hour_factor = math.exp(-(hour_distance**2) / (2 * 2.5**2))
    day_factor = {0: 1.0, 1: 0.8}.get(day_distance, 0.62)
    return 0.3 + 0.7 * hour_factor * day_factor


def content_multiplier(features: PostFeatures) -> float:
    length = 0.75 + 0.45 * math.exp(-(((features.text_length - 140) / 130) ** 2))
    media = 1.6 if features.has_video else (1.3 if features.media_count else 1.0)
    tags = 1 + 0.06 * min(features.hashtag_count, 3) - 0.05 * max(0, features.hashtag_count - 5)
    return length * media * max(tags, 0.5)


def growth_curve(age: timedelta) -> float:
    """Share of a post's final reach gathered by ``age``: rises for hours, flat after days."""
    hours = age.total_seconds() / 3600
    if hours <= 0:
        return 0.0
    return 1 - math.exp(-hours / 5.0)


def post_metrics(
    seed: int, profile: AudienceProfile, post_key: str, features: PostFeatures, now: datetime
) -> PostMetrics:
    """Metrics of one post as seen at ``now``. Deterministic in all arguments."""
    curve = growth_curve(now - features.posted_at)
    if curve == 0.0:
        return PostMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0)
    rng = _rng(seed, "post", post_key)
    noise = math.exp(rng.gauss(0, 0.22))
    followers = followers_at(profile, features.posted_at)
    timing = timing_multiplier(profile, features.posted_at)
    final_reach = followers * profile.reach_ratio * timing * content_multiplier(features) * noise
    final_impressions = final_reach * rng.uniform(1.15, 1.6)
    rate = profile.engagement_rate * (0.5 + 0.5 * timing) * rng.uniform(0.85, 1.15)
    impressions = int(final_impressions * curve)
    reach = min(impressions, int(final_reach * curve))
    engaged = impressions * rate
    likes = int(engaged * 0.62)
    comments = int(engaged * 0.07)
    shares = int(engaged * 0.09)
    clicks = int(engaged * 0.17)
    saves = int(engaged * 0.05)
    video_views = int(impressions * rng.uniform(0.35, 0.6)) if features.has_video else 0
    profile_visits = int(engaged * 0.04)
    return PostMetrics(
        impressions=impressions,
        reach=reach,
        likes=likes,
        comments=comments,
        shares=shares,
        clicks=clicks,
        saves=saves,
        video_views=video_views,
        profile_visits=profile_visits,
    )


_OPENERS = [
    "Behind the scenes at",
    "Three things we learned this week at",
    "New this month at",
    "A customer asked us why",
    "Quick tip from the team at",
    "We are hiring at",
    "Thank you for an amazing week at",
    "Weekend hours update for",
]
_BODIES = [
    "we finally shipped the thing you kept asking for.",
    "small changes add up: here is what moved the needle for us.",
    "our favourite part of the job is hearing from you.",
    "this one took longer than planned, and it was worth it.",
    "come and see it in person, the coffee is on us.",
    "here is the honest story, mistakes included.",
]
_TAGS = ["#smallbusiness", "#local", "#growth", "#community", "#newproduct", "#tips", "#team"]


def history(
    seed: int,
    profile: AudienceProfile,
    name: str,
    now: datetime,
    days: int = HISTORY_DAYS,
    posts: int | None = None,
) -> list[HistoricalPost]:
    """Past posts of an account over ``days`` before ``now``, oldest first.

    Posting hours are spread over the whole day so that the best window is recoverable from the
    metrics; the same seed, key and day give the same posts. By default an account posts every
    14 to 52 hours; ``posts`` asks for exactly that many instead, one in each equal slice of the
    ``days`` but the first (at a random moment of it), for a busier account.
    """
    rng = _rng(seed, "history", profile.key)
    start = (now - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    out: list[HistoricalPost] = []
    if posts is not None:
        # From a day inside the span, so no post sits on its edge as the clock moves on.
        first = now - timedelta(days=days - 1) if days > 1 else start
        slice_minutes = ((now - timedelta(hours=1)) - first).total_seconds() / 60 / max(posts, 1)
        for index in range(posts):
            at = first + timedelta(minutes=int((index + rng.random() * 0.95) * slice_minutes))
            out.append(_historical(rng, profile, name, at, index))
        return out
    at = start
    index = 0
    while True:
        at = at + timedelta(hours=rng.randrange(14, 52), minutes=rng.randrange(60))
        if at >= now - timedelta(hours=1):
            break
        out.append(_historical(rng, profile, name, at, index))
        index += 1
    return out


def _historical(
    rng: random.Random, profile: AudienceProfile, name: str, at: datetime, index: int
) -> HistoricalPost:
    tags = rng.sample(_TAGS, rng.choice([0, 0, 1, 2, 3]))
    text = f"{rng.choice(_OPENERS)} {name}: {rng.choice(_BODIES)} {' '.join(tags)}".strip()
    media_roll = rng.random()
    features = PostFeatures(
        text_length=len(text),
        posted_at=at,
        media_count=1 if media_roll > 0.55 else 0,
        has_video=media_roll > 0.88,
        hashtag_count=len(tags),
    )
    return HistoricalPost(f"{profile.key}:h{index}", at, text, features)


_POSITIVE = [
    "Love this! 😍",
    "This is exactly what I needed, thank you.",
    "Great work, team!",
    "Can't wait to try it, looks awesome.",
    "So good. Sharing with my friends.",
    "You never disappoint 👏",
    "Brilliant idea, well done!",
    "Best coffee in town, happy to support you.",
]
_NEGATIVE = [
    "Disappointed, the last order arrived late.",
    "Prices went up again? Not great.",
    "This is confusing and annoying, can you explain?",
    "Worst customer service I've had this year.",
    "Terrible timing, nobody wants this.",
    "Boring. Nothing useful here.",
]
_NEUTRAL = [
    "What are your opening hours?",
    "Is this available online?",
    "Noted.",
    "Which branch is this?",
]


def comment_mood(
    seed: int, profile: AudienceProfile, post_key: str, features: PostFeatures
) -> float:
    """How well a post lands with its audience, in (0, 1): the same timing, content and per-post
    luck that set its reach (:func:`post_metrics`), squashed. Posts the audience likes more get
    kinder comments: the mood sets the positive and negative shares of :func:`comments`."""
    rng = _rng(seed, "post", post_key)
    noise = math.exp(rng.gauss(0, 0.22))  # the same draw post_metrics makes first
    quality = timing_multiplier(profile, features.posted_at) * content_multiplier(features) * noise
    return 1 / (1 + (0.6 / quality) ** 2)


def comment_shares(mood: float | None) -> tuple[float, float]:
    """(positive, negative) shares of the comments on a post of ``mood`` (None: the average)."""
    if mood is None:
        return 0.62, 0.18
    mood = min(max(mood, 0.0), 1.0)
    return 0.15 + 0.75 * mood, 0.45 * (1 - mood)


def comments(
    seed: int, post_key: str, count: int, mood: float | None = None
) -> list[tuple[str, str]]:
    """``count`` comment texts with their intended sentiment: positive, negative or neutral.

    ``mood`` (:func:`comment_mood`) tilts the mix: a post that did well gets more praise and
    fewer complaints. The texts of the first comments stay the same as more arrive."""
    rng = _rng(seed, "comments", post_key)
    positive, negative = comment_shares(mood)
    out: list[tuple[str, str]] = []
    for _ in range(count):
        roll = rng.random()
        if roll < positive:
            out.append((rng.choice(_POSITIVE), "positive"))
        elif roll < 1 - negative:
            out.append((rng.choice(_NEUTRAL), "neutral"))
        else:
            out.append((rng.choice(_NEGATIVE), "negative"))
    return out
