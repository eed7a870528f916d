"""REST API for analytics reads: a period's overview per platform, the posts with their latest
numbers (JSON or CSV), one post's numbers with provenance and history, an account's series.

Every route is scoped by the business in the path (viewers may read); a post or account of
another business is a 404. Reads only: syncing is the sync endpoints' business."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from growth_manager.analytics import queries, rates
from growth_manager.analytics.queries import Period, PlatformOverview, PostRow, QueryError, Totals
from growth_manager.analytics.schemas import (
    CTR,
    ER,
    AccountSeriesOut,
    Change,
    MetricNow,
    OverviewOut,
    PeriodOut,
    PeriodTotals,
    PlatformSummary,
    PostDetailOut,
    PostListOut,
    PostMetricsOut,
    Provenance,
    Series,
    SeriesPoint,
)
from growth_manager.auth.dependencies import DbSession
from growth_manager.business.access import BusinessViewer
from growth_manager.errors import InvalidInput, NotFound
from growth_manager.kit.clock import utcnow
from growth_manager.models.analytics import MetricSnapshot
from growth_manager.providers.base import METRICS

router = APIRouter(prefix="/api/v1", tags=["analytics"])

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
    422: {"description": "A date, platform, metric or sort that can't be read: which, and why."},
}

# --- common query parameters ----------------------------------------------------------------
Since = Annotated[
    str | None,
    Query(
        description="Start: a date (in the business's time zone) or an instant with an "
        "offset, e.g. 2026-11-01 or 2026-11-01T00:00:00Z. Default: 30 days before `until`."
    ),
]
Until = Annotated[
    str | None,
    Query(
        description="End: a date (that whole day is included) or an instant (excluded). "
        "Default: now."
    ),
]
Platforms = Annotated[
    list[str] | None,
    Query(description="Platforms to include (repeat or comma-separate): x, linkedin, …"),
]
Format = Annotated[
    str | None,
    Query(description="`csv` for a CSV file (or send `Accept: text/csv`); default JSON."),
]


def zone_of(access: Any) -> ZoneInfo:
    try:
        return ZoneInfo(access.business.timezone or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def checked(action: Any, *args: Any, **kwargs: Any) -> Any:
    """Runs a parser, turning its complaint into the API's 422."""
    try:
        return action(*args, **kwargs)
    except QueryError as error:
        raise InvalidInput(str(error)) from error


def wants_csv(request: Request, format_: str | None) -> bool:
    if format_ is not None:
        if format_ not in ("csv", "json"):
            raise InvalidInput(f"format must be csv or json; got {format_!r}.")
        return format_ == "csv"
    return "text/csv" in request.headers.get("accept", "")


def csv_response(header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # never a formula in a spreadsheet
    return value


# --- shaping --------------------------------------------------------------------------------
def totals_out(totals: Totals) -> PeriodTotals:
    return PeriodTotals(
        posts=totals.posts,
        impressions=totals.sums.get("impressions"),
        reach=totals.sums.get("reach"),
        clicks=totals.sums.get("clicks"),
        video_views=totals.sums.get("video_views"),
        interactions=totals.interactions,
        engagement_rate=totals.engagement_rate,
        click_through_rate=totals.click_through_rate,
        rated_posts=totals.rated_posts,
    )


def change_out(now: Totals, before: Totals) -> Change:
    er_now, er_before = now.engagement_rate, before.engagement_rate
    return Change(
        posts=rates.change(float(now.posts), float(before.posts)),
        impressions=rates.change(now.sums.get("impressions"), before.sums.get("impressions")),
        interactions=rates.change(now.interactions, before.interactions),
        engagement_rate=None if er_now is None or er_before is None else er_now - er_before,
    )


def summary_out(item: PlatformOverview) -> PlatformSummary:
    return PlatformSummary(
        platform=item.platform,
        name=queries.platform_name(item.platform),
        accounts=len(item.accounts),
        current=totals_out(item.current),
        previous=totals_out(item.previous),
        change=change_out(item.current, item.previous),
        followers=item.followers,
        followers_before=item.followers_before,
        followers_change=item.followers_change,
    )


def all_platforms(items: Sequence[PlatformOverview]) -> PlatformOverview:
    current, previous = Totals(), Totals()
    for item in items:
        current.add(item.current)
        previous.add(item.previous)
    return PlatformOverview(
        platform="all",
        accounts=[a for item in items for a in item.accounts],
        current=current,
        previous=previous,
        followers=queries.sum_known(i.followers for i in items),
        followers_before=queries.sum_known(i.followers_before for i in items),
    )


def period_out(period: Period) -> PeriodOut:
    return PeriodOut(since=period.since, until=period.until)


def metrics_of(latest: Any) -> dict[str, float]:
    values = queries.mapping_of(latest)
    found = {}
    for key in values:
        if key in METRICS:
            number = rates.number(values, key)
            if number is not None:
                found[key] = number
    return found


def post_out(row: PostRow, business_id: int) -> PostMetricsOut:
    post = row.post
    values = queries.mapping_of(post.latest)
    return PostMetricsOut(
        id=post.id,
        platform=post.platform,
        account_id=post.social_account_id,
        account=queries.account_label(row.account) if row.account else None,
        remote_id=post.remote_id,
        url=post.remote_url,
        post_id=row.post_id,
        post_url=f"/businesses/{business_id}/posts/{row.post_id}" if row.post_id else None,
        imported=post.imported,
        text=post.text,
        media_kind=post.media_kind,
        published_at=post.published_at,
        last_synced_at=post.last_synced_at,
        gone_reason=post.gone_reason,
        metrics=metrics_of(values),
        interactions=rates.interactions(values),
        engagement_rate=rates.engagement_rate(values),
        click_through_rate=rates.click_through_rate(values),
    )


def provenance(snapshot: MetricSnapshot) -> Provenance:
    return Provenance(
        source_field=snapshot.source_field,
        api_version=snapshot.api_version,
        captured_at=snapshot.captured_at,
    )


def series_of(rows: Iterable[MetricSnapshot]) -> list[Series]:
    grouped: dict[str, list[SeriesPoint]] = {}
    for row in rows:
        grouped.setdefault(row.metric, []).append(
            SeriesPoint(
                at=row.captured_at,
                value=row.value,
                source_field=row.source_field,
                api_version=row.api_version,
            )
        )
    return [
        Series(metric=metric, label=METRICS.get(metric, metric), points=points)
        for metric, points in grouped.items()
    ]


def series_csv(series: list[Series], filename: str) -> Response:
    return csv_response(
        ["metric", "captured_at", "value", "source_field", "api_version"],
        (
            [s.metric, p.at, p.value, p.source_field, p.api_version]
            for s in series
            for p in s.points
        ),
        filename,
    )


# --- routes ---------------------------------------------------------------------------------
@router.get(
    "/businesses/{business_id}/analytics/overview",
    response_model=OverviewOut,
    summary="Analytics overview",
    description="Per platform: accounts, posts published in the period, the sums of their "
    "latest numbers, the engagement rate and click-through rate, followers at the end of the "
    "period and their change since its start, and the same for the previous period of equal "
    f"length; `totals` adds the platforms together. {ER} {CTR}",
    responses={422: CSV_RESPONSE[422]},
)
def overview_endpoint(
    access: BusinessViewer,
    session: DbSession,
    since: Since = None,
    until: Until = None,
    platforms: Platforms = None,
) -> OverviewOut:
    period = checked(queries.parse_period, since, until, zone_of(access), utcnow())
    only = checked(queries.parse_platforms, platforms)
    items = queries.overview(session, access.business.id, period, only)
    return OverviewOut(
        business_id=access.business.id,
        period=period_out(period),
        previous_period=period_out(period.previous),
        platforms=[summary_out(i) for i in items],
        totals=summary_out(all_platforms(items)),
    )


POST_COLUMNS = ("published_at", "platform", "account", "url", "text")


@router.get(
    "/businesses/{business_id}/analytics/posts",
    response_model=PostListOut,
    summary="Posts with their numbers",
    description="Posts published in the period (imported ones and ours, which link to their "
    "page), with their latest numbers and rates. `sort` is `published_at`, `platform`, "
    "`last_synced_at`, `engagement_rate`, `click_through_rate`, `interactions` or a metric "
    "(`impressions`, `likes`, …); posts without the value come last either way. "
    f"`format=csv` (or `Accept: text/csv`) returns every matching post as CSV. {ER} {CTR}",
    responses=CSV_RESPONSE,
)
def posts_endpoint(
    request: Request,
    access: BusinessViewer,
    session: DbSession,
    since: Since = None,
    until: Until = None,
    platforms: Platforms = None,
    sort: Annotated[str, Query(description="Sort key (see above).")] = "published_at",
    order: Annotated[str, Query(description="asc or desc.")] = "desc",
    limit: Annotated[int, Query(ge=1, le=500, description="Page size (JSON).")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Posts to skip.")] = 0,
    account_id: Annotated[int | None, Query(ge=1, description="Only this account's posts.")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Only posts whose text contains this.")
    ] = None,
    format: Format = None,
) -> Any:
    period = checked(queries.parse_period, since, until, zone_of(access), utcnow(), 30)
    only = checked(queries.parse_platforms, platforms)
    sort_key, descending = checked(queries.parse_sort, sort, order)
    as_csv = wants_csv(request, format)
    rows, total = queries.posts(
        session,
        access.business.id,
        period,
        only,
        sort=sort_key,
        descending=descending,
        limit=None if as_csv else limit,
        offset=0 if as_csv else offset,
        account_id=account_id,
        search=q,
    )
    items = [post_out(r, access.business.id) for r in rows]
    if as_csv:
        return csv_response(
            [
                "id",
                "published_at",
                "platform",
                "account",
                "url",
                "post_url",
                "imported",
                "text",
                *queries.POST_METRICS,
                "interactions",
                "engagement_rate",
                "click_through_rate",
                "last_synced_at",
            ],
            (
                [
                    i.id,
                    i.published_at,
                    i.platform,
                    i.account,
                    i.url,
                    i.post_url,
                    i.imported,
                    i.text,
                    *(i.metrics.get(m) for m in queries.POST_METRICS),
                    i.interactions,
                    i.engagement_rate,
                    i.click_through_rate,
                    i.last_synced_at,
                ]
                for i in items
            ),
            f"posts-{access.business.id}.csv",
        )
    return PostListOut(
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        sort=sort_key,
        order="desc" if descending else "asc",
    )


@router.get(
    "/businesses/{business_id}/analytics/posts/{remote_post_id}",
    response_model=PostDetailOut,
    summary="A post's numbers, provenance and history",
    description="The post's latest value of each metric with where it came from (the "
    "platform's field, the API version, and when it was captured: the latest snapshot of "
    "the metric), and every snapshot of each metric over time. `format=csv` (or "
    "`Accept: text/csv`) returns the history as CSV: metric, captured_at, value, "
    "source_field, api_version.",
    responses={**CSV_RESPONSE, 404: {"description": "No such post in this business."}},
)
def post_endpoint(
    remote_post_id: int,
    request: Request,
    access: BusinessViewer,
    session: DbSession,
    format: Format = None,
) -> Any:
    as_csv = wants_csv(request, format)
    row = queries.remote_post(session, access.business.id, remote_post_id)
    if row is None:
        raise NotFound(f"Post {remote_post_id} was not found in this business.")
    history = queries.post_history(session, remote_post_id)
    series = series_of(history)
    if as_csv:
        return series_csv(series, f"post-{remote_post_id}.csv")
    latest = queries.latest_snapshots(session, [remote_post_id]).get(remote_post_id, {})
    return PostDetailOut(
        post=post_out(row, access.business.id),
        metrics=[
            MetricNow(
                metric=metric,
                label=METRICS.get(metric, metric),
                value=snapshot.value,
                provenance=provenance(snapshot),
            )
            for metric, snapshot in sorted(latest.items(), key=lambda kv: _metric_order(kv[0]))
        ],
        series=series,
    )


def _metric_order(metric: str) -> int:
    keys = list(METRICS)
    return keys.index(metric) if metric in keys else len(keys)


@router.get(
    "/businesses/{business_id}/analytics/accounts/{account_id}/series",
    response_model=AccountSeriesOut,
    summary="An account's numbers over time",
    description="The account-level snapshots (followers, follower_gain, impressions, reach, "
    "page_views, …) captured in the period, one series per metric, each point with its "
    "platform field and API version. `metrics` narrows them (repeat or comma-separate). "
    "`format=csv` (or `Accept: text/csv`) returns metric, captured_at, value, source_field, "
    "api_version.",
    responses={**CSV_RESPONSE, 404: {"description": "No such account in this business."}},
)
def account_series_endpoint(
    account_id: int,
    request: Request,
    access: BusinessViewer,
    session: DbSession,
    metrics: Annotated[
        list[str] | None, Query(description="Metrics to include; default all.")
    ] = None,
    since: Since = None,
    until: Until = None,
    format: Format = None,
) -> Any:
    period = checked(queries.parse_period, since, until, zone_of(access), utcnow(), 90)
    wanted = checked(queries.parse_metrics, metrics)
    as_csv = wants_csv(request, format)
    account = next(
        (a for a in queries.accounts_of(session, access.business.id) if a.id == account_id),
        None,
    )
    if account is None:
        raise NotFound(f"Account {account_id} was not found in this business.")
    series = series_of(queries.account_history(session, [account_id], wanted, period))
    if as_csv:
        return series_csv(series, f"account-{account_id}.csv")
    return AccountSeriesOut(
        account_id=account.id,
        platform=account.platform,
        account=queries.account_label(account),
        period=period_out(period),
        series=series,
    )
