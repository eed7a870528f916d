"""Analytics reads on X (API v2): post metrics in batches, the account's numbers, recent posts.

Wire contract: platform-apis.md §A.3 (``GET /2/tweets?ids=``, 1–100 ids; partial errors),
§A.4 (metrics objects and the 30-day rule for private metrics) and §A.5 (problem types).

Normalization (platform field → ``METRICS`` key; ``source_field`` carries the left column):

============================================  ==============  ==============================
X field                                       metric          notes
============================================  ==============  ==============================
``public_metrics.like_count``                 likes
``public_metrics.reply_count``                comments
``public_metrics.retweet_count``              reposts
``public_metrics.quote_count``                quotes
``public_metrics.bookmark_count``             bookmarks
``public_metrics.impression_count``           impressions     public since 2023 (§A.4)
``non_public_metrics.impression_count``       impressions     only if public lacks it
``non_public_metrics.url_link_clicks``        clicks          absent on posts without a link
``non_public_metrics.user_profile_clicks``    profile_clicks
``non_public_metrics.engagements``            engagements
``organic_metrics.url_link_clicks``           clicks          fallback: the spec's
``organic_metrics.user_profile_clicks``       profile_clicks  non_public may lack it
``includes.media.public_metrics.view_count``  video_views     sum over its videos
user ``public_metrics.followers_count``       followers
user ``public_metrics.following_count``       following
user ``public_metrics.tweet_count``           posts_count
============================================  ==============  ==============================

Not read: ``promoted_metrics`` (promoted posts only; asking for it withholds every organic post),
``listed_count`` and the user's ``like_count`` (no metric of ours). X keeps no history of an
account's numbers: ``account_metrics`` with ``since`` still answers only the values now.

Private metrics and post age. ``non_public_metrics`` and ``organic_metrics`` are only given
to the author for posts younger than 30 days; asked for an older post, X withholds the whole
post (a ``…/not-authorized-for-field`` problem in ``errors`` instead of its ``data`` entry), so
asking them of a mixed batch would lose the old posts' public numbers too. A post id is a
snowflake whose top bits are its creation time (milliseconds since X's epoch), so the age of
every id is known before asking: a batch of only recent posts is read with the private fields,
a batch of only older posts with public fields, each in ONE request; a batch that mixes both
takes two (one per group). Posts withheld anyway (the platform's clock ahead of ours) are read
again, public fields only, in one more request. With ids chunked in id order (newest first),
at most one chunk mixes ages: 1,000 posts cost 10–11 requests (the measured figure is in
``tests/providers/x/test_analytics.py``); chunked in random order, at most 20.

``recent_posts`` reads ``GET /2/users/:id/tweets`` (``exclude=replies,retweets``: a thread is
its first post; first comments and reposts are not the account's posts) over the whole window
in ONE listing with public fields only, 100 posts a page: an import of 100 posts costs one
request. Trade-off: the import leaves out the private metrics (clicks, profile clicks,
engagements) of posts under 30 days, which would take a second listing of those days (a private
read of a window reaching past 30 days withholds the older posts). They come with the posts'
next scheduled read, which the cadence makes due within hours for a post that young; the
import's public numbers (likes, replies, reposts, quotes, bookmarks, impressions) are complete.

Account numbers folded into the reads. Every read (the listing and ``GET /2/tweets``) asks
``expansions=author_id`` with ``user.fields=public_metrics``: the answer's ``includes.users``
holds the account itself (every post read is its own) with ``followers_count``,
``following_count`` and ``tweet_count``, returned as ``account_values`` (the same fields and
provenance as ``account_metrics``), so a sync needs no separate ``GET /2/users/:id``. X only
includes the author of posts it returned: a read that returned no post carries no account
numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from growth_manager.providers.base import (
    AccountMetrics,
    AccountRef,
    MetricValue,
    PostMetricsBatch,
    RecentPosts,
    RemotePost,
    TokenSet,
)
from growth_manager.providers.client import PlatformHttp
from growth_manager.providers.errors import Rejected
from growth_manager.providers.http import json_body

API_VERSION = "2"
# GET /2/tweets takes 1–100 ids (spec minItems 1, maxItems 100; §A.3).
BATCH = 100
PAGE = 100  # GET /2/users/:id/tweets max_results upper bound
TWITTER_EPOCH_MS = 1288834974657
# X gives private metrics for 30 days; a day's margin keeps a post near the edge out of a
# private read (where it would be withheld) even when the platform's clock runs a little ahead.
PRIVATE_WINDOW = timedelta(days=29)

PUBLIC_FIELDS = ("created_at", "public_metrics", "attachments")
PRIVATE_FIELDS = (*PUBLIC_FIELDS, "non_public_metrics", "organic_metrics")
# Media for video views; the author (the account itself) for its numbers, at no extra request.
EXPANSION_PARAMS = {
    "expansions": "attachments.media_keys,author_id",
    "media.fields": "public_metrics,type",
    "user.fields": "public_metrics",
}
MEDIA_VIEWS_FIELD = "includes.media.public_metrics.view_count"
FIELD_UNAUTHORIZED = "/not-authorized-for-field"

# (object, field, metric), in order of preference: the first present wins a metric.
POST_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("public_metrics", "like_count", "likes"),
    ("public_metrics", "reply_count", "comments"),
    ("public_metrics", "retweet_count", "reposts"),
    ("public_metrics", "quote_count", "quotes"),
    ("public_metrics", "bookmark_count", "bookmarks"),
    ("public_metrics", "impression_count", "impressions"),
    ("non_public_metrics", "impression_count", "impressions"),
    ("non_public_metrics", "url_link_clicks", "clicks"),
    ("non_public_metrics", "user_profile_clicks", "profile_clicks"),
    ("non_public_metrics", "engagements", "engagements"),
    ("organic_metrics", "url_link_clicks", "clicks"),
    ("organic_metrics", "user_profile_clicks", "profile_clicks"),
)
USER_FIELDS: tuple[tuple[str, str], ...] = (
    ("followers_count", "followers"),
    ("following_count", "following"),
    ("tweet_count", "posts_count"),
)


def created_at_of(tweet_id: str) -> datetime | None:
    """When a post was created, read from its snowflake id (None for pre-snowflake ids)."""
    try:
        value = int(tweet_id)
    except ValueError:
        return None
    ms = (value >> 22) + TWITTER_EPOCH_MS
    if value >> 22 == 0:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC)


def is_recent(tweet_id: str, now: datetime) -> bool:
    created = created_at_of(tweet_id)
    return created is not None and now - created < PRIVATE_WINDOW


@dataclass(frozen=True)
class _Read:
    """One answer of GET /2/tweets or a timeline page, parsed."""

    tweets: list[dict[str, Any]]
    media: dict[str, dict[str, Any]]
    users: dict[str, dict[str, Any]]
    not_found: dict[str, str]
    withheld: dict[str, str]
    next_token: str | None


@dataclass(frozen=True)
class XAnalytics:
    http: PlatformHttp
    platform: str
    api_base: str
    auth_base: str
    page_size: int = PAGE

    # --- post metrics --------------------------------------------------------------------
    def post_metrics(
        self, account: AccountRef, remote_ids: Sequence[str], token: TokenSet
    ) -> PostMetricsBatch:
        ids = list(dict.fromkeys(str(i) for i in remote_ids))
        if len(ids) > BATCH:
            raise ValueError(f"X reads at most {BATCH} posts per request, not {len(ids)}")
        if not ids:
            return PostMetricsBatch(values={}, calls=0)
        now = datetime.now(UTC)
        recent = [i for i in ids if is_recent(i, now)]
        older = [i for i in ids if i not in set(recent)]
        values: dict[str, tuple[MetricValue, ...]] = {}
        missing: dict[str, str] = {}
        calls = 0
        retry: list[str] = []
        account_values: tuple[MetricValue, ...] = ()
        for group, fields in ((recent, PRIVATE_FIELDS), (older, PUBLIC_FIELDS)):
            if not group:
                continue
            read = self._lookup(group, fields, token)
            calls += 1
            self._collect(read, values, missing)
            account_values = account_values or _account_values(read, account)
            retry.extend(i for i in group if i in read.withheld and i not in values)
        if retry:
            # The platform counted these as older than 30 days: their public numbers still count.
            read = self._lookup(retry, PUBLIC_FIELDS, token)
            calls += 1
            self._collect(read, values, missing)
            account_values = account_values or _account_values(read, account)
        for tweet_id in ids:
            if tweet_id not in values and tweet_id not in missing:
                missing[tweet_id] = "X answered neither the post nor an error for it"
        return PostMetricsBatch(
            values=values, missing=missing, calls=calls, account_values=account_values
        )

    def _lookup(self, ids: Sequence[str], fields: Iterable[str], token: TokenSet) -> _Read:
        response = self.http.request(
            "GET",
            f"{self.api_base}/2/tweets",
            params={"ids": ",".join(ids), "tweet.fields": ",".join(fields), **EXPANSION_PARAMS},
            headers=_bearer(token),
        )
        return parse(json_body(response))

    def _collect(
        self,
        read: _Read,
        values: dict[str, tuple[MetricValue, ...]],
        missing: dict[str, str],
    ) -> None:
        for tweet in read.tweets:
            values[str(tweet["id"])] = post_values(tweet, read.media)
            missing.pop(str(tweet["id"]), None)
        for tweet_id, words in read.not_found.items():
            if tweet_id not in values:
                missing[tweet_id] = words

    # --- account -------------------------------------------------------------------------
    def account_metrics(
        self,
        account: AccountRef,
        token: TokenSet,
        since: datetime | None = None,
        current: bool = True,
    ) -> AccountMetrics:
        """The account's public numbers now. X keeps no history of them, so ``since`` changes
        nothing: the history builds up from the values read on each sync. Without ``current``
        there is nothing left to ask: no request."""
        if not current:
            return AccountMetrics(values=(), calls=0)
        response = self.http.request(
            "GET",
            f"{self.api_base}/2/users/{account.external_id}",
            params={"user.fields": "public_metrics"},
            headers=_bearer(token),
        )
        body = json_body(response)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise Rejected(
                self.platform,
                _first_detail(body) or "GET /2/users/:id answered without the user",
                code="resource-not-found",
                endpoint="GET /2/users/{id}",
            )
        return AccountMetrics(values=user_values(data), calls=1)

    # --- recent posts --------------------------------------------------------------------
    def recent_posts(self, account: AccountRef, token: TokenSet, since: datetime) -> RecentPosts:
        """The account's own posts since ``since``, newest first, with their public numbers
        (one listing of the whole window; the private ones of posts under 30 days come with
        their first scheduled read, see the module docstring), and the account's numbers from
        the listing's ``includes.users``. Replies (thread parts, first comments, answers to
        others) and reposts are left out: a thread is its first post."""
        since = since.astimezone(UTC)
        posts: list[RemotePost] = []
        calls = 0
        account_values: tuple[MetricValue, ...] = ()
        token_value: str | None = None
        while True:
            read = self._timeline(
                account.external_id, token, since, None, PUBLIC_FIELDS, token_value
            )
            calls += 1
            posts.extend(self._remote(t, read.media) for t in read.tweets)
            account_values = account_values or _account_values(read, account)
            token_value = read.next_token
            if not token_value:
                break
        unique = {p.remote_id: p for p in posts}
        ordered = sorted(unique.values(), key=lambda p: (p.published_at, int(p.remote_id)))
        return RecentPosts(
            posts=tuple(reversed(ordered)), calls=calls, account_values=account_values
        )

    def _timeline(
        self,
        user_id: str,
        token: TokenSet,
        start: datetime,
        end: datetime | None,
        fields: Iterable[str],
        pagination_token: str | None,
    ) -> _Read:
        params = {
            "max_results": str(self.page_size),
            "start_time": _iso(start),
            "exclude": "replies,retweets",
            "tweet.fields": ",".join(fields),
            **EXPANSION_PARAMS,
        }
        if end is not None:
            params["end_time"] = _iso(end)
        if pagination_token:
            params["pagination_token"] = pagination_token
        response = self.http.request(
            "GET",
            f"{self.api_base}/2/users/{user_id}/tweets",
            params=params,
            headers=_bearer(token),
        )
        return parse(json_body(response))

    def _remote(self, tweet: dict[str, Any], media: dict[str, dict[str, Any]]) -> RemotePost:
        tweet_id = str(tweet["id"])
        published = _parse_time(tweet.get("created_at")) or created_at_of(tweet_id)
        return RemotePost(
            remote_id=tweet_id,
            published_at=published or datetime.fromtimestamp(0, UTC),
            text=str(tweet.get("text") or ""),
            remote_url=f"{self.auth_base}/i/web/status/{tweet_id}",
            media_kind=media_kind(tweet, media),
            values=post_values(tweet, media),
        )


# --- parsing (pure: also used on recorded responses) ------------------------------------------


def parse(body: Any) -> _Read:
    """A GET /2/tweets or timeline answer: posts, media by key, the ids X could not find and
    the ids it withheld for a private field, each with X's words."""
    body = body if isinstance(body, dict) else {}
    tweets = [t for t in body.get("data") or [] if isinstance(t, dict) and t.get("id")]
    if isinstance(body.get("data"), dict):  # GET /2/tweets/:id answers one object
        tweets = [body["data"]]
    includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
    media = {
        str(m["media_key"]): m
        for m in (includes or {}).get("media") or []
        if isinstance(m, dict) and m.get("media_key")
    }
    users = {
        str(u["id"]): u
        for u in (includes or {}).get("users") or []
        if isinstance(u, dict) and u.get("id")
    }
    not_found: dict[str, str] = {}
    withheld: dict[str, str] = {}
    for problem in body.get("errors") or []:
        if not isinstance(problem, dict):
            continue
        resource = str(problem.get("resource_id") or problem.get("value") or "")
        if not resource:
            continue
        kind = str(problem.get("type") or "")
        words = str(problem.get("detail") or problem.get("title") or kind)
        if kind.endswith(FIELD_UNAUTHORIZED):
            withheld.setdefault(resource, words)
        elif problem.get("resource_type", "tweet") == "tweet":
            not_found.setdefault(resource, words)
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    next_token = (meta or {}).get("next_token")
    return _Read(tweets, media, users, not_found, withheld, str(next_token) if next_token else None)


def post_values(tweet: dict[str, Any], media: dict[str, dict[str, Any]]) -> tuple[MetricValue, ...]:
    """Every metric X reported for ``tweet``, one value per metric (see the module table)."""
    found: dict[str, MetricValue] = {}
    for obj, name, metric in POST_FIELDS:
        holder = tweet.get(obj)
        if metric in found or not isinstance(holder, dict):
            continue
        value = holder.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            found[metric] = MetricValue(metric, float(value), f"{obj}.{name}", API_VERSION)
    views = [
        media[key]["public_metrics"]["view_count"]
        for key in _media_keys(tweet)
        if isinstance((media.get(key) or {}).get("public_metrics"), dict)
        and isinstance(media[key]["public_metrics"].get("view_count"), int)
    ]
    if views:
        found["video_views"] = MetricValue(
            "video_views", float(sum(views)), MEDIA_VIEWS_FIELD, API_VERSION
        )
    return tuple(found.values())


def _account_values(read: _Read, account: AccountRef) -> tuple[MetricValue, ...]:
    """The account's numbers from a read's ``includes.users`` (the author of its posts)."""
    user = read.users.get(account.external_id)
    return user_values(user) if user is not None else ()


def user_values(user: dict[str, Any]) -> tuple[MetricValue, ...]:
    metrics = user.get("public_metrics")
    if not isinstance(metrics, dict):
        return ()
    return tuple(
        MetricValue(metric, float(metrics[name]), f"public_metrics.{name}", API_VERSION)
        for name, metric in USER_FIELDS
        if isinstance(metrics.get(name), int)
    )


def media_kind(tweet: dict[str, Any], media: dict[str, dict[str, Any]]) -> str | None:
    keys = _media_keys(tweet)
    if not keys:
        return None
    if len(keys) > 1:
        return "carousel"
    # A media key is "<kind>_<id>": 3 photo, 7 video, 16 animated GIF.
    kind = str((media.get(keys[0]) or {}).get("type") or "")
    if not kind:
        kind = {"3": "photo", "7": "video", "16": "animated_gif"}.get(keys[0].split("_")[0], "")
    return "image" if kind == "photo" else "video" if kind else None


def _media_keys(tweet: dict[str, Any]) -> list[str]:
    attachments = tweet.get("attachments")
    keys = attachments.get("media_keys") if isinstance(attachments, dict) else None
    return [str(k) for k in keys or []]


def _first_detail(body: Any) -> str:
    problems = body.get("errors") if isinstance(body, dict) else None
    if isinstance(problems, list) and problems and isinstance(problems[0], dict):
        return str(problems[0].get("detail") or problems[0].get("title") or "")
    return ""


def _parse_time(raw: Any) -> datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bearer(token: TokenSet) -> dict[str, str]:
    return {"Authorization": f"Bearer {token.access_token}"}
