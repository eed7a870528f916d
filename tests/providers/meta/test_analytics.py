"""Analytics reads of FacebookProvider and InstagramProvider against the sandbox over real HTTP:
post metrics of up to 50 posts in one request (checked against the sandbox's own answers read
independently, and moving with its clock), missing posts, throttling and a dead token, account
numbers with daily history, and the import listing paging through the seeded 90 days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from growth_manager.providers.base import AccountRef, MetricValue
from growth_manager.providers.client import PlatformHttp
from growth_manager.providers.errors import RateLimited, ReauthRequired
from growth_manager.providers.meta import FacebookProvider, InstagramProvider, analytics, errors
from growth_manager.providers.meta.descriptor import FACEBOOK, INSTAGRAM
from tests.providers.meta.publishing import IG, PAGE, Sandbox
from tests.sandbox.meta import helpers as h
from tests.support.wire import RecordingTransport

PAGE_REF = AccountRef(PAGE, "page")
IG_REF = AccountRef(IG, "instagram_business", parent_external_id=PAGE)
DEPRECATED = (
    "post_impressions",
    "page_impressions",
    "page_fans",
    "post_engaged_users",
    "plays",
    "video_views",
    "clips_replays_count",
)


Counting = RecordingTransport


@pytest.fixture
def wire() -> Counting:
    return Counting()


def _counted(provider: Any, wire: Counting) -> None:
    provider.http = PlatformHttp(
        provider.platform,
        5.0,
        errors.classify,
        errors.parse_rate_limits,
        transport=wire,
    )


@pytest.fixture
def fb(facebook: FacebookProvider, wire: Counting) -> Iterator[FacebookProvider]:
    _counted(facebook, wire)
    yield facebook
    facebook.http.close()


@pytest.fixture
def insta(instagram: InstagramProvider, wire: Counting) -> Iterator[InstagramProvider]:
    _counted(instagram, wire)
    yield instagram
    instagram.http.close()


def _raw(meta: Sandbox, path: str, **params: Any) -> Any:
    response = meta.http.get(
        h.graph(path), params={"access_token": meta.token.access_token, **params}
    )
    assert response.status_code == 200, response.text
    return response.json()


def _listing(meta: Sandbox, path: str, fields: str) -> list[dict[str, Any]]:
    """Every item of a listing, paged by hand."""
    items: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params = {"fields": fields, "limit": 100, **({"after": after} if after else {})}
        body = _raw(meta, path, **params)
        items.extend(body["data"])
        after = (body.get("paging") or {}).get("cursors", {}).get("after")
        if not (body.get("paging") or {}).get("next"):
            return items


def _by_metric(values: tuple[MetricValue, ...]) -> dict[str, tuple[float, str]]:
    return {v.metric: (v.value, v.source_field) for v in values if v.at is None}


def _graph_time(raw: str) -> datetime:
    return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)


def _fb_expected(meta: Sandbox, post_id: str) -> dict[str, tuple[float, str]]:
    """A post's numbers read the plain way: object fields, then the insights edge."""
    node = _raw(meta, post_id, fields="reactions.summary(true),comments.summary(true),shares")
    insights = _raw(
        meta,
        f"{post_id}/insights",
        metric="post_media_view,post_total_media_view_unique,post_clicks",
    )["data"]
    out = {
        "reactions": (node["reactions"]["summary"]["total_count"], "reactions.summary.total_count"),
        "comments": (node["comments"]["summary"]["total_count"], "comments.summary.total_count"),
    }
    if "shares" in node:
        out["shares"] = (node["shares"]["count"], "shares.count")
    names = {
        "post_media_view": "impressions",
        "post_total_media_view_unique": "reach",
        "post_clicks": "clicks",
    }
    for entry in insights:
        out[names[entry["name"]]] = (entry["values"][0]["value"], entry["name"])
    return out


def _ig_expected(meta: Sandbox, media_id: str) -> dict[str, tuple[float, str]]:
    node = _raw(meta, media_id, fields="like_count,comments_count")
    insights = _raw(
        meta, f"{media_id}/insights", metric="views,reach,saved,shares,total_interactions"
    )["data"]
    names = {
        "views": "impressions",
        "reach": "reach",
        "saved": "saves",
        "shares": "shares",
        "total_interactions": "engagements",
    }
    out = {
        "likes": (node["like_count"], "like_count"),
        "comments": (node["comments_count"], "comments_count"),
    }
    for entry in insights:
        out[names[entry["name"]]] = (entry["values"][0]["value"], f"insights.{entry['name']}")
    return out


def _no_deprecated(wire: Counting) -> None:
    for url in wire.sent:
        for name in DEPRECATED:
            assert name not in url, url
        assert "impressions" not in url.replace("_impressions", ""), url


def test_descriptors_declare_the_multi_id_read() -> None:
    for descriptor in (FACEBOOK, INSTAGRAM):
        assert descriptor.metrics_batch == 50
        assert descriptor.metrics_endpoint == "GET /v*/"


def test_facebook_post_metrics_fifty_posts_one_request(
    fb: FacebookProvider, wire: Counting, meta: Sandbox
) -> None:
    ids = [p["id"] for p in _listing(meta, f"{PAGE}/published_posts", "id")][:50]
    assert len(ids) == 50
    batch = fb.post_metrics(PAGE_REF, ids, meta.token)
    assert batch.calls == 1
    assert len(wire.requests) == 1
    assert wire.requests[0].method == "GET"
    assert batch.missing == {}
    assert sorted(batch.values) == sorted(ids)
    _no_deprecated(wire)
    for post_id in ids[:3] + ids[-2:]:
        assert _by_metric(batch.values[post_id]) == _fb_expected(meta, post_id)
        assert {v.api_version for v in batch.values[post_id]} == {h.VERSION}


def test_facebook_metrics_move_with_the_clock(
    fb: FacebookProvider, wire: Counting, meta: Sandbox
) -> None:
    created = meta.http.post(
        h.graph(f"{PAGE}/feed"),
        data={"access_token": meta.token.access_token, "message": "Peonies this week"},
    )
    assert created.status_code == 200, created.text
    post_id = created.json()["id"]
    meta.advance(3 * 3600)
    before = _by_metric(fb.post_metrics(PAGE_REF, [post_id], meta.token).values[post_id])
    assert before == _fb_expected(meta, post_id)
    meta.advance(2 * 86400)
    after = _by_metric(fb.post_metrics(PAGE_REF, [post_id], meta.token).values[post_id])
    assert after == _fb_expected(meta, post_id)
    assert after["impressions"][0] > before["impressions"][0]
    assert after["reactions"][0] >= before["reactions"][0]


def test_deleted_and_unknown_posts_are_missing(
    fb: FacebookProvider, wire: Counting, meta: Sandbox
) -> None:
    ids = [p["id"] for p in _listing(meta, f"{PAGE}/published_posts", "id")][:3]
    gone = meta.http.delete(h.graph(ids[1]), params={"access_token": meta.token.access_token})
    assert gone.status_code == 200, gone.text
    unknown = f"{PAGE}_999999999999"
    batch = fb.post_metrics(PAGE_REF, [*ids, unknown], meta.token)
    assert batch.calls == 2 == len(wire.requests)
    assert sorted(batch.missing) == sorted([ids[1], unknown])
    assert all("does not exist" in words for words in batch.missing.values())
    assert sorted(batch.values) == sorted([ids[0], ids[2]])
    assert _by_metric(batch.values[ids[0]]) == _fb_expected(meta, ids[0])


def test_throttled_read_raises_rate_limited(fb: FacebookProvider, meta: Sandbox) -> None:
    ids = [p["id"] for p in _listing(meta, f"{PAGE}/published_posts", "id")][:5]
    meta.overrides({"rate_limits": {"page": 3}})  # each id of a multi-id read is one call
    with pytest.raises(RateLimited) as caught:
        fb.post_metrics(PAGE_REF, ids, meta.token)
    assert caught.value.retry_after > 0
    assert caught.value.code == "80001"


def test_fault_429_raises_rate_limited(fb: FacebookProvider, meta: Sandbox) -> None:
    meta.fault(kind="status", path="/graph.facebook.com/*", status=429, times=1)
    with pytest.raises(RateLimited) as caught:
        fb.post_metrics(PAGE_REF, [f"{PAGE}_1"], meta.token)
    assert caught.value.retry_after > 0


def test_dead_token_needs_reauth(
    fb: FacebookProvider, insta: InstagramProvider, meta: Sandbox
) -> None:
    meta.overrides({"sessions": {h.DANA: 460}})  # Dana changed her password
    with pytest.raises(ReauthRequired):
        fb.post_metrics(PAGE_REF, [f"{PAGE}_1"], meta.token)
    with pytest.raises(ReauthRequired):
        insta.account_metrics(IG_REF, meta.token)


def test_page_account_metrics_with_history(
    fb: FacebookProvider, wire: Counting, meta: Sandbox
) -> None:
    now = fb.account_metrics(PAGE_REF, meta.token)
    assert now.calls == 1
    page = _raw(meta, PAGE, fields="followers_count")
    assert _by_metric(now.values) == {"followers": (page["followers_count"], "followers_count")}

    since = datetime.now(UTC) - timedelta(days=120)
    history = fb.account_metrics(PAGE_REF, meta.token, since=since)
    assert history.calls == 3 == len(wire.requests) - 1  # the page, two 90-day windows
    _no_deprecated(wire)
    followers = sorted(
        (v for v in history.values if v.metric == "followers" and v.at is not None),
        key=lambda v: v.at or since,
    )
    assert len(followers) >= 115
    assert all(v.source_field == "page_follows" for v in followers)
    assert followers[0].at is not None
    assert followers[0].at >= since
    # The last day agrees with the insights edge read by hand.
    assert followers[-1].at is not None
    day = followers[-1].at
    raw = _raw(
        meta,
        f"{PAGE}/insights",
        metric="page_follows",
        period="day",
        since=int((day - timedelta(days=1)).timestamp()),
        until=int(day.timestamp()),
    )["data"][0]["values"]
    assert {_graph_time(p["end_time"]): p["value"] for p in raw}[day] == followers[-1].value
    metrics = {v.metric for v in history.values if v.at is not None}
    assert {"followers", "follower_gain", "impressions", "page_views"} <= metrics


def test_facebook_recent_posts_page_through_ninety_days(
    fb: FacebookProvider, wire: Counting, meta: Sandbox
) -> None:
    since = datetime.now(UTC) - timedelta(days=90)
    expected = [
        p["id"]
        for p in _listing(meta, f"{PAGE}/published_posts", "id,created_time")
        if _graph_time(p["created_time"]) >= since
    ]
    recent = fb.recent_posts(PAGE_REF, meta.token, since)
    assert [p.remote_id for p in recent.posts] == expected
    assert 50 < len(expected) <= 100
    # One request on the Page's node: the first 100 posts and the Page's followers with them.
    assert recent.calls == len(wire.requests) == 1
    node = wire.requests[0]
    assert node.url.path.endswith(f"/{PAGE}")
    assert "published_posts.since(" in node.url.params["fields"]
    page = _raw(meta, PAGE, fields="followers_count")
    assert _by_metric(recent.account_values) == {
        "followers": (page["followers_count"], "followers_count")
    }
    assert all(v.at is None for v in recent.account_values)
    assert [p.published_at for p in recent.posts] == sorted(
        (p.published_at for p in recent.posts), reverse=True
    )
    _no_deprecated(wire)
    first = recent.posts[0]
    assert _by_metric(first.values) == _fb_expected(meta, first.remote_id)


def test_instagram_post_metrics_and_listing(
    insta: InstagramProvider, wire: Counting, meta: Sandbox
) -> None:
    since = datetime.now(UTC) - timedelta(days=90)
    listed = _listing(meta, f"{IG}/media", "id,timestamp,media_product_type")
    expected = [m["id"] for m in listed if _graph_time(m["timestamp"]) >= since]
    recent = insta.recent_posts(IG_REF, meta.token, since)
    assert [p.remote_id for p in recent.posts] == expected
    # 100 media a request, the first hundred on the account's node with its numbers.
    assert recent.calls == len(wire.requests) == -(-len(expected) // 100)
    assert wire.requests[0].url.path.endswith(f"/{IG}")
    assert {p.media_kind for p in recent.posts} >= {"image"}
    user = _raw(meta, IG, fields="followers_count,follows_count,media_count")
    assert _by_metric(recent.account_values) == {
        "followers": (user["followers_count"], "followers_count"),
        "following": (user["follows_count"], "follows_count"),
        "posts_count": (user["media_count"], "media_count"),
    }

    wire.requests.clear()
    ids = expected[:50]
    kinds = {m["media_product_type"] for m in listed if m["id"] in ids}
    assert "REELS" in kinds
    assert "FEED" in kinds
    batch = insta.post_metrics(IG_REF, ids, meta.token)
    assert batch.calls == 1 == len(wire.requests)
    assert sorted(batch.values) == sorted(ids)
    _no_deprecated(wire)
    for media_id in ids[:4]:
        assert _by_metric(batch.values[media_id]) == _ig_expected(meta, media_id)
    by_id = {p.remote_id: p for p in recent.posts}
    assert _by_metric(by_id[ids[0]].values) == _by_metric(batch.values[ids[0]])


def test_instagram_account_metrics_with_history(
    insta: InstagramProvider, wire: Counting, meta: Sandbox
) -> None:
    result = insta.account_metrics(IG_REF, meta.token, since=datetime.now(UTC) - timedelta(days=90))
    # The insights series expanded on the account's node: one request for both.
    assert result.calls == 1 == len(wire.requests)
    user = _raw(meta, IG, fields="followers_count,follows_count,media_count")
    assert _by_metric(result.values) == {
        "followers": (user["followers_count"], "followers_count"),
        "following": (user["follows_count"], "follows_count"),
        "posts_count": (user["media_count"], "media_count"),
    }
    gains = [v for v in result.values if v.metric == "follower_gain"]
    assert 25 <= len(gains) <= 31
    assert all(v.at is not None and v.source_field == "insights.follower_count" for v in gains)
    _no_deprecated(wire)


def test_listings_page_on_the_edge_after_the_node(
    fb: FacebookProvider,
    insta: InstagramProvider,
    wire: Counting,
    meta: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With pages smaller than the listing, the node's first page is followed by the edge's
    own pages from the ``after`` cursor: the same posts, one request a page."""
    monkeypatch.setattr(analytics, "PAGE_SIZE", 20)
    since = datetime.now(UTC) - timedelta(days=90)
    for provider, ref, edge, stamp in (
        (fb, PAGE_REF, "published_posts", "created_time"),
        (insta, IG_REF, "media", "timestamp"),
    ):
        wire.requests.clear()
        listed = _listing(meta, f"{ref.external_id}/{edge}", f"id,{stamp}")
        expected = [i["id"] for i in listed if _graph_time(i[stamp]) >= since]
        recent = provider.recent_posts(ref, meta.token, since)
        assert [p.remote_id for p in recent.posts] == expected
        pages = len(wire.requests)
        # Pages of 20 until one reaches a post older than the window (or the listing ends).
        assert pages == recent.calls == min(len(expected) // 20 + 1, -(-len(listed) // 20))
        assert [r.url.path.rsplit("/", 1)[-1] for r in wire.requests] == [
            ref.external_id,
            *[edge] * (pages - 1),
        ]
        assert {v.metric for v in recent.account_values} >= {"followers"}


def test_page_history_without_the_numbers_now(
    fb: FacebookProvider, wire: Counting, meta: Sandbox
) -> None:
    """``current=False``: the caller has today's followers from the listing; only the insights
    windows are asked."""
    since = datetime.now(UTC) - timedelta(days=120)
    history = fb.account_metrics(PAGE_REF, meta.token, since=since, current=False)
    assert history.calls == 2 == len(wire.requests)  # two 90-day windows, no node read
    assert all("/insights" in str(r.url) for r in wire.requests)
    assert not [v for v in history.values if v.at is None]
    assert {v.metric for v in history.values} >= {"followers", "follower_gain"}
    nothing = fb.account_metrics(PAGE_REF, meta.token, current=False)
    assert nothing.calls == 0
    assert nothing.values == ()


def test_instagram_history_alone_is_one_request_without_the_numbers_now(
    insta: InstagramProvider, wire: Counting, meta: Sandbox
) -> None:
    since = datetime.now(UTC) - timedelta(days=90)
    both = insta.account_metrics(IG_REF, meta.token, since=since)
    alone = insta.account_metrics(IG_REF, meta.token, since=since, current=False)
    assert alone.calls == 1
    assert len(wire.requests) == 2
    assert not [v for v in alone.values if v.at is None]
    assert {(v.metric, v.at, v.value) for v in alone.values} == {
        (v.metric, v.at, v.value) for v in both.values if v.at is not None
    }
    nothing = insta.account_metrics(IG_REF, meta.token, current=False)
    assert nothing.calls == 0
    assert len(wire.requests) == 2
