"""How people feel in the comments: VADER scores, and their shares per post, week and period.

Scoring is offline: VADER (``vaderSentiment``) ships its lexicon and emoji table, so nothing is
downloaded. Each comment gets VADER's ``compound`` score (-1 … 1) and the label of VADER's own
standard thresholds: positive at ``compound >= 0.05``, negative at ``compound <= -0.05``,
neutral between. VADER is an English lexicon with rules for negation, intensifiers,
capitals, punctuation and emoji; it does not see sarcasm ("Great, another delay.") and gives
most other languages neutral, so the shares are a reading of the English comments' tone, not a
verdict (the tests document where it errs).

The numbers: for a set of comments, ``count``, the counts and shares of positive, neutral and
negative comments, and the average compound. The most negative comments (compound at or below
the negative threshold, lowest first) are listed for attention, each with where to answer it.
"""

from __future__ import annotations

import functools
import importlib.metadata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from growth_manager.analytics.queries import Period
from growth_manager.models.analytics import RemotePost
from growth_manager.models.comments import RemoteComment

POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
LABELS = ("positive", "neutral", "negative")


@functools.cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


@functools.cache
def scored_with() -> str:
    """The analyser and its version, stored beside every score."""
    return f"vader {importlib.metadata.version('vaderSentiment')}"


def label_of(compound: float) -> str:
    if compound >= POSITIVE_AT:
        return "positive"
    if compound <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def score(text: str) -> tuple[float, str]:
    """VADER's compound score of ``text`` and its label."""
    compound = float(_analyzer().polarity_scores(text or "")["compound"])
    return compound, label_of(compound)


@dataclass(frozen=True)
class Tone:
    """The tone of a set of comments."""

    count: int
    positive: int
    neutral: int
    negative: int
    average: float | None  # mean compound; None without comments

    def share(self, label: str) -> float | None:
        return getattr(self, label) / self.count if self.count else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "positive": self.positive,
            "neutral": self.neutral,
            "negative": self.negative,
            "positive_share": self.share("positive"),
            "neutral_share": self.share("neutral"),
            "negative_share": self.share("negative"),
            "average_compound": self.average,
        }


def tone(comments: Iterable[RemoteComment]) -> Tone:
    rows = list(comments)
    counts = dict.fromkeys(LABELS, 0)
    for row in rows:
        counts[row.label] = counts.get(row.label, 0) + 1
    average = sum(r.sentiment for r in rows) / len(rows) if rows else None
    return Tone(len(rows), counts["positive"], counts["neutral"], counts["negative"], average)


def comments_in(
    session: Session,
    business_id: int,
    period: Period | None = None,
    platforms: Sequence[str] = (),
    remote_post_id: int | None = None,
) -> list[tuple[RemoteComment, RemotePost]]:
    """The business's comments (written in ``period``), with their posts, oldest first."""
    query = (
        select(RemoteComment, RemotePost)
        .join(RemotePost, RemotePost.id == RemoteComment.remote_post_id)
        .where(RemoteComment.business_id == business_id)
        .order_by(RemoteComment.commented_at, RemoteComment.id)
    )
    if period is not None:
        query = query.where(
            RemoteComment.commented_at >= period.since, RemoteComment.commented_at < period.until
        )
    if platforms:
        query = query.where(RemoteComment.platform.in_(list(platforms)))
    if remote_post_id is not None:
        query = query.where(RemoteComment.remote_post_id == remote_post_id)
    return [(c, p) for c, p in session.execute(query)]


def answer_url(comment: RemoteComment, post: RemotePost) -> str | None:
    """Where to answer: the comment's own page, else its post's."""
    return comment.permalink or post.remote_url


def comment_dict(comment: RemoteComment, post: RemotePost) -> dict[str, Any]:
    return {
        "id": comment.id,
        "remote_id": comment.remote_id,
        "platform": comment.platform,
        "remote_post_id": post.id,
        "parent_remote_id": comment.parent_remote_id,
        "author_name": comment.author_name,
        "author_handle": comment.author_handle,
        "text": comment.text,
        "created_at": comment.commented_at,
        "like_count": comment.like_count,
        "compound": comment.sentiment,
        "label": comment.label,
        "scored_with": comment.scored_with,
        "answer_url": answer_url(comment, post),
    }


def _week_start(when: datetime) -> datetime:
    day = when.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def report(
    session: Session,
    business_id: int,
    period: Period,
    platforms: Sequence[str] = (),
    most_negative: int = 10,
) -> dict[str, Any]:
    """Totals, by ISO week (weeks start on Monday, UTC), by post, and the most negative."""
    rows = comments_in(session, business_id, period, platforms)
    by_week: dict[datetime, list[RemoteComment]] = defaultdict(list)
    by_post: dict[int, list[RemoteComment]] = defaultdict(list)
    posts: dict[int, RemotePost] = {}
    for comment, post in rows:
        by_week[_week_start(comment.commented_at)].append(comment)
        by_post[post.id].append(comment)
        posts[post.id] = post
    negative = sorted(
        (pair for pair in rows if pair[0].sentiment <= NEGATIVE_AT),
        key=lambda pair: (pair[0].sentiment, pair[0].id),
    )
    post_rows = [
        {
            "remote_post_id": post_id,
            "platform": posts[post_id].platform,
            "text": posts[post_id].text,
            "published_at": posts[post_id].published_at,
            "url": posts[post_id].remote_url,
            **tone(items).as_dict(),
        }
        for post_id, items in by_post.items()
    ]
    post_rows.sort(key=lambda r: (r["average_compound"] or 0.0, -r["count"]))
    return {
        "since": period.since,
        "until": period.until,
        "platforms": list(platforms),
        "scored_with": scored_with(),
        "thresholds": {"positive": POSITIVE_AT, "negative": NEGATIVE_AT},
        "totals": tone(c for c, _ in rows).as_dict(),
        "by_week": [
            {"week_start": week, **tone(items).as_dict()} for week, items in sorted(by_week.items())
        ],
        "by_post": post_rows,
        "most_negative": [comment_dict(c, p) for c, p in negative[:most_negative]],
    }
