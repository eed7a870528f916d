"""REST API for the timing and performance insights: the best time to post per account, posts
relative to the account's usual (top and bottom of a period, or one post), and audience
growth per week. Every route is scoped by the business in the path (viewers may read); an
account or post of another business is a 404, a filter that can't be read a 422."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from growth_manager.analytics import queries
from growth_manager.analytics.schemas import PeriodOut
from growth_manager.analytics.views import Platforms, Since, Until, checked, period_out, zone_of
from growth_manager.auth.dependencies import DbSession
from growth_manager.business.access import BusinessViewer
from growth_manager.errors import NotFound
from growth_manager.insights import besttime, growth, performance
from growth_manager.insights import posts as facts
from growth_manager.insights import tasks as _tasks  # noqa: F401  (registers the import hook)
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.analytics import RemotePost

router = APIRouter(prefix="/api/v1", tags=["insights"])

AccountId = Annotated[
    int | None, Query(ge=1, description="Only this account (one of the business's accounts).")
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such business, account or post for this user."}
}
BAD_FILTER: dict[int | str, dict[str, Any]] = {
    422: {"description": "A date, platform or number that can't be read: which, why."}
}


# --- shapes -------------------------------------------------------------------------------------
class Cell(BaseModel):
    weekday: int = Field(description="0 = Monday … 6 = Sunday, in the business's time zone.")
    hour: int = Field(description="Hour of the day 0–23 in the business's time zone.")
    score: float = Field(description="Smoothed log of posts' engagement relative to the median.")
    multiple: float = Field(description="exp(score): 1.4 = 1.4× the account's median.")
    posts: int = Field(description="Posts published in exactly this hour and weekday.")
    nearby_posts: int = Field(description="Posts within 2 hours and 1 weekday of the cell.")
    effective_posts: float = Field(description="Effective sample size of the smoothed score.")
    confidence: str = Field(description="high (≥ 3 standard errors from usual), medium, low.")


class Slot(BaseModel):
    weekday: int = Field(description="0 = Monday … 6 = Sunday, in the business's time zone.")
    hour: int = Field(description="Start hour (the slot lasts an hour), business time zone.")
    multiple: float | None = Field(
        description="What the posts around it did (that weekday, within an hour): geometric "
        "mean × the median engagement; null for a fallback."
    )
    smoothed_multiple: float | None = Field(
        description="The cell's smoothed multiple, which ranks the slots; null for a fallback."
    )
    posts_around: int = Field(description="Posts that weekday within an hour of the slot.")
    nearby_posts: int = Field(description="Posts within 2 hours and a weekday of the slot.")
    confidence: str | None = Field(description="high, medium or low; null for a fallback.")
    source: str = Field(description="`history` (the account's posts) or `typical` (fallback).")
    explanation: str = Field(description="The slot in words, with the numbers behind it.")


class AccountBestTimes(BaseModel):
    account_id: int
    platform: str
    account: str = Field(description="The account's handle or name.")
    computed_at: datetime = Field(description="When the report was computed.")
    zone: str = Field(description="The time zone of weekdays and hours.")
    sample_size: int = Field(description="Posts with numbers in the last 16 weeks.")
    enough_data: bool = Field(description="False: the recommendations are the fallback.")
    note: str | None = Field(description="Why there is not enough data, when there isn't.")
    recommendations: list[Slot] = Field(description="The top slots, best first.")
    cells: list[Cell] = Field(description="The 168 heatmap cells (empty without posts).")


class BestTimesOut(BaseModel):
    business_id: int
    min_posts: int = Field(description="Posts an account needs before its own data is used.")
    accounts: list[AccountBestTimes]


class PostPerformanceOut(BaseModel):
    remote_post_id: int = Field(description="The synced post (analytics' post id).")
    account_id: int
    platform: str
    published_at: datetime
    text: str
    url: str | None = Field(description="The post on the platform.")
    post_id: int | None = Field(description="The product's post, when published through it.")
    basis: str | None = Field(description="`engagement_rate` or `per_follower`.")
    value: float | None = Field(description="The post's own figure on that basis.")
    baseline: float | None = Field(description="Median of the account's posts before it.")
    baseline_posts: int = Field(description="How many earlier posts the median is over.")
    multiple: float | None = Field(description="value / baseline; null without a baseline.")
    explanation: str = Field(description="The multiple in words.")


class PerformanceOut(BaseModel):
    business_id: int
    period: PeriodOut
    posts_with_multiple: int = Field(description="Posts of the period that have a multiple.")
    top: list[PostPerformanceOut] = Field(description="Highest multiples first.")
    bottom: list[PostPerformanceOut] = Field(description="Lowest multiples first.")


class PostBrief(BaseModel):
    remote_post_id: int
    published_at: datetime
    text: str
    url: str | None
    interactions: float | None = Field(description="Its interactions (engagement numerator).")


class GrowthWeek(BaseModel):
    week_start: datetime = Field(description="Monday 00:00 in the business zone, as UTC.")
    followers_start: float | None = Field(description="Last followers figure before the week.")
    followers_end: float | None = Field(description="Last followers figure in the week.")
    net: float | None = Field(description="Net change: end − start (what snapshots can tell).")
    gained: float | None = Field(description="New followers, where the platform reports them.")
    lost: float | None = Field(description="gained − net, where gains are reported.")
    growth_rate: float | None = Field(description="net / followers_start (0.02 = 2 %).")


class GrowthJump(GrowthWeek):
    posts: list[PostBrief] = Field(description="Posts from 2 days before the week to its end.")


class AccountGrowth(BaseModel):
    account_id: int
    platform: str
    account: str
    followers_start: float | None = Field(description="Followers at the period's start.")
    followers_end: float | None = Field(description="Followers at the period's end.")
    net: float | None = Field(description="Net change over the period.")
    growth_rate: float | None = Field(description="net / followers_start.")
    reports_gains: bool = Field(description="Whether the platform reports new followers.")
    weeks: list[GrowthWeek]
    jumps: list[GrowthJump] = Field(description="The weeks with the largest net change.")


class GrowthOut(BaseModel):
    business_id: int
    period: PeriodOut
    zone: str
    accounts: list[AccountGrowth]


# --- shaping ------------------------------------------------------------------------------------
def performance_out(p: performance.Performance) -> PostPerformanceOut:
    return PostPerformanceOut(
        remote_post_id=p.post.remote_post_id,
        account_id=p.post.account_id,
        platform=p.post.platform,
        published_at=p.post.published_at,
        text=p.post.text,
        url=p.post.remote_url,
        post_id=p.post.post_id,
        basis=p.basis,
        value=p.value,
        baseline=p.baseline,
        baseline_posts=p.baseline_posts,
        multiple=p.multiple,
        explanation=p.explanation,
    )


def business_account(session: Session, business_id: int, account_id: int | None) -> list[int]:
    if account_id is None:
        return []
    account = session.get(SocialAccount, account_id)
    if account is None or account.business_id != business_id:
        raise NotFound("No such account in this business.")
    return [account_id]


def best_times_for(
    session: Session, access: Any, platforms: list[str], account_ids: list[int]
) -> list[AccountBestTimes]:
    zone, now = zone_of(access), utcnow()
    out = []
    for account in facts.accounts(session, access.business.id, platforms, account_ids):
        found = besttime.current(session, account, zone, now)
        out.append(
            AccountBestTimes(
                account_id=account.id,
                platform=account.platform,
                account=queries.account_label(account),
                **found,
            )
        )
    return out


# --- routes -------------------------------------------------------------------------------------
@router.get(
    "/businesses/{business_id}/insights/best-times",
    response_model=BestTimesOut,
    summary="Best time to post",
    description="Per account: a weekday × hour heatmap (business time zone) of engagement "
    "relative to the account's median (0.8 × log engagement rate + 0.2 × log interactions per "
    "follower, kernel-smoothed over neighbouring hours and weekdays), with the posts behind "
    "each cell and a confidence, and the top three slots explained. From the last 16 weeks; "
    f"under {besttime.MIN_POSTS} posts, or with too few posts near the best slot, the "
    "platform's typical windows instead, labelled `typical`, with a note saying "
    "'not enough data'. Reports are refreshed weekly and after each import.",
    responses={**NOT_FOUND, **BAD_FILTER},
)
def best_times_endpoint(
    access: BusinessViewer,
    session: DbSession,
    platforms: Platforms = None,
    account_id: AccountId = None,
) -> BestTimesOut:
    only = checked(queries.parse_platforms, platforms)
    ids = business_account(session, access.business.id, account_id)
    return BestTimesOut(
        business_id=access.business.id,
        min_posts=besttime.MIN_POSTS,
        accounts=best_times_for(session, access, only, ids),
    )


@router.get(
    "/businesses/{business_id}/insights/performance",
    response_model=PerformanceOut,
    summary="Top and bottom posts",
    description="The period's posts ranked by their multiple: the post's engagement rate over "
    f"the median of the {performance.BASELINE_POSTS} posts its account published before it "
    "(interactions per follower where the platform reports no audience). Posts with fewer "
    f"than {performance.MIN_BASELINE} earlier posts have no multiple and are not ranked.",
    responses={**NOT_FOUND, **BAD_FILTER},
)
def performance_endpoint(
    access: BusinessViewer,
    session: DbSession,
    since: Since = None,
    until: Until = None,
    platforms: Platforms = None,
    account_id: AccountId = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Posts in each list.")] = 5,
) -> PerformanceOut:
    period = checked(queries.parse_period, since, until, zone_of(access), utcnow())
    only = checked(queries.parse_platforms, platforms)
    ids = business_account(session, access.business.id, account_id)
    top, bottom, count = performance.ranked(
        session, access.business.id, period, platforms=only, account_ids=ids, limit=limit
    )
    return PerformanceOut(
        business_id=access.business.id,
        period=period_out(period),
        posts_with_multiple=count,
        top=[performance_out(p) for p in top],
        bottom=[performance_out(p) for p in bottom],
    )


@router.get(
    "/businesses/{business_id}/insights/posts/{remote_post_id}/performance",
    response_model=PostPerformanceOut,
    summary="One post against its account's usual",
    description="The post's engagement rate (or interactions per follower) over the median of "
    f"the {performance.BASELINE_POSTS} posts its account published before it. `multiple` is "
    f"null when fewer than {performance.MIN_BASELINE} earlier posts have the figure.",
    responses=NOT_FOUND,
)
def post_performance_endpoint(
    remote_post_id: int, access: BusinessViewer, session: DbSession
) -> PostPerformanceOut:
    remote = session.get(RemotePost, remote_post_id)
    if remote is None or remote.business_id != access.business.id:
        raise NotFound("No such post in this business.")
    found = performance.for_business(
        session, access.business.id, account_ids=[remote.social_account_id]
    )
    if remote_post_id in found:
        return performance_out(found[remote_post_id])
    return PostPerformanceOut(
        remote_post_id=remote.id,
        account_id=remote.social_account_id,
        platform=remote.platform,
        published_at=remote.published_at,
        text=remote.text or "",
        url=remote.remote_url,
        post_id=None,
        basis=None,
        value=None,
        baseline=None,
        baseline_posts=0,
        multiple=None,
        explanation="No usual to compare with yet: too few earlier posts with numbers.",
    )


@router.get(
    "/businesses/{business_id}/insights/growth",
    response_model=GrowthOut,
    summary="Audience growth",
    description="Per account and week (Monday to Monday, business time zone): followers at "
    "the start and end, the net change (all that follower snapshots can tell: gains minus "
    "losses), gained and lost where the platform reports new followers, the growth rate, and "
    "the weeks with the biggest jumps with the posts published around them.",
    responses={**NOT_FOUND, **BAD_FILTER},
)
def growth_endpoint(
    access: BusinessViewer,
    session: DbSession,
    since: Since = None,
    until: Until = None,
    platforms: Platforms = None,
    account_id: AccountId = None,
) -> GrowthOut:
    zone = zone_of(access)
    period = checked(queries.parse_period, since, until, zone, utcnow(), 90)
    only = checked(queries.parse_platforms, platforms)
    ids = business_account(session, access.business.id, account_id)
    found = growth.growth(
        session, access.business.id, period, zone, platforms=only, account_ids=ids
    )
    return GrowthOut(
        business_id=access.business.id,
        period=period_out(period),
        zone=zone.key,
        accounts=[
            AccountGrowth(
                account_id=item["account"].id,
                platform=item["account"].platform,
                account=item["label"],
                followers_start=item["followers_start"],
                followers_end=item["followers_end"],
                net=item["net"],
                growth_rate=item["growth_rate"],
                reports_gains=item["reports_gains"],
                weeks=[GrowthWeek(**w) for w in item["weeks"]],
                jumps=[
                    GrowthJump(
                        **{k: v for k, v in j.items() if k != "posts"},
                        posts=[
                            PostBrief(
                                remote_post_id=p.remote_post_id,
                                published_at=p.published_at,
                                text=p.text,
                                url=p.remote_url,
                                interactions=p.interactions,
                            )
                            for p in j["posts"]
                        ],
                    )
                    for j in item["jumps"]
                ],
            )
            for item in found
        ],
    )
