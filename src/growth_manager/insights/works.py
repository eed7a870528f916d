"""What distinguishes the top posts: for each feature a post may have (media, length,
hashtags, a link, a question, the weekday and hour it went out, the strategy topic it is
about), the engagement of the posts with it against the posts without it, as plain
statements with the numbers behind them.

**How engagement is compared across accounts.** A post's *performance multiple* is its
engagement divided by the median engagement of its account's posts in the same selection
(:func:`multiples`). Engagement is the engagement rate (:mod:`growth_manager.analytics.rates`:
interactions over impressions, else reach); for an account most of whose posts have no
audience figure it is interactions per follower at publication. Dividing by the account's own
median lets a 200-follower Instagram account and a 20 000-follower LinkedIn page mix fairly:
1.0 is "as usual for that account" everywhere. An account with fewer than
:data:`MIN_ACCOUNT_POSTS` rated posts, or a median of zero, has no usual to compare with and
is left out.

**How a difference is stated.** Group A (posts with the feature) and group B (the others)
each need :data:`MIN_GROUP` posts; the figure compared is each group's *median* multiple
(robust to one viral post), and the ratio A/B must be at least :data:`MIN_RATIO` (or at most
its inverse) to be worth saying. Statements are ordered by strength, the size of the ratio
either way (|log ratio|). When none qualifies the answer says so instead of guessing.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from growth_manager.business.access import BusinessAccess
from growth_manager.insights import posts, sections
from growth_manager.insights.posts import PostFacts
from growth_manager.models.business import Strategy

# Each side of a comparison needs this many posts before a difference is stated.
MIN_GROUP = 8
# A ratio between 1/MIN_RATIO and MIN_RATIO is "no real difference".
MIN_RATIO = 1.25
# An account needs this many rated posts for its median to be its "usual".
MIN_ACCOUNT_POSTS = 5
# Statements shown (the API returns them all).
SHOWN = 8

# Length buckets in characters: (key, label, lowest, highest exclusive).
LENGTHS = (
    ("short", "short posts (under 80 characters)", 0, 80),
    ("medium", "medium-length posts (80–199 characters)", 80, 200),
    ("long", "long posts (200 characters or more)", 200, 10**9),
)
# Hashtag count buckets: (key, label, lowest, highest inclusive).
HASHTAG_COUNTS = (
    ("1-2", "posts with 1–2 hashtags", 1, 2),
    ("3-5", "posts with 3–5 hashtags", 3, 5),
    ("6+", "posts with 6 or more hashtags", 6, 10**6),
)
# Hour bands in the business's time zone: (key, label, first hour, last hour inclusive).
HOUR_BANDS = (
    ("night", "posts published at night (0–6h)", 0, 5),
    ("morning", "morning posts (6–12h)", 6, 11),
    ("afternoon", "afternoon posts (12–18h)", 12, 17),
    ("evening", "evening posts (18–24h)", 18, 23),
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MEDIA_LABELS = {
    "image": "posts with an image",
    "video": "posts with a video",
    "carousel": "posts with several images",
}


@dataclass(frozen=True)
class Finding:
    """One difference worth stating, with the numbers behind it."""

    feature: str  # media, media_kind, length, hashtags, hashtag_count, hashtag, link, ...
    value: str  # the bucket, kind, tag or topic of group A ("present" for yes/no features)
    group_a: str  # who group A is, in words
    group_b: str
    n_a: int
    n_b: int
    median_a: float  # median performance multiple of group A (1.0 = the account's usual)
    median_b: float
    ratio: float  # median_a / median_b
    statement: str

    @property
    def strength(self) -> float:
        return abs(math.log(self.ratio))


@dataclass
class WhatWorks:
    findings: list[Finding]
    rated_posts: int  # posts with a performance multiple (the ones compared)
    posts: int  # posts in the selection
    top_quartile_threshold: float | None  # the multiple a post needs to be in the top quarter
    summary: str
    notes: list[str] = field(default_factory=list)


# --- performance -------------------------------------------------------------------------------
def engagement(fact: PostFacts, per_follower: bool) -> float | None:
    return fact.per_follower if per_follower else fact.engagement_rate


def multiples(facts: Iterable[PostFacts]) -> dict[int, float]:
    """Each rated post's engagement over its account's median (remote post id → multiple)."""
    by_account: dict[int, list[PostFacts]] = defaultdict(list)
    for fact in facts:
        by_account[fact.account_id].append(fact)
    out: dict[int, float] = {}
    for account_posts in by_account.values():
        with_rate = sum(1 for f in account_posts if f.engagement_rate is not None)
        per_follower = with_rate * 2 < len(account_posts)
        values = {
            f.remote_post_id: value
            for f in account_posts
            if (value := engagement(f, per_follower)) is not None
        }
        if len(values) < MIN_ACCOUNT_POSTS:
            continue
        usual = statistics.median(values.values())
        if usual <= 0:
            continue
        out.update({post_id: value / usual for post_id, value in values.items()})
    return out


# --- features ------------------------------------------------------------------------------------
WORD = re.compile(r"[\w']+", re.UNICODE)


def topic_words(topic: str) -> list[str]:
    return [w for w in WORD.findall(topic.lower()) if len(w) >= 3]


def mentions(text: str, topic: str) -> bool:
    """The text is about ``topic``: every word of it (3+ letters) appears, in the singular or
    the plural ("coffee beans" matches "our coffee bean", "croissant" matches "croissants")."""
    words = set(WORD.findall(text.lower()))
    wanted = topic_words(topic)
    return bool(wanted) and all(forms(w) & words for w in wanted)


def forms(word: str) -> set[str]:
    out = {word, word + "s", word + "es"}
    if word.endswith("es") and len(word) > 4:
        out.add(word[:-2])
    if word.endswith("s") and len(word) > 3:
        out.add(word[:-1])
    return out


def topics_of(fact: PostFacts, strategies: dict[int, list[str]]) -> set[str]:
    """A post published through the product is about its strategy's topics that its text
    mentions (its only topic when the strategy has one); any other post is about the topics
    of the business's strategies that its text mentions."""
    if fact.strategy_id is not None and fact.strategy_id in strategies:
        own = strategies[fact.strategy_id]
        if len(own) == 1:
            return {own[0]}
        return {t for t in own if mentions(fact.text, t)}
    every = {t for topics in strategies.values() for t in topics}
    return {t for t in every if mentions(fact.text, t)}


def strategy_topics(session: Session, business_id: int) -> dict[int, list[str]]:
    rows = session.execute(
        select(Strategy.id, Strategy.topics).where(Strategy.business_id == business_id)
    )
    out: dict[int, list[str]] = {}
    for strategy_id, topics in rows:
        clean = [str(t).strip() for t in topics or [] if str(t).strip() and topic_words(str(t))]
        out[strategy_id] = list(dict.fromkeys(clean))
    return out


Test = Callable[[PostFacts], bool]


@dataclass(frozen=True)
class Split:
    feature: str
    value: str
    label_a: str
    label_b: str
    test: Test


def _kind_is(kind: str) -> Test:
    return lambda f: f.media_kind == kind


def _length_in(low: int, high: int) -> Test:
    return lambda f: low <= f.length < high


def _tag_count_in(low: int, high: int) -> Test:
    return lambda f: low <= len(set(f.hashtags)) <= high


def _has_tag(tag: str) -> Test:
    return lambda f: tag in f.hashtags


def _on_weekday(day: int, zone: ZoneInfo) -> Test:
    return lambda f: f.published_at.astimezone(zone).weekday() == day


def _in_hours(first: int, last: int, zone: ZoneInfo) -> Test:
    return lambda f: first <= f.published_at.astimezone(zone).hour <= last


def _about(topic: str, strategies: dict[int, list[str]]) -> Test:
    return lambda f: topic in topics_of(f, strategies)


def splits(
    facts: Sequence[PostFacts], zone: ZoneInfo, strategies: dict[int, list[str]]
) -> list[Split]:
    """Every comparison to try, each a test putting a post in group A or B."""
    out = [Split("media", "present", "posts with media", "text-only posts", _has_media)]
    kinds = sorted({f.media_kind for f in facts if f.media_kind})
    # With one kind of media, "with an image" is "with media" again: said once.
    for kind in kinds if len(kinds) > 1 else []:
        label = MEDIA_LABELS.get(kind, f"posts with {kind}")
        out.append(Split("media_kind", kind, label, "text-only posts", _kind_is(kind)))
    for key, label, low, high in LENGTHS:
        out.append(Split("length", key, label, "other posts", _length_in(low, high)))
    out.append(Split("hashtags", "present", "posts with hashtags", "posts without", _has_tags))
    for key, label, low, high in HASHTAG_COUNTS:
        out.append(Split("hashtag_count", key, label, "other posts", _tag_count_in(low, high)))
    tags = Counter(tag for f in facts for tag in set(f.hashtags))
    for tag, count in sorted(tags.items()):
        if count >= MIN_GROUP:
            out.append(
                Split("hashtag", tag, f"posts with #{tag}", f"posts without #{tag}", _has_tag(tag))
            )
    out.append(Split("link", "present", "posts with a link", "posts without", _has_link))
    out.append(Split("question", "present", "posts asking a question", "posts without", _asks))
    for day, name in enumerate(WEEKDAYS):
        out.append(
            Split(
                "weekday",
                name.lower(),
                f"{name} posts",
                "posts on other days",
                _on_weekday(day, zone),
            )
        )
    for key, label, first, last in HOUR_BANDS:
        out.append(
            Split("hour_band", key, label, "posts at other hours", _in_hours(first, last, zone))
        )
    every_topic = sorted({t for topics in strategies.values() for t in topics}, key=str.lower)
    for topic in every_topic:
        out.append(
            Split(
                "topic",
                topic,
                f"posts about {topic}",
                f"posts not about {topic}",
                _about(topic, strategies),
            )
        )
    return out


def _has_media(fact: PostFacts) -> bool:
    return bool(fact.media_kind)


def _has_tags(fact: PostFacts) -> bool:
    return bool(fact.hashtags)


def _has_link(fact: PostFacts) -> bool:
    return fact.has_link


def _asks(fact: PostFacts) -> bool:
    return fact.asks_question


def times(ratio: float) -> str:
    return f"{ratio:.1f}×" if ratio >= 0.95 else f"{ratio:.2f}×"


def compare(split: Split, facts: Sequence[PostFacts], scores: dict[int, float]) -> Finding | None:
    group_a: list[float] = []
    group_b: list[float] = []
    for fact in facts:
        score = scores.get(fact.remote_post_id)
        if score is None:
            continue
        if split.feature == "media_kind" and fact.media_kind and fact.media_kind != split.value:
            continue  # an image against text-only posts: videos are in neither group
        (group_a if split.test(fact) else group_b).append(score)
    if len(group_a) < MIN_GROUP or len(group_b) < MIN_GROUP:
        return None
    median_a, median_b = statistics.median(group_a), statistics.median(group_b)
    if median_b <= 0 or median_a <= 0:
        return None
    ratio = median_a / median_b
    if 1 / MIN_RATIO < ratio < MIN_RATIO:
        return None
    statement = (
        f"{split.label_a[0].upper()}{split.label_a[1:]} got {times(ratio)} the engagement of "
        f"{split.label_b} ({len(group_a)} vs {len(group_b)} posts)."
    )
    return Finding(
        feature=split.feature,
        value=split.value,
        group_a=split.label_a,
        group_b=split.label_b,
        n_a=len(group_a),
        n_b=len(group_b),
        median_a=median_a,
        median_b=median_b,
        ratio=ratio,
        statement=statement,
    )


def analyse(
    facts: Sequence[PostFacts], zone: ZoneInfo, strategies: dict[int, list[str]]
) -> WhatWorks:
    scores = multiples(facts)
    rated = [f for f in facts if f.remote_post_id in scores]
    findings = [
        found
        for split in splits(rated, zone, strategies)
        if (found := compare(split, rated, scores))
    ]
    findings.sort(key=lambda f: (-f.strength, f.feature, f.value))
    threshold = None
    if len(scores) >= 4:
        threshold = statistics.quantiles(sorted(scores.values()), n=4, method="inclusive")[2]
    notes: list[str] = []
    if findings:
        summary = f"{len(findings)} difference{'s' if len(findings) != 1 else ''} stand out."
    elif len(rated) < 2 * MIN_GROUP:
        summary = (
            f"Not enough posts to tell what works: {len(rated)} rated post"
            f"{'' if len(rated) == 1 else 's'}, and a comparison needs at least {MIN_GROUP} "
            "on each side."
        )
    else:
        summary = (
            f"Nothing stands out: no feature changes engagement by {MIN_RATIO:.2g}× or more "
            f"with at least {MIN_GROUP} posts on each side ({len(rated)} posts compared)."
        )
    unrated = len(facts) - len(rated)
    if unrated:
        notes.append(
            f"{unrated} post{'s' if unrated != 1 else ''} left out: no engagement figure yet, or "
            f"an account with fewer than {MIN_ACCOUNT_POSTS} rated posts."
        )
    return WhatWorks(findings, len(rated), len(facts), threshold, summary, notes)


@sections.section("what-works", "What works", "_works.html", order=30)
def what_works_section(
    session: Session, access: BusinessAccess, filters: sections.Filters
) -> dict[str, Any]:
    facts = posts.load(session, access.business.id, filters.period, platforms=filters.platforms)
    result = analyse(facts, filters.zone, strategy_topics(session, access.business.id))
    return {
        "result": result,
        "shown": result.findings[:SHOWN],
        "more": max(0, len(result.findings) - SHOWN),
        "min_group": MIN_GROUP,
    }
