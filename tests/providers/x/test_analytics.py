"""Analytics reads on X through XProvider against the sandbox over HTTP: post metrics in one
batched request (private metrics only where X gives them), the account's numbers, recent posts
with paging, and the failures a sync must see."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from sqlalchemy import select

from growth_manager.providers.base import (
    METRICS,
    AccountRef,
    MetricValue,
    PostMetricsBatch,
    PublishRequest,
    TokenSet,
)
from growth_manager.providers.client import PlatformHttp
from growth_manager.providers.errors import RateLimited, ReauthRequired
from growth_manager.providers.x import XProvider
from growth_manager.providers.x.analytics import XAnalytics, created_at_of, parse, post_values
from platform_sandbox.x.common import metrics as sandbox_metrics
from platform_sandbox.x.models import XTweet, XUser
from tests.providers.x.conftest import BAKERY_ID, Steps, XSandbox, make_provider
from tests.support.recordings import load_interactions
from tests.support.sandbox import SandboxHandle

BAKERY = AccountRef(external_id=BAKERY_ID, kind="user")
# Public numbers X gives for every post, and the private ones it gives the author for 30 days
# (platform-apis.md §A.4), with the metric each becomes.
PUBLIC = {
    "like_count": "likes",
    "reply_count": "comments",
    "retweet_count": "reposts",
    "quote_count": "quotes",
    "bookmark_count": "bookmarks",
    "impression_count": "impressions",
}
PRIVATE = {
    "url_link_clicks": "clicks",
    "user_profile_clicks": "profile_clicks",
    "engagements": "engagements",
}


class Recording(httpx2.BaseTransport):
    """A real transport that remembers every URL it sent."""

    def __init__(self) -> None:
        self.inner = httpx2.HTTPTransport()
        self.urls: list[str] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.urls.append(str(request.url))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@dataclass
class Counted:
    provider: XProvider
    wire: Recording
    seen: list[str] = field(default_factory=list)

    def calls_since(self, mark: int) -> list[str]:
        return self.wire.urls[mark:]


@pytest.fixture
def counted(fresh_sandbox: SandboxHandle) -> Iterator[Counted]:
    base = make_provider(fresh_sandbox)
    wire = Recording()
    http = PlatformHttp("x", 10.0, XProvider.classify, XProvider.parse_rate_limits, transport=wire)
    provider = XProvider(base.config, http=http)
    yield Counted(provider, wire)
    http.close()
    base.http.close()


def later(x: XSandbox, provider: XProvider, token: TokenSet, seconds: float) -> TokenSet:
    """Move the platform's clock forward; access tokens live 2 hours, so renew it (as the
    product's refresh sweep would) and return the new one."""
    x.advance_clock(seconds)
    fresh = provider.refresh(token)
    x.token = fresh
    return fresh


def raw(x: XSandbox, path: str, **params: str) -> Any:
    response = httpx2.get(
        f"{x.handle.url}/api.x.com{path}",
        params=params,
        headers={"Authorization": f"Bearer {x.token.access_token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def seeded_posts(handle: SandboxHandle, user_id: str = BAKERY_ID) -> list[XTweet]:
    """The account's posts straight from the sandbox's store, newest first."""
    with handle.ctx.store.session() as session:
        rows = list(
            session.scalars(
                select(XTweet).where(XTweet.author_id == user_id).order_by(XTweet.created_at.desc())
            )
        )
        session.expunge_all()
    return rows


def sandbox_now(handle: SandboxHandle) -> datetime:
    return handle.ctx.clock.now()


def by_metric(values: tuple[MetricValue, ...]) -> dict[str, MetricValue]:
    out = {v.metric: v for v in values}
    assert len(out) == len(values), "one value per metric"
    return out


def settled(posts: list[XTweet], now: datetime, young: bool) -> list[XTweet]:
    """Posts at least 3 days old (their numbers no longer move between two reads), younger or
    older than X's 30-day window for private metrics (with a day's margin either side)."""
    out = []
    for post in posts:
        age = now - post.created_at.replace(tzinfo=UTC)
        if age < timedelta(days=3):
            continue
        if young and age < timedelta(days=28):
            out.append(post)
        if not young and age > timedelta(days=31):
            out.append(post)
    return out


def metrics_of_batch(batch: PostMetricsBatch, tweet_id: str) -> dict[str, MetricValue]:
    assert tweet_id in batch.values, batch.missing
    return by_metric(batch.values[tweet_id])


# --- post metrics ----------------------------------------------------------------------------


def test_post_metrics_match_what_x_renders_for_each_post(
    counted: Counted, token: TokenSet, x: XSandbox
) -> None:
    now = sandbox_now(x.handle)
    posts = seeded_posts(x.handle)
    young = settled(posts, now, young=True)[:4]
    old = settled(posts, now, young=False)[:4]
    assert young
    assert old
    ids = [p.id for p in young + old]

    batch = counted.provider.post_metrics(BAKERY, ids, token)

    assert batch.missing == {}
    # Read independently, one post at a time, as X renders it to the author.
    for post in young + old:
        got = metrics_of_batch(batch, post.id)
        fields = "public_metrics" + (",non_public_metrics" if post in young else "")
        rendered = raw(x, f"/2/tweets/{post.id}", **{"tweet.fields": fields})["data"]
        expected = {
            metric: float(rendered["public_metrics"][name]) for name, metric in PUBLIC.items()
        }
        for name, metric in PRIVATE.items():
            if name in rendered.get("non_public_metrics", {}):
                expected[metric] = float(rendered["non_public_metrics"][name])
        assert {m: v.value for m, v in got.items() if m != "video_views"} == expected
        for value in got.values():
            assert value.metric in METRICS
            assert value.api_version == "2"
        assert got["likes"].source_field == "public_metrics.like_count"
        if post in young:
            assert got["profile_clicks"].source_field == "non_public_metrics.user_profile_clicks"
        else:
            # Not reported for old posts: absent, never 0.
            assert not {"clicks", "profile_clicks", "engagements"} & set(got)


def test_a_post_without_a_link_has_no_clicks_rather_than_zero(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    plain = provider.publish(
        PublishRequest(BAKERY_ID, "user", ("Rye loaves today",)), token, {}, steps
    ).remote_id
    linked = provider.publish(
        PublishRequest(BAKERY_ID, "user", ("Order at https://cornerbakery.example",)),
        token,
        {},
        Steps(),
    ).remote_id
    x.advance_clock(90 * 60)  # seen for a while, still within the token's 2 hours

    batch = provider.post_metrics(BAKERY, [plain, linked], token)

    assert "clicks" not in metrics_of_batch(batch, plain)
    clicks = metrics_of_batch(batch, linked)["clicks"]
    rendered = raw(x, f"/2/tweets/{linked}", **{"tweet.fields": "non_public_metrics"})["data"]
    assert clicks.value == rendered["non_public_metrics"]["url_link_clicks"]
    assert clicks.source_field == "non_public_metrics.url_link_clicks"


def test_video_views_come_from_the_media_in_the_same_request(
    counted: Counted, token: TokenSet, x: XSandbox
) -> None:
    videos = [p for p in seeded_posts(x.handle) if p.has_video]
    photos = [p for p in seeded_posts(x.handle) if p.media_keys and not p.has_video]
    assert videos
    assert photos
    mark = len(counted.wire.urls)

    batch = counted.provider.post_metrics(BAKERY, [videos[0].id, photos[0].id], token)

    assert len(counted.calls_since(mark)) <= 2
    views = metrics_of_batch(batch, videos[0].id)["video_views"]
    assert views.source_field == "includes.media.public_metrics.view_count"
    # The sandbox's audience model: the same post's video views now.
    with x.handle.ctx.store.session() as session:
        tweet = session.get(XTweet, videos[0].id)
        author = session.get(XUser, BAKERY_ID)
        assert tweet is not None
        assert author is not None
        expected = sandbox_metrics(x.handle.ctx, tweet, author).video_views
    assert views.value == expected > 0
    assert "video_views" not in metrics_of_batch(batch, photos[0].id)


def test_one_request_reads_a_whole_batch_of_older_posts(
    counted: Counted, token: TokenSet, x: XSandbox
) -> None:
    now = sandbox_now(x.handle)
    old = [
        p.id
        for p in seeded_posts(x.handle)
        if now - p.created_at.replace(tzinfo=UTC) > timedelta(days=31)
    ]
    # Both seeded accounts' older posts: public numbers are readable for anyone's posts.
    old += [
        p.id
        for p in seeded_posts(x.handle, "1590000000000000002")
        if now - p.created_at.replace(tzinfo=UTC) > timedelta(days=31)
    ]
    ids = old[:100]
    assert len(ids) >= 60
    mark = len(counted.wire.urls)

    batch = counted.provider.post_metrics(BAKERY, ids, token)

    sent = counted.calls_since(mark)
    assert len(sent) == batch.calls == 1
    assert set(batch.values) == set(ids)
    query = parse_qs(urlsplit(sent[0]).query)
    assert query["ids"][0].split(",") == ids


def test_one_request_reads_a_batch_of_recent_posts_with_private_metrics(
    counted: Counted, token: TokenSet, x: XSandbox
) -> None:
    now = sandbox_now(x.handle)
    young = [
        p.id
        for p in seeded_posts(x.handle)
        if now - p.created_at.replace(tzinfo=UTC) < timedelta(days=28)
    ]
    mark = len(counted.wire.urls)

    batch = counted.provider.post_metrics(BAKERY, young, token)

    assert len(counted.calls_since(mark)) == batch.calls == 1
    assert set(batch.values) == set(young)
    assert all("engagements" in {v.metric for v in batch.values[i]} for i in young)
    # The same request carried the account's numbers (its posts' author, in includes.users).
    query = parse_qs(urlsplit(counted.calls_since(mark)[0]).query)
    assert "author_id" in query["expansions"][0].split(",")
    rendered = raw(x, "/2/users/me", **{"user.fields": "public_metrics"})["data"]["public_metrics"]
    folded = by_metric(batch.account_values)
    assert folded["followers"].value == rendered["followers_count"]
    assert folded["posts_count"].value == rendered["tweet_count"]
    assert folded["followers"].source_field == "public_metrics.followers_count"


def test_calls_per_thousand_posts_stay_low_when_chunked_newest_first(
    counted: Counted, token: TokenSet, x: XSandbox
) -> None:
    """Every post of the account, newest first, in chunks: one request a chunk, plus one for
    the single chunk that straddles the 30-day line."""
    ids = [p.id for p in seeded_posts(x.handle)]
    chunk = 10
    chunks = [ids[i : i + chunk] for i in range(0, len(ids), chunk)]
    mark = len(counted.wire.urls)

    calls = sum(counted.provider.post_metrics(BAKERY, c, token).calls for c in chunks)

    assert calls == len(counted.calls_since(mark))
    assert calls <= len(chunks) + 1
    # At the batch of 100 that X allows, 1,000 posts take 10 chunks: at most 11 requests.
    per_thousand = (1000 // counted.provider.descriptor.metrics_batch) + (calls - len(chunks))
    assert per_thousand <= 15


def test_posts_x_withholds_as_too_old_are_read_again_for_their_public_numbers(
    counted: Counted, token: TokenSet, x: XSandbox
) -> None:
    """The platform's clock runs ahead of ours: posts we think recent are past 30 days there.
    X withholds them from a private read; their public numbers still come back."""
    token = later(x, counted.provider, token, 6 * 86_400)
    now = sandbox_now(x.handle)
    edge = [
        p.id
        for p in seeded_posts(x.handle)
        if timedelta(days=30, hours=2) < now - p.created_at.replace(tzinfo=UTC) < timedelta(days=34)
    ]
    assert edge
    mark = len(counted.wire.urls)

    batch = counted.provider.post_metrics(BAKERY, edge, token)

    assert batch.missing == {}
    assert set(batch.values) == set(edge)
    sent = counted.calls_since(mark)
    assert len(sent) == batch.calls == 2
    assert "non_public_metrics" in parse_qs(urlsplit(sent[0]).query)["tweet.fields"][0]
    assert "non_public_metrics" not in parse_qs(urlsplit(sent[1]).query)["tweet.fields"][0]
    for tweet_id in edge:
        rendered = raw(x, f"/2/tweets/{tweet_id}", **{"tweet.fields": "public_metrics"})["data"]
        assert (
            metrics_of_batch(batch, tweet_id)["likes"].value
            == (rendered["public_metrics"]["like_count"])
        )


def test_deprecated_and_promoted_metrics_are_never_requested(
    counted: Counted, token: TokenSet, x: XSandbox
) -> None:
    ids = [p.id for p in seeded_posts(x.handle)]
    since = sandbox_now(x.handle) - timedelta(days=90)
    counted.provider.post_metrics(BAKERY, ids[:100], token)
    counted.provider.recent_posts(BAKERY, token, since)
    counted.provider.account_metrics(BAKERY, token, since)

    assert counted.wire.urls
    for url in counted.wire.urls:
        query = parse_qs(urlsplit(url).query)
        assert "promoted_metrics" not in ",".join(query.get("tweet.fields", []))
        assert "promoted_metrics" not in ",".join(query.get("media.fields", []))


def test_metrics_grow_as_the_platform_clock_moves(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    fresh = provider.publish(
        PublishRequest(BAKERY_ID, "user", ("Cinnamon rolls out of the oven",)), token, {}, steps
    ).remote_id
    x.advance_clock(3600)
    before = metrics_of_batch(provider.post_metrics(BAKERY, [fresh], token), fresh)

    token = later(x, provider, token, 6 * 3600)
    after = metrics_of_batch(provider.post_metrics(BAKERY, [fresh], token), fresh)

    assert after["impressions"].value > before["impressions"].value
    rendered = raw(x, f"/2/tweets/{fresh}", **{"tweet.fields": "public_metrics"})["data"]
    assert after["impressions"].value == rendered["public_metrics"]["impression_count"]


def test_deleted_and_unknown_posts_are_missing_with_xs_words(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    request = PublishRequest(BAKERY_ID, "user", ("Gone by noon",))
    gone = provider.publish(request, token, {}, steps).remote_id
    provider.delete(request, token, steps.done)
    kept = seeded_posts(x.handle)[5].id
    unknown = "1234567890123456789"

    batch = provider.post_metrics(BAKERY, [gone, kept, unknown], token)

    assert set(batch.values) == {kept}
    assert batch.missing == {
        gone: f"Could not find tweet with ids: [{gone}].",
        unknown: f"Could not find tweet with ids: [{unknown}].",
    }


def test_rate_limit_raises_with_the_window_reset(
    provider: XProvider, token: TokenSet, x: XSandbox
) -> None:
    ids = [p.id for p in seeded_posts(x.handle)][:5]
    x.limits("rate_limits", "GET /2/tweets", 1)
    provider.post_metrics(BAKERY, ids[:1], token)

    with pytest.raises(RateLimited) as limited:
        provider.post_metrics(BAKERY, ids, token)

    assert limited.value.status == 429
    assert 800 < limited.value.retry_after <= 900
    assert limited.value.endpoint == provider.descriptor.metrics_endpoint


def test_a_429_fault_raises_rate_limited(provider: XProvider, token: TokenSet, x: XSandbox) -> None:
    x.fault(kind="status", path="/api.x.com/2/tweets", method="GET", status=429)

    with pytest.raises(RateLimited) as limited:
        provider.post_metrics(BAKERY, [seeded_posts(x.handle)[0].id], token)

    assert limited.value.retry_after is not None
    assert limited.value.retry_after >= 0


def test_a_revoked_token_needs_reauthorization(
    provider: XProvider, token: TokenSet, x: XSandbox
) -> None:
    ids = [seeded_posts(x.handle)[0].id]
    provider.revoke(token)

    with pytest.raises(ReauthRequired):
        provider.post_metrics(BAKERY, ids, token)
    with pytest.raises(ReauthRequired):
        provider.account_metrics(BAKERY, token)
    with pytest.raises(ReauthRequired):
        provider.recent_posts(BAKERY, token, datetime.now(UTC) - timedelta(days=1))


def test_an_expired_token_needs_reauthorization(
    provider: XProvider, token: TokenSet, x: XSandbox
) -> None:
    x.advance_clock(3 * 3600)  # access tokens live 2 hours

    with pytest.raises(ReauthRequired):
        provider.account_metrics(BAKERY, token)


# --- account ---------------------------------------------------------------------------------


def test_account_metrics_are_the_users_public_numbers(
    provider: XProvider, token: TokenSet, x: XSandbox
) -> None:
    result = provider.account_metrics(BAKERY, token)

    assert result.calls == 1
    got = by_metric(result.values)
    rendered = raw(x, "/2/users/me", **{"user.fields": "public_metrics"})["data"]["public_metrics"]
    assert {m: v.value for m, v in got.items()} == {
        "followers": rendered["followers_count"],
        "following": rendered["following_count"],
        "posts_count": rendered["tweet_count"],
    }
    assert got["followers"].source_field == "public_metrics.followers_count"
    accounts = httpx2.get(f"{x.handle.url}/_sandbox/accounts", params={"platform": "x"}).json()
    bakery = next(a for a in accounts["accounts"] if a["id"] == BAKERY_ID)
    assert got["followers"].value == bakery["followers_count"]
    assert got["posts_count"].value == len(seeded_posts(x.handle))
    assert all(v.at is None for v in result.values)


def test_x_keeps_no_follower_history_so_since_gives_the_value_now(
    provider: XProvider, token: TokenSet, x: XSandbox
) -> None:
    now = provider.account_metrics(BAKERY, token)
    token = later(x, provider, token, 5 * 86_400)

    result = provider.account_metrics(BAKERY, token, since=datetime.now(UTC) - timedelta(days=30))

    assert result.calls == 1
    assert all(v.at is None for v in result.values)
    followers = by_metric(result.values)["followers"].value
    assert followers > by_metric(now.values)["followers"].value  # the audience grew
    assert not provider.descriptor.keeps_account_history
    # Without the numbers now there is nothing X could answer: no request at all.
    nothing = provider.account_metrics(BAKERY, token, since=datetime.now(UTC), current=False)
    assert nothing.calls == 0
    assert nothing.values == ()


# --- recent posts ----------------------------------------------------------------------------


def test_recent_posts_find_the_whole_seeded_history_newest_first(
    counted: Counted, token: TokenSet, x: XSandbox
) -> None:
    since = sandbox_now(x.handle) - timedelta(days=91)
    stored = [p for p in seeded_posts(x.handle) if p.in_reply_to_tweet_id is None]

    result = counted.provider.recent_posts(BAKERY, token, since)

    assert [p.remote_id for p in result.posts] == [p.id for p in stored]
    # One listing of the whole window, 100 posts a request.
    assert result.calls == len(counted.wire.urls) == -(-len(stored) // 100)
    # The account's numbers came with it (the author in includes.users), as X renders them.
    rendered = raw(x, "/2/users/me", **{"user.fields": "public_metrics"})["data"]["public_metrics"]
    folded = by_metric(result.account_values)
    assert {m: v.value for m, v in folded.items()} == {
        "followers": rendered["followers_count"],
        "following": rendered["following_count"],
        "posts_count": rendered["tweet_count"],
    }
    assert folded["followers"].source_field == "public_metrics.followers_count"
    assert all(v.at is None for v in result.account_values)
    for post, row in zip(result.posts, stored, strict=True):
        assert post.published_at == row.created_at.replace(tzinfo=UTC).replace(
            microsecond=row.created_at.microsecond // 1000 * 1000
        )
        assert post.text == row.text
        expected_kind = None if not row.media_keys else "video" if row.has_video else "image"
        assert post.media_kind == expected_kind
        values = by_metric(post.values)
        assert "likes" in values
        assert "impressions" in values
        # Public numbers only: the private ones of young posts come with their next read.
        assert not {"engagements", "profile_clicks"} & set(values)
        assert all(v.source_field.startswith(("public_metrics.", "includes.")) for v in post.values)


def test_recent_posts_leave_out_thread_parts_and_comments(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    result = provider.publish(
        PublishRequest(
            BAKERY_ID, "user", ("Bread thread 1/2", "Bread thread 2/2"), first_comment="Ask us!"
        ),
        token,
        {},
        steps,
    )

    recent = provider.recent_posts(BAKERY, token, datetime.now(UTC) - timedelta(hours=1))

    assert [p.remote_id for p in recent.posts] == [result.remote_id]
    assert recent.posts[0].remote_url == result.remote_url


def test_recent_posts_page_through_more_than_one_page(
    provider: XProvider, token: TokenSet, x: XSandbox
) -> None:
    since = sandbox_now(x.handle) - timedelta(days=91)
    stored = [p.id for p in seeded_posts(x.handle) if p.in_reply_to_tweet_id is None]
    small_pages = XAnalytics(
        http=provider.http,
        platform="x",
        api_base=provider.config.api_base,
        auth_base=provider.config.auth_base,
        page_size=10,
    )

    result = small_pages.recent_posts(BAKERY, token, since)

    assert [p.remote_id for p in result.posts] == stored
    # One window, ten posts a page (the last page may come back empty with no next token).
    assert -(-len(stored) // 10) <= result.calls <= -(-len(stored) // 10) + 1
    assert {v.metric for v in result.account_values} == {"followers", "following", "posts_count"}


# --- recorded responses ----------------------------------------------------------------------


def test_recorded_x_answers_parse_without_inventing_numbers() -> None:
    recorded = {i.cassette: i for i in load_interactions()}
    tweets = parse(recorded["test_client_get_tweets.yaml"].body)
    timeline = parse(recorded["test_client_get_users_tweets.yaml"].body)

    assert [t["id"] for t in tweets.tweets] == ["1293593516040269825", "1293595870563381249"]
    # Asked without metrics fields: no numbers, and none made up as 0.
    assert all(post_values(t, tweets.media) == () for t in tweets.tweets)
    assert (
        timeline.next_token
        == (recorded["test_client_get_users_tweets.yaml"].body["meta"]["next_token"])
    )
    # The Twitter API v2 launch post of 12 August 2020 (snowflake time in its id).
    created = created_at_of("1293593516040269825")
    assert created is not None
    assert created.date().isoformat() == "2020-08-12"
