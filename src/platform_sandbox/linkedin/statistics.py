"""api.linkedin.com statistics: organization share and follower statistics, network sizes and
member post analytics, all from the audience model."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_sandbox import audience
from platform_sandbox.linkedin import common, errors, rest, restli
from platform_sandbox.linkedin.common import Caller
from platform_sandbox.linkedin.models import LiOrganization, LiPost
from platform_sandbox.platform import SandboxContext, context

router = APIRouter(route_class=common.LinkedInRoute)

STATS_WINDOW = timedelta(days=365)
ORG_ADMIN = {"rw_organization_admin"}


def _time_intervals(request: Request, at: datetime) -> list[tuple[datetime, datetime]] | None:
    raw = restli.raw_query_params(request.url.query).get("timeIntervals")
    if not raw:
        return None
    try:
        value = restli.parse(raw[0])
        if not isinstance(value, dict):
            raise restli.RestliSyntaxError("timeIntervals must be a record")
        time_range = value.get("timeRange")
        if not isinstance(time_range, dict):
            raise restli.RestliSyntaxError("timeIntervals.timeRange is required")
        start = common.from_ms(int(time_range["start"]))
        end = common.from_ms(int(time_range["end"])) if "end" in time_range else at
        granularity = value.get("timeGranularityType", "DAY")
    except (restli.RestliSyntaxError, KeyError, ValueError, TypeError) as exc:
        raise errors.bad_request(f"Invalid value for param: timeIntervals ({exc})") from exc
    steps = {"DAY": timedelta(days=1), "WEEK": timedelta(days=7)}
    if granularity not in steps or end <= start:
        raise errors.bad_request("Invalid value for param: timeIntervals")
    step = steps[str(granularity)]
    buckets: list[tuple[datetime, datetime]] = []
    cursor = start
    # Statistics cover a rolling 12 months and nothing after now.
    while cursor < end and cursor < at:
        bucket_end = min(cursor + step, end)
        if bucket_end > at - STATS_WINDOW:
            buckets.append((cursor, bucket_end))
        cursor = cursor + step
    return buckets


def _org_param(request: Request) -> tuple[str, int]:
    if request.query_params.get("q") != "organizationalEntity":
        raise errors.bad_request("Missing or invalid finder: q")
    urn = request.query_params.get("organizationalEntity", "")
    org_id = common.organization_id_of(urn)
    if org_id is None:
        raise errors.bad_request("Invalid value for param: organizationalEntity")
    return urn, org_id


def _require_org_admin(
    session: Session, caller: Caller, org_id: int, resource: str, version: str
) -> None:
    common.require_any_scope(caller, ORG_ADMIN, resource, "FINDER-organizationalEntity", version)
    if "ADMINISTRATOR" not in common.roles_of(session, caller.member.id, org_id):
        raise errors.unpermitted_field("PARAMETER", "/organizationalEntity")


def _metrics_at(ctx: SandboxContext, posts: list[LiPost], at: datetime) -> audience.PostMetrics:
    return common.sum_metrics([common.metrics_of(ctx, p, at) for p in posts if p.published_at < at])


@router.get("/rest/organizationalEntityShareStatistics")
def share_statistics(request: Request) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = rest.versioned(request, session, ctx, "shareStatistics")
        org_urn, org_id = _org_param(request)
        _require_org_admin(session, caller, org_id, "organizationalEntityShareStatistics", version)
        at = common.now(ctx)
        raw = restli.raw_query_params(request.url.query)
        selected: list[tuple[str, LiPost]] = []
        for param in ("shares", "ugcPosts"):
            for value in raw.get(param, []):
                try:
                    urns = restli.parse_urn_list(value)
                except restli.RestliSyntaxError as exc:
                    raise errors.bad_request(f"Invalid value for param: {param}") from exc
                for index, urn in enumerate(urns):
                    post = session.get(LiPost, urn)
                    expected = "share" if param == "shares" else "ugcPost"
                    if (
                        post is None
                        or post.deleted
                        or post.author != org_urn
                        or not urn.startswith(f"urn:li:{expected}:")
                    ):
                        raise errors.unpermitted_field("PARAMETER", f"/{param}[{index}]")
                    selected.append((expected, post))
        buckets = _time_intervals(request, at)
        elements: list[dict[str, Any]] = []
        if selected:
            for key, post in selected:
                if buckets is None:
                    elements.append(
                        {
                            "organizationalEntity": org_urn,
                            key: post.urn,
                            "totalShareStatistics": common.share_statistics(
                                common.metrics_of(ctx, post, at)
                            ),
                        }
                    )
                    continue
                for start, end in buckets:
                    delta = common.diff_metrics(
                        common.metrics_of(ctx, post, start), common.metrics_of(ctx, post, end)
                    )
                    elements.append(
                        {
                            "organizationalEntity": org_urn,
                            key: post.urn,
                            "timeRange": {
                                "start": common.epoch_ms(start),
                                "end": common.epoch_ms(end),
                            },
                            "totalShareStatistics": common.share_statistics(delta),
                        }
                    )
        else:
            posts = list(
                session.scalars(
                    select(LiPost).where(
                        LiPost.author == org_urn,
                        LiPost.deleted.is_(False),
                        LiPost.published_at > at - STATS_WINDOW,
                    )
                )
            )
            if buckets is None:
                elements.append(
                    {
                        "organizationalEntity": org_urn,
                        "totalShareStatistics": common.share_statistics(
                            _metrics_at(ctx, posts, at)
                        ),
                    }
                )
            else:
                snapshots: dict[datetime, audience.PostMetrics] = {}
                for start, end in buckets:
                    for edge in (start, end):
                        if edge not in snapshots:
                            snapshots[edge] = _metrics_at(ctx, posts, edge)
                    elements.append(
                        {
                            "organizationalEntity": org_urn,
                            "timeRange": {
                                "start": common.epoch_ms(start),
                                "end": common.epoch_ms(end),
                            },
                            "totalShareStatistics": common.share_statistics(
                                common.diff_metrics(snapshots[start], snapshots[end])
                            ),
                        }
                    )
        return JSONResponse({"paging": rest.paging(0, len(elements)), "elements": elements})


_SENIORITIES = [
    (f"urn:li:seniority:{i}", w)
    for i, w in [
        (1, 0.05),
        (2, 0.10),
        (3, 0.30),
        (4, 0.22),
        (5, 0.13),
        (6, 0.08),
        (7, 0.05),
        (8, 0.04),
        (9, 0.02),
        (10, 0.01),
    ]
]
_FUNCTIONS = [
    (f"urn:li:function:{i}", w)
    for i, w in [(1, 0.06), (4, 0.12), (8, 0.18), (13, 0.09), (15, 0.25), (18, 0.10), (25, 0.20)]
]


def _split(total: int, weights: list[tuple[str, float]], key: str) -> list[dict[str, Any]]:
    out = []
    left = total
    for index, (urn, weight) in enumerate(weights):
        n = left if index == len(weights) - 1 else int(total * weight)
        left -= n
        out.append(
            {key: urn, "followerCounts": {"organicFollowerCount": n, "paidFollowerCount": 0}}
        )
    return out


@router.get("/rest/organizationalEntityFollowerStatistics")
def follower_statistics(request: Request) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = rest.versioned(request, session, ctx, "followerStatistics")
        org_urn, org_id = _org_param(request)
        _require_org_admin(
            session, caller, org_id, "organizationalEntityFollowerStatistics", version
        )
        at = common.now(ctx)
        profile = common.profile_of(ctx, org_urn)
        buckets = _time_intervals(request, at)
        elements: list[dict[str, Any]] = []
        if buckets is None:
            followers = audience.followers_at(profile, at)
            employees = max(1, followers // 40)
            elements.append(
                {
                    "followerCountsByAssociationType": [
                        {
                            "followerCounts": {
                                "organicFollowerCount": employees,
                                "paidFollowerCount": 0,
                            },
                            "associationType": "EMPLOYEE",
                        }
                    ],
                    "followerCountsBySeniority": _split(followers, _SENIORITIES, "seniority"),
                    "followerCountsByFunction": _split(followers, _FUNCTIONS, "function"),
                    "followerCountsByIndustry": [],
                    "followerCountsByGeoCountry": [],
                    "followerCountsByGeo": [],
                    "followerCountsByStaffCountRange": [],
                    "organizationalEntity": org_urn,
                }
            )
        else:
            for start, end in buckets:
                gain = audience.followers_at(profile, end) - audience.followers_at(profile, start)
                elements.append(
                    {
                        "timeRange": {"start": common.epoch_ms(start), "end": common.epoch_ms(end)},
                        "followerGains": {"organicFollowerGain": gain, "paidFollowerGain": 0},
                        "organizationalEntity": org_urn,
                    }
                )
        return JSONResponse({"paging": rest.paging(0, len(elements)), "elements": elements})


@router.get("/rest/networkSizes/{urn}")
def network_sizes(request: Request, urn: str) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = rest.versioned(request, session, ctx, "networkSizes")
        common.require_any_scope(
            caller, rest.ORG_SOCIAL_READ | {"w_organization_social"}, "networkSizes", "GET", version
        )
        edge = request.query_params.get("edgeType")
        if edge not in {"COMPANY_FOLLOWED_BY_MEMBER", "CompanyFollowedByMember"}:
            raise errors.bad_request("Invalid value for param: edgeType")
        org_id = common.organization_id_of(urn)
        if org_id is None or session.get(LiOrganization, org_id) is None:
            raise errors.not_found(f"Organization {urn} not found")
        size = audience.followers_at(common.profile_of(ctx, urn), common.now(ctx))
        return JSONResponse({"firstDegreeSize": size})


_QUERY_TYPES = {
    "IMPRESSION": "impressions",
    "MEMBERS_REACHED": "reach",
    "RESHARE": "shares",
    "REACTION": "likes",
    "COMMENT": "comments",
}


@router.get("/rest/memberCreatorPostAnalytics")
def member_post_analytics(request: Request) -> Response:
    """B.4b [uncertain]: request form from memory of the doc; response shape not verified."""
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = rest.versioned(request, session, ctx, "memberCreatorPostAnalytics")
        q = request.query_params.get("q")
        common.require_any_scope(
            caller,
            {"r_member_postAnalytics"},
            "memberCreatorPostAnalytics",
            f"FINDER-{q}",
            version,
        )
        query_type = request.query_params.get("queryType", "")
        if query_type not in _QUERY_TYPES:
            raise errors.bad_request("Invalid value for param: queryType")
        at = common.now(ctx)
        if q == "entity":
            raw = restli.raw_query_params(request.url.query).get("entity", [""])[0]
            try:
                entity = restli.parse(raw)
            except restli.RestliSyntaxError as exc:
                raise errors.bad_request("Invalid value for param: entity") from exc
            urn = next(iter(entity.values()), "") if isinstance(entity, dict) else ""
            post = session.get(LiPost, str(urn))
            if post is None or post.deleted or post.author != caller.person_urn:
                raise errors.unpermitted_field("PARAMETER", "/entity")
            posts = [post]
        elif q == "me":
            posts = list(
                session.scalars(
                    select(LiPost).where(
                        LiPost.author == caller.person_urn, LiPost.deleted.is_(False)
                    )
                )
            )
        else:
            raise errors.bad_request("Missing or invalid finder: q")
        total = _metrics_at(ctx, posts, at)
        count = int(getattr(total, _QUERY_TYPES[query_type]))
        return JSONResponse(
            {
                "paging": rest.paging(0, 1),
                "elements": [{"count": count, "metricType": query_type}],
            }
        )
