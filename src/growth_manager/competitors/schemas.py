"""API shapes of competitors and the comparison. Null means "not available" (never read, or
not reported by the platform), never 0."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from growth_manager.analytics.schemas import PeriodOut

STATUS = (
    "`pending` (not read yet), `ok`, `not_found` (no such account, or suspended), "
    "`not_business` (Instagram: no business or creator account by that name; Instagram answers "
    "a personal account and a missing one alike), `protected` (numbers public, posts hidden) "
    "or `unsupported` (the platform offers no such read)."
)


class CompetitorIn(BaseModel):
    platform: str = Field(description="Platform key: `x` or `instagram` (see `platforms`).")
    handle: str = Field(
        min_length=1, max_length=100, description="The account's username, with or without @."
    )


class SnapshotOut(BaseModel):
    captured_at: datetime
    followers: int | None
    following: int | None
    posts_count: int | None = Field(description="Posts the account has published in all.")
    posts_30d: int = Field(description="Posts published in the 30 days before the read.")
    mean_interactions: float | None = Field(
        description="Mean interactions per post of those posts (the metrics the platform's "
        "read reports: X likes, replies, reposts, quotes, bookmarks; Instagram likes, comments)."
    )
    median_interactions: float | None


class CompetitorOut(BaseModel):
    id: int
    platform: str
    handle: str
    display_name: str | None
    remote_id: str | None = Field(description="The account's id on the platform, once found.")
    status: str = Field(description=STATUS)
    status_message: str | None = Field(description="The platform's words, or why it waits.")
    added_by: int | None = Field(description="The user who added it.")
    created_at: datetime
    last_synced_at: datetime | None
    deferred_until: datetime | None = Field(
        description="A read deferred by a rate limit runs again after this."
    )
    latest: SnapshotOut | None = Field(description="The latest read that found the account.")


class PlatformSupportOut(BaseModel):
    platform: str
    display_name: str
    supported: bool
    reason: str = Field(description="What is read and how, or why the platform allows no read.")
    handle_hint: str


class CompetitorListOut(BaseModel):
    business_id: int
    competitors: list[CompetitorOut]
    platforms: list[PlatformSupportOut]


class ComparisonRowOut(BaseModel):
    kind: Literal["own", "competitor"]
    id: int = Field(description="The connected account's id, or the competitor's.")
    platform: str
    name: str
    handle: str | None
    status: str
    followers: int | None = Field(description="Followers read last before the period's end.")
    followers_at_start: int | None = Field(
        description="Followers read last at or before the period's start (or first in it)."
    )
    growth_percent: float | None = Field(
        description="(followers − followers_at_start) / followers_at_start × 100; null with "
        "fewer than two reads."
    )
    posts: int = Field(description="Posts published in the period that are known.")
    posts_per_week: float | None = Field(
        description="posts / weeks of the period covered (a competitor's posts are known from "
        "30 days before its first read)."
    )
    engagement_per_post: float | None = Field(
        description="Mean interactions of those posts, counting on both sides only what the "
        "platform's competitor read reports."
    )
    rated_posts: int = Field(description="Posts behind engagement_per_post.")
    covered_since: datetime | None = Field(
        description="A competitor's posts are known from here on (null: the whole period)."
    )


class ComparisonOut(BaseModel):
    business_id: int
    period: PeriodOut
    rows: list[ComparisonRowOut]
    platforms: list[PlatformSupportOut] = Field(
        description="Every platform and whether competitors can be read there, and why."
    )
