"""REST API for comment sentiment: a period's tone (totals, by week, by post, the most negative
comments to answer) and one post's comments with their scores.

Scoped by the business in the path (viewers may read); a post of another business is a 404."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from growth_manager.analytics import queries
from growth_manager.analytics.views import Platforms, Since, Until, checked, zone_of
from growth_manager.auth.dependencies import DbSession
from growth_manager.business.access import BusinessViewer
from growth_manager.errors import NotFound
from growth_manager.insights import sentiment
from growth_manager.kit.clock import utcnow
from growth_manager.models.analytics import RemotePost

router = APIRouter(prefix="/api/v1", tags=["insights"])

LABELS = (
    "Scores are VADER compound scores (-1 … 1) computed offline; a comment is positive at "
    "compound ≥ 0.05, negative at ≤ -0.05, neutral between. VADER reads English; it misses "
    "sarcasm and scores most other languages as neutral."
)


class ToneOut(BaseModel):
    count: int = Field(description="Comments counted.")
    positive: int
    neutral: int
    negative: int
    positive_share: float | None = Field(description="positive / count; null without comments.")
    neutral_share: float | None
    negative_share: float | None
    average_compound: float | None = Field(description="Mean VADER compound; null if none.")


class WeekTone(ToneOut):
    week_start: datetime = Field(description="Monday 00:00 UTC of the week.")


class PostTone(ToneOut):
    remote_post_id: int
    platform: str
    text: str
    published_at: datetime
    url: str | None = Field(description="The post on the platform.")


class CommentOut(BaseModel):
    id: int
    remote_id: str = Field(description="The comment's id on the platform.")
    platform: str
    remote_post_id: int
    parent_remote_id: str | None = Field(description="The comment it replies to, if any.")
    author_name: str | None
    author_handle: str | None
    text: str
    created_at: datetime
    like_count: int | None
    compound: float = Field(description="VADER compound score, -1 … 1.")
    label: str = Field(description="positive, neutral or negative.")
    scored_with: str = Field(description="Analyser and version, e.g. 'vader 3.3.2'.")
    answer_url: str | None = Field(description="Where to answer it on the platform.")


class Thresholds(BaseModel):
    positive: float
    negative: float


class SentimentOut(BaseModel):
    business_id: int
    since: datetime
    until: datetime
    platforms: list[str]
    scored_with: str
    thresholds: Thresholds
    totals: ToneOut
    by_week: list[WeekTone]
    by_post: list[PostTone] = Field(description="Posts with comments, most negative first.")
    most_negative: list[CommentOut] = Field(description="Negative comments, lowest first.")


class PostCommentsOut(BaseModel):
    business_id: int
    remote_post_id: int
    platform: str
    url: str | None
    tone: ToneOut
    comments: list[CommentOut]


@router.get(
    "/businesses/{business_id}/insights/sentiment",
    response_model=SentimentOut,
    summary="How people feel in the comments",
    description="The comments (and replies) synced from the business's posts and written in "
    "the period: the counts and shares of positive, neutral and negative ones and their "
    "average score, in total, per week and per post, and the most negative comments with a "
    f"link to answer them. {LABELS}",
    responses={422: {"description": "A date or platform that can't be read: which, and why."}},
)
def sentiment_endpoint(
    access: BusinessViewer,
    session: DbSession,
    since: Since = None,
    until: Until = None,
    platforms: Platforms = None,
    most_negative: Annotated[
        int, Query(ge=0, le=100, description="How many negative comments to list.")
    ] = 10,
) -> Any:
    period = checked(queries.parse_period, since, until, zone_of(access), utcnow())
    only = checked(queries.parse_platforms, platforms)
    report = sentiment.report(session, access.business.id, period, only, most_negative)
    return SentimentOut(business_id=access.business.id, **report)


@router.get(
    "/businesses/{business_id}/insights/posts/{remote_post_id}/comments",
    response_model=PostCommentsOut,
    summary="A post's comments with their sentiment",
    description="Every synced comment and reply under the post (oldest first), each with its "
    f"score, label and where to answer it, and the post's tone. {LABELS}",
    responses={404: {"description": "No such post in this business."}},
)
def post_comments_endpoint(remote_post_id: int, access: BusinessViewer, session: DbSession) -> Any:
    post = session.get(RemotePost, remote_post_id)
    if post is None or post.business_id != access.business.id:
        raise NotFound(f"Post {remote_post_id} was not found in this business.")
    rows = sentiment.comments_in(session, access.business.id, remote_post_id=remote_post_id)
    return PostCommentsOut(
        business_id=access.business.id,
        remote_post_id=post.id,
        platform=post.platform,
        url=post.remote_url,
        tone=ToneOut(**sentiment.tone(c for c, _ in rows).as_dict()),
        comments=[CommentOut(**sentiment.comment_dict(c, p)) for c, p in rows],
    )
