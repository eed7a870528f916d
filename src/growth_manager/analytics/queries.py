"""Reads for the analytics dashboard and API: a period's totals per platform, the posts table,
a post's and an account's history with provenance, and the charts' series.

Built for businesses with 10,000 posts and hundreds of thousands of snapshots:

- Tables, totals and sorting read ``remote_post.latest`` (the current numbers, kept on the
  post) with the ``(business_id, published_at)`` index; sums and sorts run in the database
  through the JSON accessors SQLite and PostgreSQL share. They never scan the history.
- History reads go through the snapshot indexes: ``(remote_post_id, metric, captured_at)`` for
  one post or a page of posts, ``(social_account_id, subject, metric, captured_at)`` for the
  accounts of a business (ids listed, so the index leads).
- "The latest snapshot per metric" is one grouped query per page, never a query per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, null, select
from sqlalchemy.orm import Session

from growth_manager.analytics import rates
from growth_manager.models.accounts import AccountStatus, SocialAccount
from growth_manager.models.analytics import MetricSnapshot, MetricSubject, RemotePost
from growth_manager.models.publishing import PostTarget
from growth_manager.providers.base import METRICS
from growth_manager.providers.registry import descriptor, is_platform, platforms

# Metrics of posts (the others describe accounts), in the order tables show them.
POST_METRICS = (
    "impressions",
    "reach",
    "likes",
    "reactions",
    "comments",
    "shares",
    "reposts",
    "quotes",
    "saves",
    "bookmarks",
    "clicks",
    "profile_clicks",
    "video_views",
    "watch_time",
    "engagements",
)
COMPUTED_SORTS = ("engagement_rate", "click_through_rate", "interactions")
SORTS = ("published_at", "platform", "last_synced_at", *COMPUTED_SORTS, *POST_METRICS)
# What an overview sums over a period's posts.
TOTALED = ("impressions", "reach", "clicks", "video_views", "likes", "comments", "shares")


class QueryError(ValueError):
    """An input the reads cannot answer; the message says what to send instead."""


# --- inputs ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """[since, until): UTC instants."""

    since: datetime
    until: datetime

    @property
    def previous(self) -> Period:
        """The period of equal length just before this one."""
        return Period(self.since - (self.until - self.since), self.since)

    @property
    def days(self) -> float:
        return (self.until - self.since).total_seconds() / 86400


def _moment(raw: str, name: str, zone: ZoneInfo, *, end: bool) -> datetime:
    text = raw.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if end:  # a date as ``until`` includes that whole day
                day += timedelta(days=1)
            return datetime.combine(day, time(0), zone).astimezone(UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise QueryError(
            f"{name} must be a date (2026-11-01) or a date and time with an offset "
            f"(2026-11-01T09:00:00Z); got {raw!r}."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def parse_period(
    since: str | None,
    until: str | None,
    zone: ZoneInfo,
    now: datetime,
    default_days: int = 30,
) -> Period:
    """``since``/``until`` as sent (dates in the business's time zone, ``until`` inclusive, or
    instants), defaulting to the ``default_days`` days before ``now``."""
    end = _moment(until, "until", zone, end=True) if until else now
    start = _moment(since, "since", zone, end=False) if since else end - timedelta(default_days)
    if start >= end:
        raise QueryError(f"since ({start.isoformat()}) must be before until ({end.isoformat()}).")
    if end - start > timedelta(days=3660):
        raise QueryError("The period can be at most ten years long.")
    return Period(start, end)


def parse_platforms(values: Sequence[str] | None) -> list[str]:
    """``platforms`` repeated or comma-separated; 422-worthy error naming the unknown ones."""
    names: list[str] = []
    for value in values or []:
        names += [v.strip().lower() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if not is_platform(n)]
    if unknown:
        raise QueryError(
            f"Unknown platform {', '.join(repr(u) for u in unknown)}: use {', '.join(platforms())}."
        )
    return list(dict.fromkeys(names))


def parse_metrics(values: Sequence[str] | None, allowed: Iterable[str] = METRICS) -> list[str]:
    names: list[str] = []
    for value in values or []:
        names += [v.strip() for v in value.split(",") if v.strip()]
    known = set(allowed)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise QueryError(
            f"Unknown metric {', '.join(repr(u) for u in unknown)}: use {', '.join(sorted(known))}."
        )
    return list(dict.fromkeys(names))


def parse_sort(sort: str, order: str) -> tuple[str, bool]:
    if sort not in SORTS:
        raise QueryError(f"Unknown sort {sort!r}: use {', '.join(SORTS)}.")
    if order not in ("asc", "desc"):
        raise QueryError(f"order must be asc or desc; got {order!r}.")
    return sort, order == "desc"


# --- accounts -------------------------------------------------------------------------------------
def accounts_of(
    session: Session, business_id: int, only: Sequence[str] = ()
) -> list[SocialAccount]:
    """The business's accounts (connected or not: their history stays), platform order."""
    query = select(SocialAccount).where(SocialAccount.business_id == business_id)
    if only:
        query = query.where(SocialAccount.platform.in_(only))
    order = {p: i for i, p in enumerate(platforms())}
    found = list(session.scalars(query.order_by(SocialAccount.id)))
    return sorted(found, key=lambda a: (order.get(a.platform, 99), a.id))


def account_label(account: SocialAccount) -> str:
    return f"@{account.username}" if account.username else account.name


def platform_name(platform: str) -> str:
    return descriptor(platform).display_name if is_platform(platform) else platform


# --- overview -------------------------------------------------------------------------------------
@dataclass
class Totals:
    posts: int = 0
    sums: dict[str, float] = field(default_factory=dict)
    interactions: float = 0.0
    # Numerators and denominators of the rates, over the posts where each rate is available.
    rate_interactions: float = 0.0
    rate_audience: float = 0.0
    ctr_clicks: float = 0.0
    ctr_impressions: float = 0.0
    rated_posts: int = 0

    @property
    def engagement_rate(self) -> float | None:
        return rates.ratio(self.rate_interactions, self.rate_audience)

    @property
    def click_through_rate(self) -> float | None:
        return rates.ratio(self.ctr_clicks, self.ctr_impressions)

    def add(self, other: Totals) -> None:
        self.posts += other.posts
        for key, value in other.sums.items():
            self.sums[key] = self.sums.get(key, 0.0) + value
        self.interactions += other.interactions
        self.rate_interactions += other.rate_interactions
        self.rate_audience += other.rate_audience
        self.ctr_clicks += other.ctr_clicks
        self.ctr_impressions += other.ctr_impressions
        self.rated_posts += other.rated_posts


def _post_filter(query: Any, business_id: int, period: Period | None, only: Sequence[str]) -> Any:
    query = query.where(RemotePost.business_id == business_id)
    if period is not None:
        query = query.where(
            RemotePost.published_at >= period.since, RemotePost.published_at < period.until
        )
    if only:
        query = query.where(RemotePost.platform.in_(only))
    return query


def totals_by_platform(
    session: Session, business_id: int, period: Period, only: Sequence[str] = ()
) -> dict[str, Totals]:
    """One grouped query: each platform's post count, metric sums and rate parts."""
    latest = RemotePost.latest
    top = rates.interactions_sql(latest)
    bottom = rates.audience_sql(latest)
    rated = and_(top.is_not(None), bottom.is_not(None))
    clicks = rates.metric_sql(latest, "clicks")
    impressions = rates.metric_sql(latest, "impressions")
    ctr_ok = and_(clicks.is_not(None), impressions > 0)
    zero = 0.0
    columns = [
        RemotePost.platform,
        func.count(RemotePost.id),
        func.coalesce(func.sum(top), zero),
        func.coalesce(func.sum(_when(rated, top)), zero),
        func.coalesce(func.sum(_when(rated, bottom)), zero),
        func.coalesce(func.sum(_when(ctr_ok, clicks)), zero),
        func.coalesce(func.sum(_when(ctr_ok, impressions)), zero),
        func.count(_when(rated, RemotePost.id)),
        *(func.sum(rates.metric_sql(latest, m)) for m in TOTALED),
    ]
    query = _post_filter(select(*columns), business_id, period, only).group_by(RemotePost.platform)
    found: dict[str, Totals] = {}
    for row in session.execute(query):
        platform, posts, inter, r_top, r_bottom, c_top, c_bottom, rated_posts, *sums = row
        found[platform] = Totals(
            posts=int(posts),
            sums={m: float(v) for m, v in zip(TOTALED, sums, strict=True) if v is not None},
            interactions=float(inter),
            rate_interactions=float(r_top),
            rate_audience=float(r_bottom),
            ctr_clicks=float(c_top),
            ctr_impressions=float(c_bottom),
            rated_posts=int(rated_posts),
        )
    return found


def _when(condition: Any, value: Any) -> Any:
    return case((condition, value), else_=null())


def account_values_at(
    session: Session, account_ids: Sequence[int], metric: str, moment: datetime
) -> dict[int, float]:
    """Each account's last ``metric`` snapshot captured before ``moment`` (one grouped query
    and one join, on the account snapshot index)."""
    if not account_ids:
        return {}
    snap = MetricSnapshot
    last = (
        select(snap.social_account_id, func.max(snap.captured_at).label("at"))
        .where(
            snap.social_account_id.in_(account_ids),
            snap.subject == MetricSubject.account,
            snap.metric == metric,
            snap.captured_at < moment,
        )
        .group_by(snap.social_account_id)
        .subquery()
    )
    query = (
        select(snap.social_account_id, snap.value, snap.id)
        .join(
            last,
            and_(
                snap.social_account_id == last.c.social_account_id,
                snap.captured_at == last.c.at,
            ),
        )
        .where(snap.subject == MetricSubject.account, snap.metric == metric)
        .order_by(snap.id)
    )
    # Two snapshots at the same instant: the one stored last wins.
    return {account_id: float(value) for account_id, value, _ in session.execute(query)}


@dataclass
class PlatformOverview:
    platform: str
    accounts: list[SocialAccount]
    current: Totals
    previous: Totals
    followers: float | None
    followers_before: float | None

    @property
    def followers_change(self) -> float | None:
        if self.followers is None or self.followers_before is None:
            return None
        return self.followers - self.followers_before


def overview(
    session: Session, business_id: int, period: Period, only: Sequence[str] = ()
) -> list[PlatformOverview]:
    """Each platform with accounts or posts: the period's totals, the previous period's, and
    followers at the end of each (summed over the platform's accounts)."""
    accounts = accounts_of(session, business_id, only)
    current = totals_by_platform(session, business_id, period, only)
    previous = totals_by_platform(session, business_id, period.previous, only)
    ids = [a.id for a in accounts]
    now_values = account_values_at(session, ids, "followers", period.until)
    before_values = account_values_at(session, ids, "followers", period.since)
    seen = [a.platform for a in accounts] + list(current) + list(previous)
    order = {p: i for i, p in enumerate(platforms())}
    result = []
    for platform in sorted(set(seen), key=lambda p: order.get(p, 99)):
        mine = [a for a in accounts if a.platform == platform]
        result.append(
            PlatformOverview(
                platform=platform,
                accounts=mine,
                current=current.get(platform, Totals()),
                previous=previous.get(platform, Totals()),
                followers=sum_known(now_values.get(a.id) for a in mine),
                followers_before=sum_known(before_values.get(a.id) for a in mine),
            )
        )
    return result


def sum_known(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


# --- the posts table ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PostRow:
    post: RemotePost
    account: SocialAccount | None
    post_id: int | None  # the product's own post, when we published it


def _sort_column(sort: str) -> Any:
    latest = RemotePost.latest
    if sort == "engagement_rate":
        return rates.engagement_rate_sql(latest)
    if sort == "click_through_rate":
        return rates.click_through_rate_sql(latest)
    if sort == "interactions":
        return rates.interactions_sql(latest)
    if sort in ("published_at", "platform", "last_synced_at"):
        return getattr(RemotePost, sort)
    return rates.metric_sql(latest, sort)


def posts(
    session: Session,
    business_id: int,
    period: Period | None,
    only: Sequence[str] = (),
    *,
    sort: str = "published_at",
    descending: bool = True,
    limit: int | None = 50,
    offset: int = 0,
    account_id: int | None = None,
    search: str | None = None,
) -> tuple[list[PostRow], int]:
    """A page of posts (one query with the account and our post joined) and how many match."""
    base = _post_filter(select(RemotePost.id), business_id, period, only)
    if account_id is not None:
        base = base.where(RemotePost.social_account_id == account_id)
    if search:
        base = base.where(RemotePost.text.ilike(f"%{_like(search)}%", escape="\\"))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    column = _sort_column(sort)
    ordering = column.desc() if descending else column.asc()
    query = (
        select(RemotePost, SocialAccount, PostTarget.post_id)
        .outerjoin(SocialAccount, SocialAccount.id == RemotePost.social_account_id)
        .outerjoin(PostTarget, PostTarget.id == RemotePost.post_target_id)
        .where(RemotePost.id.in_(base))
        .order_by(ordering.nulls_last(), RemotePost.published_at.desc(), RemotePost.id.desc())
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = [PostRow(post, account, post_id) for post, account, post_id in session.execute(query)]
    return rows, total


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def remote_post(session: Session, business_id: int, remote_post_id: int) -> PostRow | None:
    query = (
        select(RemotePost, SocialAccount, PostTarget.post_id)
        .outerjoin(SocialAccount, SocialAccount.id == RemotePost.social_account_id)
        .outerjoin(PostTarget, PostTarget.id == RemotePost.post_target_id)
        .where(RemotePost.id == remote_post_id, RemotePost.business_id == business_id)
    )
    found = session.execute(query).first()
    return PostRow(found[0], found[1], found[2]) if found else None


# --- provenance and history -----------------------------------------------------------------------
def latest_snapshots(
    session: Session, remote_post_ids: Sequence[int]
) -> dict[int, dict[str, MetricSnapshot]]:
    """For each post, its latest snapshot of each metric: one grouped query on the post
    snapshot index, one join."""
    if not remote_post_ids:
        return {}
    snap = MetricSnapshot
    last = (
        select(snap.remote_post_id, snap.metric, func.max(snap.captured_at).label("at"))
        .where(snap.remote_post_id.in_(remote_post_ids))
        .group_by(snap.remote_post_id, snap.metric)
        .subquery()
    )
    query = (
        select(snap)
        .join(
            last,
            and_(
                snap.remote_post_id == last.c.remote_post_id,
                snap.metric == last.c.metric,
                snap.captured_at == last.c.at,
            ),
        )
        .order_by(snap.id)
    )
    found: dict[int, dict[str, MetricSnapshot]] = defaultdict(dict)
    for row in session.scalars(query):
        found[row.remote_post_id or 0][row.metric] = row
    return found


def post_history(
    session: Session, remote_post_id: int, period: Period | None = None
) -> list[MetricSnapshot]:
    query = select(MetricSnapshot).where(MetricSnapshot.remote_post_id == remote_post_id)
    if period is not None:
        query = query.where(
            MetricSnapshot.captured_at >= period.since, MetricSnapshot.captured_at < period.until
        )
    return list(
        session.scalars(
            query.order_by(MetricSnapshot.metric, MetricSnapshot.captured_at, MetricSnapshot.id)
        )
    )


def account_history(
    session: Session,
    account_ids: Sequence[int],
    metrics: Sequence[str],
    period: Period,
) -> list[MetricSnapshot]:
    """Account-level snapshots of ``metrics`` (all when empty) in the period, oldest first."""
    if not account_ids:
        return []
    snap = MetricSnapshot
    query = select(snap).where(
        snap.social_account_id.in_(account_ids),
        snap.subject == MetricSubject.account,
        snap.captured_at >= period.since,
        snap.captured_at < period.until,
    )
    if metrics:
        query = query.where(snap.metric.in_(metrics))
    return list(
        session.scalars(
            query.order_by(snap.social_account_id, snap.metric, snap.captured_at, snap.id)
        )
    )


def one_per_day(
    rows: Iterable[MetricSnapshot], zone: ZoneInfo
) -> dict[tuple[int, str], list[tuple[date, MetricSnapshot]]]:
    """Per (account, metric): the last snapshot of each day in ``zone``, by day."""
    days: dict[tuple[int, str], dict[date, MetricSnapshot]] = defaultdict(dict)
    for row in rows:
        day = row.captured_at.astimezone(zone).date()
        days[(row.social_account_id, row.metric)][day] = row  # rows come oldest first
    return {key: sorted(value.items()) for key, value in days.items()}


# --- chart series ---------------------------------------------------------------------------------
def interactions_by_day(
    session: Session, business_id: int, period: Period, zone: ZoneInfo, only: Sequence[str] = ()
) -> dict[str, dict[date, tuple[float, float]]]:
    """Per platform and publishing day (in ``zone``): the interactions and audience of the
    posts published that day where the engagement rate is available."""
    latest = RemotePost.latest
    top = rates.interactions_sql(latest)
    bottom = rates.audience_sql(latest)
    query = _post_filter(
        select(RemotePost.platform, RemotePost.published_at, top, bottom),
        business_id,
        period,
        only,
    )
    found: dict[str, dict[date, tuple[float, float]]] = defaultdict(dict)
    for platform, published_at, inter, aud in session.execute(query):
        if inter is None or aud is None:
            continue
        day = published_at.astimezone(zone).date()
        old = found[platform].get(day, (0.0, 0.0))
        found[platform][day] = (old[0] + float(inter), old[1] + float(aud))
    return found


def days_of(period: Period, zone: ZoneInfo) -> list[date]:
    first = period.since.astimezone(zone).date()
    last = (period.until - timedelta(microseconds=1)).astimezone(zone).date()
    count = (last - first).days + 1
    return [first + timedelta(days=i) for i in range(max(count, 0))]


def connected(accounts: Iterable[SocialAccount]) -> list[SocialAccount]:
    return [a for a in accounts if a.status is not AccountStatus.disconnected]


def provenance_title(metric: str, snapshot: MetricSnapshot | None, zone: ZoneInfo) -> str:
    """Where a number came from, in words, for a tooltip."""
    label = METRICS.get(metric, metric)
    if snapshot is None:
        return label
    at = snapshot.captured_at.astimezone(zone).strftime("%d %b %Y %H:%M %Z")
    return f"{label} · field {snapshot.source_field} · API {snapshot.api_version} · read {at}"


def mapping_of(values: Any) -> Mapping[str, Any]:
    return values if isinstance(values, Mapping) else {}
