"""REST API for what works and for content recycling: what distinguishes the top posts, the
past top performers worth posting again, and putting a refreshed copy of one in the queue.

Business-scoped like every insight: viewers read, editors queue; another business's post is
a 404."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from growth_manager.analytics import queries
from growth_manager.analytics.schemas import PeriodOut
from growth_manager.analytics.views import Platforms, Since, Until, checked, zone_of
from growth_manager.auth.dependencies import DbSession
from growth_manager.business.access import BusinessEditor, BusinessViewer
from growth_manager.idempotency import IdempotencyKey, fingerprint, once
from growth_manager.insights import posts, recycling, works
from growth_manager.kit.clock import utcnow
from growth_manager.publishing.endpoints import composed_out
from growth_manager.publishing.schemas import PostOut

router = APIRouter(prefix="/api/v1", tags=["insights"])

MULTIPLE = (
    "A performance multiple is a post's engagement over its account's median in the same "
    "selection (engagement rate, or interactions per follower for accounts without "
    "impressions): 1.0 is that account's usual, so accounts of any size compare fairly."
)


class FindingOut(BaseModel):
    feature: str = Field(
        description="media, media_kind, length, hashtags, hashtag_count, hashtag, link, "
        "question, weekday, hour_band or topic."
    )
    value: str = Field(
        description="Group A's bucket, kind, tag, day, band or topic (`present` for yes/no)."
    )
    group_a: str = Field(description="Who group A is, in words.")
    group_b: str = Field(description="Who group A is compared with.")
    n_a: int = Field(description="Posts in group A.")
    n_b: int = Field(description="Posts in group B.")
    median_a: float = Field(description="Group A's median performance multiple.")
    median_b: float = Field(description="Group B's median performance multiple.")
    ratio: float = Field(description="median_a / median_b.")
    statement: str = Field(description="The finding in plain words, with its numbers.")


class WhatWorksOut(BaseModel):
    business_id: int
    period: PeriodOut
    platforms: list[str] = Field(description="The platforms included (empty: all).")
    posts: int = Field(description="Posts published in the period.")
    rated_posts: int = Field(description="Of them, the posts with a performance multiple.")
    top_quartile_threshold: float | None = Field(
        description="The multiple a post needs to be in the top quarter of the period."
    )
    min_group: int = Field(description="Posts each side of a comparison needs.")
    min_ratio: float = Field(description="The smallest ratio (either way) worth stating.")
    summary: str = Field(description="How many differences stand out, or why none does.")
    findings: list[FindingOut] = Field(description="Strongest first.")
    notes: list[str]


class SuggestionOut(BaseModel):
    remote_post_id: int
    account_id: int
    platform: str
    published_at: datetime
    age_days: int = Field(description="Days since it was published.")
    remote_url: str | None
    media_kind: str | None
    text: str = Field(description="The text as it went out.")
    refreshed_text: str = Field(description="The text a queued copy gets.")
    multiple: float = Field(description="Its performance multiple (its account's usual is 1).")
    engagement_rate: float | None


class RecyclingOut(BaseModel):
    business_id: int
    platforms: list[str]
    min_age_days: int
    repost_window_days: int
    min_multiple: float
    considered: int = Field(description="Top performers old enough to recycle.")
    time_bound: int = Field(description="Of them, left out as tied to a date, offer or event.")
    reposted: int = Field(description="Of them, left out as reposted or queued lately.")
    suggestions: list[SuggestionOut] = Field(description="Best multiple first.")
    notes: list[str]


class QueuedOut(BaseModel):
    post: PostOut = Field(description="The scheduled post (one target: the same account).")
    slot: datetime = Field(description="The queue slot it takes, UTC.")
    source_remote_post_id: int
    notes: list[str]


def finding_out(finding: works.Finding) -> FindingOut:
    return FindingOut(
        feature=finding.feature,
        value=finding.value,
        group_a=finding.group_a,
        group_b=finding.group_b,
        n_a=finding.n_a,
        n_b=finding.n_b,
        median_a=finding.median_a,
        median_b=finding.median_b,
        ratio=finding.ratio,
        statement=finding.statement,
    )


def suggestion_out(item: recycling.Suggestion) -> SuggestionOut:
    fact = item.fact
    return SuggestionOut(
        remote_post_id=fact.remote_post_id,
        account_id=fact.account_id,
        platform=fact.platform,
        published_at=fact.published_at,
        age_days=item.age_days,
        remote_url=fact.remote_url,
        media_kind=fact.media_kind,
        text=fact.text,
        refreshed_text=item.refreshed_text,
        multiple=item.multiple,
        engagement_rate=fact.engagement_rate,
    )


@router.get(
    "/businesses/{business_id}/insights/what-works",
    response_model=WhatWorksOut,
    summary="What distinguishes the top posts",
    description="For media (and each kind), length, hashtags (any, how many, each tag used on "
    f"{works.MIN_GROUP}+ posts), links, questions, weekday and hour band (business time zone) "
    "and strategy topic: the median performance multiple of the posts with the feature against "
    f"those without. Stated only with {works.MIN_GROUP}+ posts on each side and a ratio of "
    f"{works.MIN_RATIO}× or more either way; strongest first. {MULTIPLE} Default period: the "
    "last 90 days.",
    responses={422: {"description": "A date or platform that can't be read: which, and why."}},
)
def what_works_endpoint(
    access: BusinessViewer,
    session: DbSession,
    since: Since = None,
    until: Until = None,
    platforms: Platforms = None,
) -> WhatWorksOut:
    zone = zone_of(access)
    period = checked(queries.parse_period, since, until, zone, utcnow(), 90)
    only = checked(queries.parse_platforms, platforms)
    facts = posts.load(session, access.business.id, period, platforms=only)
    result = works.analyse(facts, zone, works.strategy_topics(session, access.business.id))
    return WhatWorksOut(
        business_id=access.business.id,
        period=PeriodOut(since=period.since, until=period.until),
        platforms=only,
        posts=result.posts,
        rated_posts=result.rated_posts,
        top_quartile_threshold=result.top_quartile_threshold,
        min_group=works.MIN_GROUP,
        min_ratio=works.MIN_RATIO,
        summary=result.summary,
        findings=[finding_out(f) for f in result.findings],
        notes=result.notes,
    )


MinAge = Annotated[
    int,
    Query(ge=0, le=3650, description="Only posts published at least this many days ago."),
]
Window = Annotated[
    int,
    Query(
        ge=0,
        le=3650,
        description="Leave out posts a nearly identical copy of which went out (or is planned) "
        "for the same account within this many days.",
    ),
]


@router.get(
    "/businesses/{business_id}/insights/recycling",
    response_model=RecyclingOut,
    summary="Content worth posting again",
    description="Past top performers (a multiple of at least `min_multiple` over all the "
    "account's synced posts) that are evergreen (no date, weekday or relative time, sale or "
    "limited offer, or wording about an event that is over), older than `min_age_days`, and "
    "not reposted (nor queued) for the same account within `repost_window_days` (nearly the "
    f"same text: similarity ≥ {recycling.SIMILAR}). Best multiple first, with the refreshed "
    f"text a queued copy would get. {MULTIPLE}",
    responses={422: {"description": "A platform or number that can't be read: which, and why."}},
)
def recycling_endpoint(
    access: BusinessViewer,
    session: DbSession,
    platforms: Platforms = None,
    min_age_days: MinAge = recycling.MIN_AGE_DAYS,
    repost_window_days: Window = recycling.REPOST_WINDOW_DAYS,
    min_multiple: Annotated[
        float, Query(gt=0, le=100, description="The smallest performance multiple.")
    ] = recycling.MIN_MULTIPLE,
    limit: Annotated[int, Query(ge=1, le=100, description="Most suggestions.")] = recycling.LIMIT,
) -> RecyclingOut:
    only = checked(queries.parse_platforms, platforms)
    result = recycling.suggest(
        session,
        access.business.id,
        utcnow(),
        platforms=only,
        min_age_days=min_age_days,
        repost_window_days=repost_window_days,
        min_multiple=min_multiple,
        limit=limit,
    )
    return RecyclingOut(
        business_id=access.business.id,
        platforms=only,
        min_age_days=min_age_days,
        repost_window_days=repost_window_days,
        min_multiple=min_multiple,
        considered=result.considered,
        time_bound=result.time_bound,
        reposted=result.reposted,
        suggestions=[suggestion_out(s) for s in result.suggestions],
        notes=result.notes,
    )


def queued_out(session: Any, queued: recycling.Queued) -> dict[str, Any]:
    return QueuedOut(
        post=composed_out(session, queued.composed),
        slot=queued.slot,
        source_remote_post_id=queued.source.remote_post_id,
        notes=list(queued.composed.notes),
    ).model_dump(mode="json")


@router.post(
    "/businesses/{business_id}/insights/recycling/{remote_post_id}/queue",
    status_code=status.HTTP_201_CREATED,
    response_model=QueuedOut,
    summary="Queue a refreshed copy",
    description="Creates a post for the same account with the refreshed text (and the "
    "original's media when it was published through the product) at the account's next free "
    "queue slot, through the publishing service. A nearly identical post of the account "
    "already queued or published within `repost_window_days` is a 409, so a double click "
    "queues once. Needs the editor role. Honours `Idempotency-Key`.",
    responses={
        403: {"description": "Viewers can't queue posts."},
        404: {"description": "No such synced post in this business, or its account is gone."},
        409: {"description": "Already queued or reposted lately; or the Idempotency-Key clash."},
        422: {"description": "The copy breaks a platform rule, or the account has no slots."},
    },
)
def queue_endpoint(
    remote_post_id: int,
    request: Request,
    access: BusinessEditor,
    session: DbSession,
    repost_window_days: Window = recycling.REPOST_WINDOW_DAYS,
    key: IdempotencyKey = None,
) -> JSONResponse:
    def produce() -> tuple[int, dict[str, Any]]:
        queued = recycling.queue_copy(
            session, access, remote_post_id, utcnow(), repost_window_days=repost_window_days
        )
        return 201, queued_out(session, queued)

    body = {"repost_window_days": repost_window_days}
    return once(
        session,
        access.user.id,
        key,
        fingerprint(request.method, request.url.path, body),
        produce,
    )
