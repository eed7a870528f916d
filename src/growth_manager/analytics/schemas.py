"""API shapes of the analytics reads. Rates are fractions (0.042 = 4.2 %); null means "not
available" (the platform did not report what the formula needs), never 0."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from growth_manager.analytics.rates import CLICK_THROUGH_RATE_FORMULA, ENGAGEMENT_RATE_FORMULA

ER = f"Engagement rate, a fraction: {ENGAGEMENT_RATE_FORMULA}."
CTR = f"Click-through rate, a fraction: {CLICK_THROUGH_RATE_FORMULA}."
AGGREGATE = (
    " Over many posts: the sum of the numerators over the sum of the denominators of the posts "
    "where the rate is available."
)


class PeriodOut(BaseModel):
    since: datetime = Field(description="Start of the period (inclusive), UTC.")
    until: datetime = Field(description="End of the period (exclusive), UTC.")


class PeriodTotals(BaseModel):
    posts: int = Field(description="Posts published in the period.")
    impressions: float | None = Field(
        description="Sum of the posts' latest `impressions` (null: none reported)."
    )
    reach: float | None = Field(description="Sum of the posts' latest `reach`.")
    clicks: float | None = Field(description="Sum of the posts' latest `clicks`.")
    video_views: float | None = Field(description="Sum of the posts' latest `video_views`.")
    interactions: float = Field(
        description="Sum of the interactions the engagement rate counts (reactions or likes, "
        "comments, shares, reposts, quotes, saves, bookmarks)."
    )
    engagement_rate: float | None = Field(description=ER + AGGREGATE)
    click_through_rate: float | None = Field(description=CTR + AGGREGATE)
    rated_posts: int = Field(description="Posts whose engagement rate is available.")


class Change(BaseModel):
    posts: float | None = Field(
        description="Relative change in posts vs the previous period (0.1 = +10 %)."
    )
    impressions: float | None = Field(description="Relative change in impressions.")
    interactions: float | None = Field(description="Relative change in interactions.")
    engagement_rate: float | None = Field(
        description="Difference in engagement rate (this period's minus the previous one's)."
    )


class PlatformSummary(BaseModel):
    platform: str = Field(description="Platform key: x, linkedin, facebook, instagram.")
    name: str = Field(description="The platform's display name.")
    accounts: int = Field(description="Accounts of this platform in the business.")
    current: PeriodTotals = Field(description="The requested period.")
    previous: PeriodTotals = Field(
        description="The period of equal length just before the requested one."
    )
    change: Change = Field(description="The requested period compared with the previous one.")
    followers: float | None = Field(
        description="Followers at the end of the period: the sum over the platform's accounts "
        "of each one's last `followers` snapshot before `until` (null: never read)."
    )
    followers_before: float | None = Field(
        description="The same at the start of the period (the end of the previous one)."
    )
    followers_change: float | None = Field(
        description="followers minus followers_before (null when either is unknown)."
    )


class OverviewOut(BaseModel):
    business_id: int = Field(description="The business.")
    period: PeriodOut = Field(description="The requested period.")
    previous_period: PeriodOut = Field(description="The previous period of equal length.")
    platforms: list[PlatformSummary] = Field(description="One entry per platform, in order.")
    totals: PlatformSummary = Field(description="All platforms together (`platform` is `all`).")


class PostMetricsOut(BaseModel):
    id: int = Field(description="The tracked post's id (remote_post_id).")
    platform: str = Field(description="Platform key.")
    account_id: int = Field(description="The social account that published it.")
    account: str | None = Field(description="The account's @username or name.")
    remote_id: str = Field(description="The platform's id of the post.")
    url: str | None = Field(description="The post on the platform.")
    post_id: int | None = Field(
        description="The product's post, when published from here (null: imported)."
    )
    post_url: str | None = Field(description="The post's page in the dashboard, when ours.")
    imported: bool = Field(description="Found on the account at import, not published here.")
    text: str = Field(description="The post's text.")
    media_kind: str | None = Field(description="image, video, carousel, or null (text only).")
    published_at: datetime = Field(description="When it went out, UTC.")
    last_synced_at: datetime | None = Field(description="When its numbers were last read.")
    gone_reason: str | None = Field(description="Why the platform no longer answers for it.")
    metrics: dict[str, float] = Field(
        description="The latest value of each metric the platform reported (keys from the "
        "metric vocabulary: likes, comments, shares, impressions, reach, clicks, …)."
    )
    interactions: float | None = Field(description="The engagement rate's numerator.")
    engagement_rate: float | None = Field(description=ER)
    click_through_rate: float | None = Field(description=CTR)


class PostListOut(BaseModel):
    items: list[PostMetricsOut] = Field(description="The page of posts.")
    total: int = Field(description="Posts matching the filters (all pages).")
    limit: int = Field(description="Page size.")
    offset: int = Field(description="Posts skipped.")
    sort: str = Field(description="The sort key used.")
    order: str = Field(description="asc or desc.")


class Provenance(BaseModel):
    source_field: str = Field(
        description="The platform's own field, e.g. `public_metrics.like_count`."
    )
    api_version: str = Field(description="The API version that answered, e.g. `2`, `v23.0`.")
    captured_at: datetime = Field(description="The moment the value describes, UTC.")


class MetricNow(BaseModel):
    metric: str = Field(description="Metric key.")
    label: str = Field(description="What the metric means.")
    value: float = Field(description="The latest value.")
    provenance: Provenance = Field(description="Where the latest value came from.")


class SeriesPoint(BaseModel):
    at: datetime = Field(description="captured_at of the snapshot, UTC.")
    value: float = Field(description="The value then.")
    source_field: str = Field(description="The platform's own field.")
    api_version: str = Field(description="The API version that answered.")


class Series(BaseModel):
    metric: str = Field(description="Metric key.")
    label: str = Field(description="What the metric means.")
    points: list[SeriesPoint] = Field(description="Oldest first.")


class PostDetailOut(BaseModel):
    post: PostMetricsOut = Field(description="The post and its latest numbers.")
    metrics: list[MetricNow] = Field(
        description="The latest snapshot of each metric, with its provenance."
    )
    series: list[Series] = Field(description="Every snapshot of each metric, oldest first.")


class AccountSeriesOut(BaseModel):
    account_id: int = Field(description="The social account.")
    platform: str = Field(description="Platform key.")
    account: str = Field(description="The account's @username or name.")
    period: PeriodOut = Field(description="The requested period.")
    series: list[Series] = Field(description="One series per metric, oldest point first.")
