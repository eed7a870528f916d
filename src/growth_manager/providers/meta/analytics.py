"""Analytics reads of Facebook Pages and Instagram business accounts (platform-apis.md §C.5,
§C.6, §C.7).

Post metrics are one multi-id read, ``GET /{version}/?ids=a,b,…&fields=…`` (at most 50 ids,
§C.6), with the insights edge expanded as a field (``insights.metric(…)``), so 50 posts cost
one HTTP request. Graph fails the whole multi-id read when one id does not exist or is not
visible (``(#803) Some of the aliases you requested do not exist``, or ``Unsupported get
request``); then the same ids are read again as one batch (``POST /{version}/`` with
``batch=[…]``, §C.6) whose sub-answers say which ids failed: those land in ``missing`` with
Meta's words, and the read costs two requests. A throttled sub-answer (codes 4, 17, 32, 613,
80001…) raises ``RateLimited``, an invalid token ``ReauthRequired``, as a whole answer would.

Only current metric names are asked (§C.5): never ``post_impressions*``, ``page_impressions*``,
``page_fans``, ``post_engaged_users``, nor Instagram's ``impressions``, ``plays``,
``video_views``, ``clips_replays_count``. One invalid metric fails a whole Graph request, so the
sets below are the ones every post of the kind supports: Instagram's reels-only watch-time
metrics (``ig_reels_avg_watch_time``, ``ig_reels_video_view_total_time``) would fail the read
of every feed post and carousel in the same request, so they are not read here, and neither
is ``post_video_views`` (its status is uncertain in the reference).

Normalization (``MetricValue.metric`` ← ``source_field``):

=========== ====================================== ==========================================
metric      Facebook Page post                     Instagram media
=========== ====================================== ==========================================
reactions   ``reactions.summary.total_count``      —
likes       —                                      ``like_count``
comments    ``comments.summary.total_count``       ``comments_count``
shares      ``shares.count`` (absent when 0)       ``insights.shares``
saves       —                                      ``insights.saved``
impressions ``post_media_view``                    ``insights.views``
reach       ``post_total_media_view_unique``       ``insights.reach``
clicks      ``post_clicks``                        —
engagements —                                      ``insights.total_interactions``
=========== ====================================== ==========================================

Account metrics (``at`` None: now; ``at`` set: the day ending then, Meta's day end):

============= ======================================== ======================================
metric        Facebook Page                            Instagram account
============= ======================================== ======================================
followers     ``followers_count``; history             ``followers_count``
              ``page_follows`` (day)
following     —                                        ``follows_count``
posts_count   —                                        ``media_count``
follower_gain ``page_daily_follows_unique`` (day)      ``insights.follower_count`` (day,
                                                       last 30 days only)
impressions   ``page_media_view`` (day)                —
reach         ``page_total_media_view_unique`` (day)   ``insights.reach`` (day, 30 days)
engagements   ``page_post_engagements`` (day)          —
page_views    ``page_views_total`` (day)               —
============= ======================================== ======================================

Page insights take at most 90 days per ``since``/``until`` window (§C.5), so a longer history
costs one request per 90 days; Graph keeps two years.

Account numbers folded into the reads that happen anyway (Graph field expansion,
``edge.limit(n){fields}`` on the node). The listing of ``recent_posts`` is ONE request on the
account's node, ``GET /{page-id}?fields=followers_count,published_posts.limit(100){…}`` or
``GET /{ig-user-id}?fields=followers_count,follows_count,media_count,media.limit(100){…}``,
which answers the first 100 posts and the account's numbers now (``RecentPosts.account_values``,
the same fields as ``account_metrics``); further pages continue on the edge
(``/{id}/published_posts`` or ``/{id}/media``) from the ``after`` cursor of ``paging``, 100 posts
each (Graph's maximum for these edges). Instagram's history is one request too:
``GET /{ig-user-id}?fields=followers_count,follows_count,media_count,insights.metric(…)
.period(day).since(…).until(…)``, the numbers now with the daily series they are counted back
from. ``account_metrics(current=False)`` on a Page skips the node read and asks the insights
windows only; on Instagram it is the same one request, returning only the history.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol
from urllib.parse import urlencode

import httpx2

from growth_manager.providers.base import (
    AccountMetrics,
    AccountRef,
    MetricValue,
    PostMetricsBatch,
    ProviderConfig,
    RecentPosts,
    RemotePost,
    TokenSet,
)
from growth_manager.providers.client import PlatformHttp
from growth_manager.providers.errors import Rejected
from growth_manager.providers.meta import errors

MAX_IDS = 50  # ids per multi-id read, and sub-requests per batch (§C.6)
PAGE_SIZE = 100  # posts per listing page (Graph's maximum for published_posts and media)
MAX_PAGES = 200
INSIGHTS_WINDOW = timedelta(days=90)
INSIGHTS_KEPT = timedelta(days=730)
IG_FOLLOWER_HISTORY = timedelta(days=30)

FB_INSIGHTS = {
    "post_media_view": "impressions",
    "post_total_media_view_unique": "reach",
    "post_clicks": "clicks",
}
FB_POST_FIELDS = (
    "reactions.summary(true).limit(0),comments.summary(true).limit(0),shares,"
    f"insights.metric({','.join(FB_INSIGHTS)})"
)
FB_LIST_FIELDS = f"id,message,created_time,permalink_url,attachments{{media_type}},{FB_POST_FIELDS}"

IG_INSIGHTS = {
    "views": "impressions",
    "reach": "reach",
    "saved": "saves",
    "shares": "shares",
    "total_interactions": "engagements",
}
IG_MEDIA_FIELDS = (
    "media_type,media_product_type,like_count,comments_count,"
    f"insights.metric({','.join(IG_INSIGHTS)})"
)
IG_LIST_FIELDS = f"id,caption,media_type,media_product_type,timestamp,permalink,{IG_MEDIA_FIELDS}"

PAGE_INSIGHTS = {
    "page_follows": "followers",
    "page_daily_follows_unique": "follower_gain",
    "page_media_view": "impressions",
    "page_total_media_view_unique": "reach",
    "page_post_engagements": "engagements",
    "page_views_total": "page_views",
}
IG_ACCOUNT_INSIGHTS = {"follower_count": "follower_gain", "reach": "reach"}
PAGE_NOW_FIELDS = (("followers_count", "followers"),)
IG_NOW_FIELDS = (
    ("followers_count", "followers"),
    ("follows_count", "following"),
    ("media_count", "posts_count"),
)

FB_MEDIA_KINDS = {"photo": "image", "album": "carousel", "video": "video", "video_inline": "video"}
IG_MEDIA_KINDS = {"IMAGE": "image", "VIDEO": "video", "CAROUSEL_ALBUM": "carousel"}
# Whole-read failures that name an id that is gone or not visible (§C.8 code 100, #803).
_MISSING_CODES = {"803", "100/33"}
_OBJECT_ID = re.compile(r"Object with ID '([^']+)'")


class GraphProvider(Protocol):
    """What the reads need of the Graph provider (``provider.MetaProvider`` is one)."""

    platform: ClassVar[str]
    config: ProviderConfig
    http: PlatformHttp

    @property
    def graph(self) -> str: ...

    @property
    def version(self) -> str: ...


def _get(provider: GraphProvider, path: str, token: TokenSet, **params: Any) -> Any:
    params["access_token"] = token.access_token
    url = f"{provider.graph}/{path.lstrip('/')}"
    return provider.http.request("GET", url, params=params).json()


def _answered_version(provider: GraphProvider, response: httpx2.Response | None = None) -> str:
    if response is not None:
        version = response.headers.get("facebook-api-version")
        if version:
            return str(version)
    return provider.version


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _parse_time(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)
    except ValueError:
        return None


def _insight_values(
    node: Mapping[str, Any], names: Mapping[str, str], version: str, prefix: str
) -> list[MetricValue]:
    out: list[MetricValue] = []
    for entry in (node.get("insights") or {}).get("data") or []:
        if not isinstance(entry, dict):
            continue
        metric = names.get(str(entry.get("name")))
        values = entry.get("values") or []
        value = _number(values[0].get("value")) if values and isinstance(values[0], dict) else None
        if metric is not None and value is not None:
            out.append(MetricValue(metric, value, f"{prefix}{entry['name']}", version))
    return out


def facebook_post_values(node: Mapping[str, Any], version: str) -> tuple[MetricValue, ...]:
    """The numbers of one Page post rendered with :data:`FB_POST_FIELDS`."""
    out: list[MetricValue] = []
    for field, metric in (("reactions", "reactions"), ("comments", "comments")):
        summary = (node.get(field) or {}).get("summary") or {}
        value = _number(summary.get("total_count"))
        if value is not None:
            out.append(MetricValue(metric, value, f"{field}.summary.total_count", version))
    shares = _number((node.get("shares") or {}).get("count"))
    if shares is not None:
        out.append(MetricValue("shares", shares, "shares.count", version))
    out.extend(_insight_values(node, FB_INSIGHTS, version, ""))
    return tuple(out)


def instagram_media_values(node: Mapping[str, Any], version: str) -> tuple[MetricValue, ...]:
    """The numbers of one Instagram media rendered with :data:`IG_MEDIA_FIELDS`."""
    out: list[MetricValue] = []
    for field, metric in (("like_count", "likes"), ("comments_count", "comments")):
        value = _number(node.get(field))
        if value is not None:
            out.append(MetricValue(metric, value, field, version))
    out.extend(_insight_values(node, IG_INSIGHTS, version, "insights."))
    return tuple(out)


# --- post metrics ----------------------------------------------------------------------------


def post_metrics(
    provider: GraphProvider, remote_ids: Sequence[str], token: TokenSet, *, instagram: bool
) -> PostMetricsBatch:
    ids = list(dict.fromkeys(remote_ids))
    if not ids:
        return PostMetricsBatch(values={}, calls=0)
    if len(ids) > MAX_IDS:
        raise ValueError(f"at most {MAX_IDS} posts per read, not {len(ids)}")
    fields = IG_MEDIA_FIELDS if instagram else FB_POST_FIELDS
    parse = instagram_media_values if instagram else facebook_post_values
    url = f"{provider.graph}/"
    params = {"ids": ",".join(ids), "fields": fields, "access_token": token.access_token}
    try:
        response = provider.http.request("GET", url, params=params)
    except Rejected as exc:
        if exc.code not in _MISSING_CODES:
            raise
        return _batch_read(provider, ids, fields, token, parse)
    version = _answered_version(provider, response)
    body = response.json()
    values: dict[str, tuple[MetricValue, ...]] = {}
    missing: dict[str, str] = {}
    for remote_id in ids:
        node = body.get(remote_id) if isinstance(body, dict) else None
        if isinstance(node, dict):
            values[remote_id] = parse(node, version)
        else:
            missing[remote_id] = "Meta's answer left this post out"
    return PostMetricsBatch(values=values, missing=missing, calls=1)


def _batch_read(
    provider: GraphProvider,
    ids: list[str],
    fields: str,
    token: TokenSet,
    parse: Any,
) -> PostMetricsBatch:
    """The second try after a whole multi-id read failed on an id: one batch, one
    sub-request per id, so each id succeeds or fails alone."""
    batch = [
        {
            "method": "GET",
            "relative_url": f"{provider.version}/{remote_id}?{urlencode({'fields': fields})}",
        }
        for remote_id in ids
    ]
    response = provider.http.request(
        "POST",
        f"{provider.graph}/",
        data={
            "batch": json.dumps(batch, separators=(",", ":")),
            "include_headers": "true",
            "access_token": token.access_token,
        },
    )
    answers = response.json()
    if not isinstance(answers, list) or len(answers) != len(ids):
        raise Rejected(provider.platform, "the batch answer does not match its requests")
    values: dict[str, tuple[MetricValue, ...]] = {}
    missing: dict[str, str] = {}
    now = datetime.now(UTC)
    for remote_id, answer in zip(ids, answers, strict=True):
        if not isinstance(answer, dict):  # Graph answers null for a sub-request that timed out
            missing[remote_id] = "Meta did not answer for this post"
            continue
        sub = _sub_response(answer, response.request)
        _observe(provider, sub)
        if sub.is_success:
            node = sub.json()
            values[remote_id] = parse(node, _answered_version(provider, sub))
            continue
        error = errors.classify(provider.platform, sub, now)
        if not isinstance(error, Rejected):
            raise error  # throttled, token gone or Meta unwell: the whole read waits
        missing[remote_id] = error.message
    return PostMetricsBatch(values=values, missing=missing, calls=2)


def _sub_response(answer: Mapping[str, Any], request: httpx2.Request) -> httpx2.Response:
    """One batch sub-answer as the response it stands for, for the classifier."""
    headers = [
        (str(h.get("name")), str(h.get("value")))
        for h in answer.get("headers") or []
        if isinstance(h, dict)
    ]
    body = answer.get("body")
    content = body.encode() if isinstance(body, str) else b""
    code = answer.get("code")
    return httpx2.Response(
        code if isinstance(code, int) else 500, headers=headers, content=content, request=request
    )


def _observe(provider: GraphProvider, response: httpx2.Response) -> None:
    """Sub-answers carry the usage headers of the calls they spent (§C.6, §C.7)."""
    http = provider.http
    if http.on_rate_limits is None:
        return
    states = http.parse_rate_limits(provider.platform, response)
    if states:
        http.on_rate_limits(states)


# --- account metrics -------------------------------------------------------------------------


def _series(
    body: Any, names: Mapping[str, str], version: str, prefix: str
) -> Iterable[MetricValue]:
    for entry in (body or {}).get("data") or []:
        if not isinstance(entry, dict):
            continue
        metric = names.get(str(entry.get("name")))
        if metric is None:
            continue
        for point in entry.get("values") or []:
            value = _number(point.get("value")) if isinstance(point, dict) else None
            at = _parse_time(point.get("end_time")) if isinstance(point, dict) else None
            if value is not None and at is not None:
                yield MetricValue(metric, value, f"{prefix}{entry['name']}", version, at=at)


def _dedupe(values: Iterable[MetricValue]) -> tuple[MetricValue, ...]:
    seen: dict[tuple[str, datetime | None], MetricValue] = {}
    for value in values:
        seen.setdefault((value.metric, value.at), value)
    return tuple(seen.values())


def _now_values(
    node: Mapping[str, Any], names: Sequence[tuple[str, str]], version: str
) -> list[MetricValue]:
    """The account's numbers now from its node's fields (``followers_count``, …)."""
    values: list[MetricValue] = []
    for field, metric in names:
        value = _number(node.get(field))
        if value is not None:
            values.append(MetricValue(metric, value, field, version))
    return values


def page_metrics(
    provider: GraphProvider,
    account: AccountRef,
    token: TokenSet,
    since: datetime | None,
    *,
    current: bool = True,
) -> AccountMetrics:
    version = provider.version
    values: list[MetricValue] = []
    calls = 0
    if current:
        page = _get(provider, account.external_id, token, fields="followers_count")
        values.extend(_now_values(page, PAGE_NOW_FIELDS, version))
        calls += 1
    if since is not None:
        now = datetime.now(UTC)
        start = max(since.astimezone(UTC), now - INSIGHTS_KEPT)
        # Windows of 90 days back from now. A last window shorter than a day (a "90 days ago"
        # the caller computed a moment before this read) holds no day's value: not asked.
        end = now
        while end > start:
            begin = max(start, end - INSIGHTS_WINDOW)
            if end != now and end - begin < timedelta(days=1):
                break
            body = _get(
                provider,
                f"{account.external_id}/insights",
                token,
                metric=",".join(PAGE_INSIGHTS),
                period="day",
                since=int(begin.timestamp()),
                until=int(end.timestamp()),
            )
            calls += 1
            values.extend(_series(body, PAGE_INSIGHTS, version, ""))
            end = begin
    return AccountMetrics(values=_dedupe(values), calls=calls)


def instagram_account_metrics(
    provider: GraphProvider,
    account: AccountRef,
    token: TokenSet,
    since: datetime | None,
    *,
    current: bool = True,
) -> AccountMetrics:
    """The numbers now, and with ``since`` the daily series, in one request: the insights
    edge is expanded on the node, next to ``followers_count`` (which the follower history is
    counted back from, so it is asked even when ``current`` is False; it costs nothing)."""
    version = provider.version
    now = datetime.now(UTC)
    fields = ",".join(field for field, _ in IG_NOW_FIELDS)
    # follower_count keeps the last 30 days only (§C.5 account insights).
    start = max(since.astimezone(UTC), now - IG_FOLLOWER_HISTORY) if since else None
    history_asked = start is not None and start < now
    if not history_asked and not current:
        return AccountMetrics(values=(), calls=0)
    if history_asked:
        assert start is not None
        fields += (
            f",insights.metric({','.join(IG_ACCOUNT_INSIGHTS)}).period(day)"
            f".since({int(start.timestamp())}).until({int(now.timestamp())})"
        )
    user = _get(provider, account.external_id, token, fields=fields)
    values = _now_values(user, IG_NOW_FIELDS, version) if current else []
    if history_asked:
        history = list(_series(user.get("insights"), IG_ACCOUNT_INSIGHTS, version, "insights."))
        values.extend(history)
        followers = _number(user.get("followers_count"))
        if followers is not None:
            values.extend(_followers_back(followers, history, version))
    return AccountMetrics(values=_dedupe(values), calls=1)


def _followers_back(
    now_total: float, history: list[MetricValue], version: str
) -> Iterable[MetricValue]:
    """Instagram keeps new followers per day, not the count: each day's count is rebuilt
    backwards from today's ``followers_count`` minus the gains of the days after it, labelled
    as derived from both fields. It is an estimate: ``follower_count`` counts new followers only,
    so a day's count is overstated by the unfollows since (which Instagram reports only as a
    period total)."""
    gains = sorted((v for v in history if v.metric == "follower_gain" and v.at), key=_at)
    total = now_total
    for gain in reversed(gains):
        yield MetricValue(
            "followers", total, "followers_count - insights.follower_count", version, at=gain.at
        )
        total -= gain.value


def _at(value: MetricValue) -> datetime:
    assert value.at is not None
    return value.at


# --- recent posts ----------------------------------------------------------------------------


class _Listing:
    """A node's edge listed by field expansion: the first page comes in the node's answer
    (``GET /{id}?fields=<node fields>,<edge>.limit(100){<item fields>}``, which also carries
    the account's numbers), the next ones from the edge itself (``GET /{id}/<edge>``) after the
    ``after`` cursor, while Graph offers a ``next`` page. Iterating yields each page's items
    and the version that answered; ``node`` is the node's own fields (after the first page)."""

    def __init__(
        self,
        provider: GraphProvider,
        account: AccountRef,
        token: TokenSet,
        edge: str,
        node_fields: str,
        item_fields: str,
        modifiers: Mapping[str, Any] | None = None,
    ) -> None:
        self.provider = provider
        self.account = account
        self.token = token
        self.edge = edge
        self.node_fields = node_fields
        self.item_fields = item_fields
        # The edge's parameters: modifiers of the expansion, query parameters of later pages.
        self.modifiers = dict(modifiers or {})
        self.node: dict[str, Any] = {}
        self.version = provider.version

    def __iter__(self) -> Iterator[tuple[list[dict[str, Any]], str]]:
        provider, token = self.provider, self.token
        modifiers = "".join(f".{name}({value})" for name, value in self.modifiers.items())
        expanded = f"{self.edge}{modifiers}.limit({PAGE_SIZE}){{{self.item_fields}}}"
        response = provider.http.request(
            "GET",
            f"{provider.graph}/{self.account.external_id}",
            params={
                "fields": f"{self.node_fields},{expanded}",
                "access_token": token.access_token,
            },
        )
        body = response.json()
        self.node = body if isinstance(body, dict) else {}
        self.version = _answered_version(provider, response)
        edge = self.node.get(self.edge)
        page = edge if isinstance(edge, dict) else {}
        for _ in range(MAX_PAGES):
            items = [i for i in page.get("data") or [] if isinstance(i, dict)]
            yield items, _answered_version(provider, response)
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return
            response = provider.http.request(
                "GET",
                f"{provider.graph}/{self.account.external_id}/{self.edge}",
                params={
                    **self.modifiers,
                    "fields": self.item_fields,
                    "limit": PAGE_SIZE,
                    "after": after,
                    "access_token": token.access_token,
                },
            )
            page = response.json()
            page = page if isinstance(page, dict) else {}


def facebook_recent(
    provider: GraphProvider, account: AccountRef, token: TokenSet, since: datetime
) -> RecentPosts:
    since = since.astimezone(UTC)
    posts: list[RemotePost] = []
    calls = 0
    listing = _Listing(
        provider,
        account,
        token,
        "published_posts",
        ",".join(field for field, _ in PAGE_NOW_FIELDS),
        FB_LIST_FIELDS,
        {"since": int(since.timestamp())},
    )
    for items, version in listing:
        calls += 1
        older = False
        for item in items:
            published = _parse_time(item.get("created_time"))
            if published is None:
                continue
            if published < since:
                older = True
                continue
            attachments = (item.get("attachments") or {}).get("data") or [{}]
            kind = attachments[0].get("media_type") if isinstance(attachments[0], dict) else None
            posts.append(
                RemotePost(
                    remote_id=str(item["id"]),
                    published_at=published,
                    text=str(item.get("message") or ""),
                    remote_url=item.get("permalink_url"),
                    media_kind=FB_MEDIA_KINDS.get(str(kind)) if kind else None,
                    values=facebook_post_values(item, version),
                )
            )
        if older:
            break
    posts.sort(key=lambda p: p.published_at, reverse=True)
    return RecentPosts(
        posts=tuple(posts),
        calls=calls,
        account_values=tuple(_now_values(listing.node, PAGE_NOW_FIELDS, listing.version)),
    )


def instagram_recent(
    provider: GraphProvider, account: AccountRef, token: TokenSet, since: datetime
) -> RecentPosts:
    since = since.astimezone(UTC)
    posts: list[RemotePost] = []
    calls = 0
    listing = _Listing(
        provider,
        account,
        token,
        "media",
        ",".join(field for field, _ in IG_NOW_FIELDS),
        IG_LIST_FIELDS,
    )
    for items, version in listing:
        calls += 1
        older = False
        for item in items:
            published = _parse_time(item.get("timestamp"))
            if published is None:
                continue
            if published < since:
                older = True
                continue
            posts.append(
                RemotePost(
                    remote_id=str(item["id"]),
                    published_at=published,
                    text=str(item.get("caption") or ""),
                    remote_url=item.get("permalink"),
                    media_kind=IG_MEDIA_KINDS.get(str(item.get("media_type"))),
                    values=instagram_media_values(item, version),
                )
            )
        if older:
            break
    posts.sort(key=lambda p: p.published_at, reverse=True)
    return RecentPosts(
        posts=tuple(posts),
        calls=calls,
        account_values=tuple(_now_values(listing.node, IG_NOW_FIELDS, listing.version)),
    )
