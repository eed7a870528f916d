"""REST API of competitors: list, add (read at once, so the numbers show immediately), remove,
and the side-by-side comparison under insights. Editors add and remove; viewers read; a
business you are not a member of is a 404."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from growth_manager.analytics import queries
from growth_manager.analytics.views import Platforms, Since, Until, checked, period_out, zone_of
from growth_manager.auth.dependencies import DbSession, settings_of
from growth_manager.business.access import BusinessEditor, BusinessViewer
from growth_manager.competitors import comparison, service
from growth_manager.competitors.schemas import (
    ComparisonOut,
    ComparisonRowOut,
    CompetitorIn,
    CompetitorListOut,
    CompetitorOut,
    PlatformSupportOut,
    SnapshotOut,
)
from growth_manager.competitors.sync import CompetitorSyncer
from growth_manager.db import Database, calls_platform
from growth_manager.kit.clock import utcnow
from growth_manager.models.competitors import Competitor, CompetitorSnapshot

router = APIRouter(prefix="/api/v1", tags=["competitors"])

NOT_YOURS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No business of yours has this id (or no such competitor)."}
}


def competitor_out(competitor: Competitor, snapshot: CompetitorSnapshot | None) -> CompetitorOut:
    return CompetitorOut(
        id=competitor.id,
        platform=competitor.platform,
        handle=competitor.handle,
        display_name=competitor.display_name,
        remote_id=competitor.remote_id,
        status=competitor.status,
        status_message=competitor.status_message,
        added_by=competitor.added_by_id,
        created_at=competitor.created_at,
        last_synced_at=competitor.last_synced_at,
        deferred_until=competitor.deferred_until,
        latest=(
            SnapshotOut(
                captured_at=snapshot.captured_at,
                followers=snapshot.followers,
                following=snapshot.following,
                posts_count=snapshot.posts_count,
                posts_30d=snapshot.posts_30d,
                mean_interactions=snapshot.mean_interactions,
                median_interactions=snapshot.median_interactions,
            )
            if snapshot is not None
            else None
        ),
    )


def platforms_out() -> list[PlatformSupportOut]:
    return [PlatformSupportOut(**vars(s)) for s in service.support()]


@router.get(
    "/businesses/{business_id}/competitors",
    response_model=CompetitorListOut,
    summary="Competitors",
    description="The public accounts this business compares itself with, each with the "
    "outcome of its last read and its latest numbers, and every platform with whether "
    "competitors can be read there (and why not: LinkedIn offers no read of other "
    "organizations to this kind of app; Facebook needs Page Public Content Access).",
    responses=NOT_YOURS,
)
def list_competitors(access: BusinessViewer, session: DbSession) -> CompetitorListOut:
    return CompetitorListOut(
        business_id=access.business.id,
        competitors=[competitor_out(c, s) for c, s in service.listed(session, access.business.id)],
        platforms=platforms_out(),
    )


@router.post(
    "/businesses/{business_id}/competitors",
    response_model=CompetitorOut,
    status_code=201,
    summary="Add a competitor",
    description="Adds a public account by platform and handle and reads it at once through "
    "the business's connected account of that platform; the answer has its status (a handle "
    "that is not there, a personal or protected account say so) and first numbers. Read "
    "daily from then on. 422: an unknown or unsupported platform, a handle that is not valid "
    "there, or no connected account to read through; 409: already listed.",
    responses={
        **NOT_YOURS,
        409: {"description": "This handle is already listed on this platform."},
        422: {"description": "What to fix: the platform or the handle."},
    },
)
@calls_platform
def add_competitor(
    request: Request, access: BusinessEditor, session: DbSession, body: CompetitorIn
) -> CompetitorOut:
    database: Database = request.app.state.database
    with database.session() as writing:
        competitor_id = service.add(
            writing, access.business.id, body.platform, body.handle, access.user.id
        ).id
    CompetitorSyncer(database, settings_of(request)).sync(competitor_id)
    with database.read_session() as reading:
        competitor = service.get(reading, access.business.id, competitor_id)
        return competitor_out(competitor, service.latest_snapshot(reading, competitor_id))


@router.delete(
    "/businesses/{business_id}/competitors/{competitor_id}",
    status_code=204,
    summary="Remove a competitor",
    description="Removes the competitor and the history of its reads.",
    responses=NOT_YOURS,
)
def remove_competitor(competitor_id: int, access: BusinessEditor, session: DbSession) -> Response:
    service.remove(session, access.business.id, competitor_id)
    return Response(status_code=204)


@router.get(
    "/businesses/{business_id}/insights/competitors",
    response_model=ComparisonOut,
    summary="How you compare with your competitors",
    description="Side by side, per platform where competitors can be read: the business's own "
    "accounts and its competitors with followers, growth over the period (%), posting "
    "frequency (posts per week) and engagement per post (mean interactions, counting on both "
    "sides only the metrics the platform's competitor read reports). Filters: `since`, "
    "`until`, `platforms`.",
    responses={**NOT_YOURS, 422: {"description": "A date or platform that can't be read."}},
)
def compare_endpoint(
    access: BusinessViewer,
    session: DbSession,
    since: Since = None,
    until: Until = None,
    platforms: Platforms = None,
) -> ComparisonOut:
    period = checked(queries.parse_period, since, until, zone_of(access), utcnow())
    only = checked(queries.parse_platforms, platforms)
    rows = comparison.compare(session, access.business.id, period, only)
    return ComparisonOut(
        business_id=access.business.id,
        period=period_out(period),
        rows=[ComparisonRowOut(**vars(r)) for r in rows],
        platforms=platforms_out(),
    )
