"""LinkedIn analytics reads: post statistics, page followers and their history, and the
account's recent posts (platform-apis.md §B.4, §B.4b, §B.5, §B.6; learn.microsoft.com
Community Management → Organizations → Share Statistics, Follower Statistics; Members → Post
Statistics; Posts API).

Normalization (``MetricValue.source_field`` is the platform's own name):

=========================  ==============================================  ================
metric                     LinkedIn field                                  where
=========================  ==============================================  ================
impressions                ``totalShareStatistics.impressionCount``        B.4 (pages)
reach                      ``totalShareStatistics.uniqueImpressionsCount`` B.4 (pages)
clicks                     ``totalShareStatistics.clickCount``             B.4 (pages)
likes                      ``totalShareStatistics.likeCount``              B.4 (pages)
comments                   ``totalShareStatistics.commentCount``           B.4 (pages)
shares                     ``totalShareStatistics.shareCount``             B.4 (pages)
impressions                ``IMPRESSION`` (memberCreatorPostAnalytics)     B.4b (members)
reach                      ``MEMBERS_REACHED``                             B.4b (members)
shares                     ``RESHARE``                                     B.4b (members)
reactions                  ``REACTION``                                    B.4b (members)
comments                   ``COMMENT``                                     B.4b (members)
followers                  ``firstDegreeSize`` (networkSizes)              pages
follower_gain              ``followerGains.organicFollowerGain`` +         pages, per day
                           ``followerGains.paidFollowerGain``
=========================  ==============================================  ================

``totalShareStatistics.engagement`` is a ratio ((clicks+likes+comments+shares)/impressions),
not a count, so it is not stored: rates are computed from the counts. LinkedIn deprecates no
metric of these resources; the legacy ``/v2/socialActions`` read is never used.

Calls:

* Page posts: one ``GET /rest/organizationalEntityShareStatistics`` with ``shares=List(…)`` and
  ``ugcPosts=List(…)`` for up to :data:`METRICS_BATCH` posts. LinkedIn refuses the whole read
  with a 403 naming the field (``/shares[3]``) when one post is not the page's or is gone; that
  post goes to ``missing`` and the rest are read again (one more call per such post).
* Member posts: ``memberCreatorPostAnalytics`` answers one post and one metric
  (``queryType``) per request, so a member post costs one call per metric
  (:data:`MEMBER_QUERY_TYPES`, five). The batch is still at most ``metrics_batch`` posts.
* Page account metrics: ``GET /rest/networkSizes/{urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER``
  (followers now); with ``since`` also ``organizationalEntityFollowerStatistics`` and
  ``organizationalEntityShareStatistics`` with ``timeIntervals`` by DAY (three calls). Daily
  follower counts are rebuilt backwards from the count now and each day's gain. Statistics
  cover the past 12 months only.
* Member account metrics: LinkedIn offers no follower count to this app's scopes; the
  ``me`` finder of ``memberCreatorPostAnalytics`` gives totals over all the member's posts,
  one call per metric.
* Recent posts: ``GET /rest/posts?q=author`` pages of :data:`POSTS_PAGE`, newest first; the
  listing carries no statistics, so ``values`` stay empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from growth_manager.providers.base import (
    AccountMetrics,
    AccountRef,
    MetricValue,
    PostMetricsBatch,
    ProviderConfig,
    RecentPosts,
    RemotePost,
)
from growth_manager.providers.client import PlatformHttp
from growth_manager.providers.errors import Rejected
from growth_manager.providers.linkedin.publishing import post_url

# Posts one organizationalEntityShareStatistics read names in its List(…)s. LinkedIn documents
# no maximum; clients send 20–100 and 100 URNs keep the URL near 4 KB, well inside its limits.
METRICS_BATCH = 100
METRICS_ENDPOINT = "GET /rest/organizationalEntityShareStatistics"
# The Posts API's largest page.
POSTS_PAGE = 100
# Statistics cover a rolling 12 months (B.4).
STATS_WINDOW = timedelta(days=365)
DAY = timedelta(days=1)

SHARE_STATISTICS: dict[str, str] = {
    "impressionCount": "impressions",
    "uniqueImpressionsCount": "reach",
    "clickCount": "clicks",
    "likeCount": "likes",
    "commentCount": "comments",
    "shareCount": "shares",
}
MEMBER_QUERY_TYPES: dict[str, str] = {
    "IMPRESSION": "impressions",
    "MEMBERS_REACHED": "reach",
    "RESHARE": "shares",
    "REACTION": "reactions",
    "COMMENT": "comments",
}
_POST_KINDS = {"urn:li:share:": "shares", "urn:li:ugcPost:": "ugcPosts"}
# "… Data Processing Exception while processing fields [/shares[0], /ugcPosts[2]]"
_REFUSED_FIELD = re.compile(r"/(shares|ugcPosts)\[(\d+)\]")


def _enc(value: str) -> str:
    """A Rest.li 2.0 leaf value: reserved characters percent-encoded, structure literal."""
    return quote(value, safe="")


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _from_ms(value: Any) -> datetime | None:
    if not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def _midnight(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _elements(body: Any) -> list[dict[str, Any]]:
    elements = _dict(body).get("elements")
    if not isinstance(elements, list):
        return []
    return [element for element in elements if isinstance(element, dict)]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def account_urn(account: AccountRef) -> str:
    if account.external_id.startswith("urn:li:"):
        return account.external_id
    kind = "organization" if account.kind == "organization" else "person"
    return f"urn:li:{kind}:{account.external_id}"


class Analytics:
    """One account's analytics reads, with the token's versioned headers."""

    def __init__(
        self, http: PlatformHttp, config: ProviderConfig, headers: Mapping[str, str], version: str
    ) -> None:
        self.http = http
        self.config = config
        self.headers = dict(headers)
        self.version = version
        self.platform = http.platform

    @property
    def api(self) -> str:
        return self.config.api_base.rstrip("/")

    def _get(self, path: str, query: str) -> Any:
        response = self.http.request("GET", f"{self.api}{path}?{query}", headers=self.headers)
        return response.json()

    def _value(
        self, metric: str, value: float, field: str, at: datetime | None = None
    ) -> MetricValue:
        return MetricValue(
            metric=metric, value=value, source_field=field, api_version=self.version, at=at
        )

    def _share_values(
        self, stats: Mapping[str, Any], at: datetime | None = None
    ) -> list[MetricValue]:
        values = []
        for field, metric in SHARE_STATISTICS.items():
            number = _number(stats.get(field))
            if number is not None:
                values.append(self._value(metric, number, f"totalShareStatistics.{field}", at))
        return values

    # --- post metrics ----------------------------------------------------------------------

    def post_metrics(self, account: AccountRef, remote_ids: Sequence[str]) -> PostMetricsBatch:
        if account.kind == "organization":
            return self._organization_post_metrics(account_urn(account), remote_ids)
        return self._member_post_metrics(remote_ids)

    def _organization_post_metrics(
        self, organization: str, remote_ids: Sequence[str]
    ) -> PostMetricsBatch:
        missing: dict[str, str] = {}
        wanted: list[str] = []
        for urn in dict.fromkeys(remote_ids):
            if any(urn.startswith(prefix) for prefix in _POST_KINDS):
                wanted.append(urn)
            else:
                missing[urn] = (
                    "LinkedIn reports statistics only for share and ugcPost URNs, not " + urn
                )
        values: dict[str, tuple[MetricValue, ...]] = {}
        calls = 0
        while wanted:
            lists: dict[str, list[str]] = {"shares": [], "ugcPosts": []}
            for urn in wanted:
                lists[_param_of(urn)].append(urn)
            query = "q=organizationalEntity&organizationalEntity=" + _enc(organization)
            for param, urns in lists.items():
                if urns:
                    query += f"&{param}=List(" + ",".join(_enc(u) for u in urns) + ")"
            calls += 1
            try:
                body = self._get("/rest/organizationalEntityShareStatistics", query)
            except Rejected as exc:
                refused = _refused(exc, lists)
                if not refused:
                    raise
                # One unreadable post refuses the whole read: name it, read the others.
                for urn in refused:
                    missing[urn] = exc.message
                wanted = [urn for urn in wanted if urn not in refused]
                continue
            for element in _elements(body):
                named = element.get("share") or element.get("ugcPost")
                if isinstance(named, str) and named in wanted:
                    values[named] = tuple(
                        self._share_values(_dict(element.get("totalShareStatistics")))
                    )
            break
        for urn in wanted:
            if urn not in values:
                missing[urn] = "LinkedIn answered no statistics for this post"
        return PostMetricsBatch(values=values, missing=missing, calls=calls)

    def _member_post_metrics(self, remote_ids: Sequence[str]) -> PostMetricsBatch:
        values: dict[str, tuple[MetricValue, ...]] = {}
        missing: dict[str, str] = {}
        calls = 0
        for urn in dict.fromkeys(remote_ids):
            kind = _entity_kind(urn)
            if kind is None:
                missing[urn] = (
                    "LinkedIn reports statistics only for share and ugcPost URNs, not " + urn
                )
                continue
            post_values: list[MetricValue] = []
            for query_type, metric in MEMBER_QUERY_TYPES.items():
                calls += 1
                try:
                    body = self._get(
                        "/rest/memberCreatorPostAnalytics",
                        f"q=entity&entity=({kind}:{_enc(urn)})"
                        f"&queryType={query_type}&aggregation=TOTAL",
                    )
                except Rejected as exc:
                    if exc.status not in (403, 404) or "/entity" not in exc.message:
                        raise
                    missing[urn] = exc.message
                    break
                number = _total(body)
                if number is not None:
                    post_values.append(self._value(metric, number, query_type))
            else:
                values[urn] = tuple(post_values)
        return PostMetricsBatch(values=values, missing=missing, calls=calls)

    # --- account metrics -------------------------------------------------------------------

    def account_metrics(self, account: AccountRef, since: datetime | None) -> AccountMetrics:
        if account.kind == "organization":
            return self._organization_metrics(account_urn(account), since)
        return self._member_metrics()

    def _organization_metrics(self, organization: str, since: datetime | None) -> AccountMetrics:
        body = self._get(
            f"/rest/networkSizes/{_enc(organization)}", "edgeType=COMPANY_FOLLOWED_BY_MEMBER"
        )
        values: list[MetricValue] = []
        followers = _number(_dict(body).get("firstDegreeSize"))
        if followers is not None:
            values.append(self._value("followers", followers, "firstDegreeSize"))
        if since is None:
            return AccountMetrics(values=tuple(values), calls=1)
        start = max(_midnight(since), _midnight(datetime.now(UTC) - STATS_WINDOW) + DAY)
        # No ``end``: the buckets run up to now (TimeRange.end is optional).
        intervals = f"timeIntervals=(timeRange:(start:{_ms(start)}),timeGranularityType:DAY)"
        entity = "q=organizationalEntity&organizationalEntity=" + _enc(organization)
        gains = self._get("/rest/organizationalEntityFollowerStatistics", f"{entity}&{intervals}")
        values.extend(self._follower_history(_elements(gains), followers))
        shares = self._get("/rest/organizationalEntityShareStatistics", f"{entity}&{intervals}")
        for element, day_start, _end in _whole_days(_elements(shares)):
            values.extend(self._share_values(_dict(element.get("totalShareStatistics")), day_start))
        return AccountMetrics(values=tuple(values), calls=3)

    def _follower_history(
        self, elements: list[dict[str, Any]], followers_now: float | None
    ) -> list[MetricValue]:
        """Each whole day's gain (at its UTC midnight) and the follower count at each day's
        end, counted back from the count now (every bucket, a partial today too, is a gain
        between now and that day's end)."""
        buckets: list[tuple[datetime, datetime, float]] = []
        for element in elements:
            time_range = _dict(element.get("timeRange"))
            start, end = _from_ms(time_range.get("start")), _from_ms(time_range.get("end"))
            gains = _dict(element.get("followerGains"))
            organic = _number(gains.get("organicFollowerGain"))
            paid = _number(gains.get("paidFollowerGain"))
            if start is None or end is None or (organic is None and paid is None):
                continue
            buckets.append((start, end, (organic or 0.0) + (paid or 0.0)))
        buckets.sort(key=lambda bucket: bucket[0])
        values: list[MetricValue] = []
        running = followers_now
        for start, end, gain in reversed(buckets):
            whole = end - start == DAY
            if whole:
                values.append(
                    self._value(
                        "follower_gain",
                        gain,
                        "followerGains.organicFollowerGain+followerGains.paidFollowerGain",
                        start,
                    )
                )
                if running is not None:
                    values.append(
                        self._value("followers", running, "firstDegreeSize-followerGains", end)
                    )
            if running is not None:
                running -= gain
        values.reverse()
        return values

    def _member_metrics(self) -> AccountMetrics:
        values: list[MetricValue] = []
        calls = 0
        for query_type, metric in MEMBER_QUERY_TYPES.items():
            calls += 1
            body = self._get(
                "/rest/memberCreatorPostAnalytics",
                f"q=me&queryType={query_type}&aggregation=TOTAL",
            )
            number = _total(body)
            if number is not None:
                values.append(self._value(metric, number, f"me.{query_type}"))
        return AccountMetrics(values=tuple(values), calls=calls)

    # --- recent posts ----------------------------------------------------------------------

    def recent_posts(self, account: AccountRef, since: datetime) -> RecentPosts:
        author = account_urn(account)
        posts: list[RemotePost] = []
        calls = 0
        start = 0
        while True:
            calls += 1
            body = self._get(
                "/rest/posts",
                f"q=author&author={_enc(author)}&sortBy=CREATED&start={start}&count={POSTS_PAGE}",
            )
            elements = _elements(body)
            older = False
            for element in elements:
                post = self._remote_post(element)
                if post is None:
                    continue
                if post.published_at < since:
                    older = True
                    break
                posts.append(post)
            total = _dict(_dict(body).get("paging")).get("total")
            start += len(elements)
            if older or len(elements) < POSTS_PAGE or (isinstance(total, int) and start >= total):
                break
        posts.sort(key=lambda post: post.published_at, reverse=True)
        return RecentPosts(posts=tuple(posts), calls=calls)

    def _remote_post(self, element: Mapping[str, Any]) -> RemotePost | None:
        urn = element.get("id")
        published = _from_ms(element.get("publishedAt") or element.get("createdAt"))
        if not isinstance(urn, str) or published is None:
            return None
        if element.get("lifecycleState", "PUBLISHED") != "PUBLISHED":
            return None
        commentary = element.get("commentary")
        return RemotePost(
            remote_id=urn,
            published_at=published,
            text=commentary if isinstance(commentary, str) else "",
            remote_url=post_url(self.config, urn),
            media_kind=_media_kind(_dict(element.get("content"))),
        )


def _param_of(urn: str) -> str:
    return next(param for prefix, param in _POST_KINDS.items() if urn.startswith(prefix))


def _entity_kind(urn: str) -> str | None:
    if urn.startswith("urn:li:share:"):
        return "share"
    if urn.startswith("urn:li:ugcPost:"):
        return "ugcPost"
    return None


def _refused(exc: Rejected, lists: Mapping[str, list[str]]) -> set[str]:
    """The posts a 403 "Unpermitted fields present in PARAMETER …[/shares[0]]" names."""
    if exc.status != 403:
        return set()
    refused = set()
    for param, index in _REFUSED_FIELD.findall(exc.message):
        urns = lists.get(param, [])
        if int(index) < len(urns):
            refused.add(urns[int(index)])
    return refused


def _total(body: Any) -> float | None:
    """The one ``count`` a TOTAL aggregation answers (summed, should it come in pieces)."""
    counts = [_number(element.get("count")) for element in _elements(body)]
    numbers = [count for count in counts if count is not None]
    return sum(numbers) if numbers else None


def _whole_days(
    elements: Iterable[dict[str, Any]],
) -> list[tuple[dict[str, Any], datetime, datetime]]:
    out = []
    for element in elements:
        time_range = _dict(element.get("timeRange"))
        start, end = _from_ms(time_range.get("start")), _from_ms(time_range.get("end"))
        if start is not None and end is not None and end - start == DAY:
            out.append((element, start, end))
    return out


def _media_kind(content: Mapping[str, Any]) -> str | None:
    if "multiImage" in content:
        return "carousel"
    media = _dict(content.get("media"))
    media_id = media.get("id")
    if isinstance(media_id, str):
        if media_id.startswith("urn:li:video:"):
            return "video"
        if media_id.startswith("urn:li:image:"):
            return "image"
    return None
