"""LinkedIn analytics reads over real HTTP against the sandbox: page post statistics in one
batched request, member post statistics, followers and their daily history, and the account's
recent posts. Expected numbers come from the sandbox's own audience model, never from the
provider."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from growth_manager.providers.base import AccountRef, MetricValue
from growth_manager.providers.client import PlatformHttp
from growth_manager.providers.errors import RateLimited, ReauthRequired
from growth_manager.providers.linkedin import DESCRIPTOR, LinkedInProvider, analytics, errors
from platform_sandbox import audience
from platform_sandbox.linkedin import common
from platform_sandbox.linkedin.models import LiPost, LiUsage
from tests.providers.linkedin.support import MEMBER, LinkedIn, Recorder, page_request
from tests.sandbox.linkedin.helpers import BAKERY, COFFEE
from tests.support.sandbox import SandboxHandle
from tests.support.wire import RecordingTransport

PAGE = AccountRef(external_id=BAKERY, kind="organization")
PERSON = AccountRef(external_id=MEMBER, kind="member")
SHARE_STATISTICS = "/api.linkedin.com/rest/organizationalEntityShareStatistics"


Recording = RecordingTransport


@pytest.fixture
def recorded(linkedin: LinkedIn) -> Iterator[tuple[LinkedInProvider, Recording]]:
    transport = Recording()
    http = PlatformHttp("linkedin", 10.0, errors.classify, transport=transport)
    provider = LinkedInProvider(linkedin.provider.config, http=http)
    yield provider, transport
    http.close()


def now_of(sandbox: SandboxHandle) -> datetime:
    return sandbox.ctx.clock.now()


def posts_of(sandbox: SandboxHandle, author: str) -> list[LiPost]:
    """The author's live posts, newest first."""
    with sandbox.ctx.store.session() as session:
        return list(
            session.scalars(
                select(LiPost)
                .where(LiPost.author == author, LiPost.deleted.is_(False))
                .order_by(LiPost.published_at.desc())
            )
        )


def settled_posts(sandbox: SandboxHandle, author: str, n: int) -> list[LiPost]:
    """Posts old enough (a week) that their numbers no longer move between two reads."""
    cutoff = now_of(sandbox) - timedelta(days=7)
    posts = [p for p in posts_of(sandbox, author) if p.published_at < cutoff]
    assert len(posts) >= n
    return posts[:n]


def by_metric(values: tuple[MetricValue, ...]) -> dict[str, MetricValue]:
    out = {v.metric: v for v in values if v.at is None}
    assert len(out) == len([v for v in values if v.at is None]), "a metric given twice"
    return out


def usage(sandbox: SandboxHandle, resource: str) -> int:
    """Calls the sandbox counted for ``resource`` (its daily throttle counter)."""
    with sandbox.ctx.store.session() as session:
        rows = session.scalars(
            select(LiUsage).where(LiUsage.resource == resource, LiUsage.kind == "APPLICATION")
        )
        return sum(row.count for row in rows)


def advance(linkedin: LinkedIn, seconds: float) -> None:
    response = linkedin.http.post("/_sandbox/clock", json={"advance_seconds": seconds})
    assert response.status_code == 200, response.text


# --- page posts ---------------------------------------------------------------------------


def test_descriptor_batches_page_statistics() -> None:
    assert DESCRIPTOR.metrics_batch == 100
    assert DESCRIPTOR.metrics_endpoint == "GET /rest/organizationalEntityShareStatistics"
    assert DESCRIPTOR.budget_purpose("endpoint", DESCRIPTOR.metrics_endpoint) == "Page statistics"


def test_page_post_metrics_match_the_audience_model_in_one_request(
    linkedin: LinkedIn, recorded: tuple[LinkedInProvider, Recording]
) -> None:
    provider, transport = recorded
    posts = settled_posts(linkedin.sandbox, BAKERY, 30)
    assert {p.urn.split(":")[2] for p in posts} == {"share", "ugcPost"}  # both lists used
    before = usage(linkedin.sandbox, "shareStatistics")

    batch = provider.post_metrics(PAGE, [p.urn for p in posts], linkedin.token())

    assert batch.calls == 1
    assert len(transport.requests) == 1
    assert usage(linkedin.sandbox, "shareStatistics") == before + 1
    assert batch.missing == {}
    assert set(batch.values) == {p.urn for p in posts}
    at = now_of(linkedin.sandbox)
    version = provider.config.api_version
    for post in posts:
        expected = common.metrics_of(linkedin.sandbox.ctx, post, at)
        got = by_metric(batch.values[post.urn])
        assert {m: v.value for m, v in got.items()} == {
            "impressions": expected.impressions,
            "reach": expected.reach,
            "clicks": expected.clicks,
            "likes": expected.likes,
            "comments": expected.comments,
            "shares": expected.shares,
        }
        assert got["impressions"].source_field == "totalShareStatistics.impressionCount"
        assert got["reach"].source_field == "totalShareStatistics.uniqueImpressionsCount"
        assert all(v.api_version == version for v in got.values())
        # engagement is a ratio, not a count: never stored as one.
        assert "engagements" not in got


def test_page_post_metrics_request_only_the_statistics_resource(
    linkedin: LinkedIn, recorded: tuple[LinkedInProvider, Recording]
) -> None:
    provider, transport = recorded
    posts = settled_posts(linkedin.sandbox, BAKERY, 5)
    provider.post_metrics(PAGE, [p.urn for p in posts], linkedin.token())
    [url] = transport.urls
    assert "/rest/organizationalEntityShareStatistics?q=organizationalEntity" in url
    assert f"organizationalEntity={BAKERY}" in url
    named = [p.urn for p in posts]
    for param in ("shares", "ugcPosts"):
        urns = [u for u in named if u.startswith(f"urn:li:{param[:-1]}:")]
        if urns:
            assert f"{param}=List({','.join(urns)})" in url
    # No legacy /v2 read, no time-bound query for posts.
    assert "/v2/" not in url
    assert "timeIntervals" not in url
    request = transport.requests[0]
    assert request.headers["LinkedIn-Version"] == provider.config.api_version
    assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"


def test_page_post_metrics_grow_when_the_clock_moves(linkedin: LinkedIn) -> None:
    token = linkedin.token()
    fresh = linkedin.provider.publish(
        page_request("Warm rolls just out"),
        token,
        {},
        Recorder(),
    ).remote_id
    advance(linkedin, 3600)
    first = by_metric(linkedin.provider.post_metrics(PAGE, [fresh], token).values[fresh])
    advance(linkedin, 6 * 3600)
    second = by_metric(linkedin.provider.post_metrics(PAGE, [fresh], token).values[fresh])
    assert second["impressions"].value > first["impressions"].value > 0
    with linkedin.sandbox.ctx.store.session() as session:
        post = session.get(LiPost, fresh)
        assert post is not None
        expected = common.metrics_of(linkedin.sandbox.ctx, post, now_of(linkedin.sandbox))
    # Six hours after the second read the curve moves by well under 1% per minute.
    assert second["impressions"].value == pytest.approx(expected.impressions, rel=0.01)


def test_deleted_foreign_and_unknown_posts_are_missing(
    linkedin: LinkedIn, recorded: tuple[LinkedInProvider, Recording]
) -> None:
    provider, transport = recorded
    mine = settled_posts(linkedin.sandbox, BAKERY, 4)
    foreign = settled_posts(linkedin.sandbox, COFFEE, 1)[0]
    gone = mine[1]
    with linkedin.sandbox.ctx.store.session() as session:
        row = session.get(LiPost, gone.urn)
        assert row is not None
        row.deleted = True
    asked = [mine[0].urn, gone.urn, foreign.urn, mine[2].urn, "urn:li:activity:1", mine[3].urn]

    batch = provider.post_metrics(PAGE, asked, linkedin.token())

    assert set(batch.values) == {mine[0].urn, mine[2].urn, mine[3].urn}
    assert set(batch.missing) == {gone.urn, foreign.urn, "urn:li:activity:1"}
    assert "Unpermitted fields" in batch.missing[gone.urn]
    assert "Unpermitted fields" in batch.missing[foreign.urn]
    # Each refused post costs the read once more; the activity URN is never sent.
    assert batch.calls == len(transport.requests) == 3
    assert all("urn:li:activity:1" not in url for url in transport.urls)
    at = now_of(linkedin.sandbox)
    expected = common.metrics_of(linkedin.sandbox.ctx, mine[2], at)
    assert by_metric(batch.values[mine[2].urn])["likes"].value == expected.likes


def test_throttled_statistics_read_is_rate_limited(linkedin: LinkedIn) -> None:
    token = linkedin.token()
    posts = settled_posts(linkedin.sandbox, BAKERY, 2)
    linkedin.fault("status", SHARE_STATISTICS, method="GET", status=429)
    with pytest.raises(RateLimited) as limited:
        linkedin.provider.post_metrics(PAGE, [p.urn for p in posts], token)
    assert limited.value.status == 429
    assert 0 < limited.value.retry_after <= 24 * 3600


def test_daily_statistics_limit_of_the_sandbox_is_rate_limited_until_midnight(
    linkedin: LinkedIn,
) -> None:
    linkedin.sandbox.ctx.overrides["linkedin"] = {"member_day_limits": {"shareStatistics": 1}}
    token = linkedin.token()
    posts = settled_posts(linkedin.sandbox, BAKERY, 2)
    linkedin.provider.post_metrics(PAGE, [posts[0].urn], token)
    with pytest.raises(RateLimited) as limited:
        linkedin.provider.post_metrics(PAGE, [posts[1].urn], token)
    assert limited.value.status == 429
    assert 0 < limited.value.retry_after <= 24 * 3600
    assert "MEMBER DAY limit" in limited.value.message


def test_revoked_token_needs_reauthorization(linkedin: LinkedIn) -> None:
    token = linkedin.token()
    posts = settled_posts(linkedin.sandbox, BAKERY, 1)
    assert linkedin.provider.revoke(token)
    with pytest.raises(ReauthRequired):
        linkedin.provider.post_metrics(PAGE, [posts[0].urn], token)
    with pytest.raises(ReauthRequired):
        linkedin.provider.account_metrics(PAGE, token)
    with pytest.raises(ReauthRequired):
        linkedin.provider.recent_posts(PAGE, token, now_of(linkedin.sandbox) - timedelta(days=1))


def test_expired_token_needs_reauthorization(linkedin: LinkedIn) -> None:
    token = linkedin.token()
    advance(linkedin, 61 * 86_400)
    with pytest.raises(ReauthRequired):
        linkedin.provider.account_metrics(PAGE, token)


# --- member posts -------------------------------------------------------------------------


def test_member_post_metrics_cost_one_call_per_metric(
    linkedin: LinkedIn, recorded: tuple[LinkedInProvider, Recording]
) -> None:
    provider, transport = recorded
    posts = settled_posts(linkedin.sandbox, MEMBER, 3)
    batch = provider.post_metrics(PERSON, [p.urn for p in posts], linkedin.token())
    assert batch.calls == len(transport.requests) == 3 * 5
    assert batch.missing == {}
    at = now_of(linkedin.sandbox)
    for post in posts:
        expected = common.metrics_of(linkedin.sandbox.ctx, post, at)
        got = by_metric(batch.values[post.urn])
        assert {m: (v.value, v.source_field) for m, v in got.items()} == {
            "impressions": (expected.impressions, "IMPRESSION"),
            "reach": (expected.reach, "MEMBERS_REACHED"),
            "shares": (expected.shares, "RESHARE"),
            "reactions": (expected.likes, "REACTION"),
            "comments": (expected.comments, "COMMENT"),
        }
    query_types = {
        dict(q.split("=", 1) for q in url.split("?", 1)[1].split("&"))["queryType"]
        for url in transport.urls
    }
    assert query_types == {"IMPRESSION", "MEMBERS_REACHED", "RESHARE", "REACTION", "COMMENT"}
    assert all("/rest/memberCreatorPostAnalytics?q=entity" in url for url in transport.urls)


def test_member_post_of_someone_else_is_missing(
    linkedin: LinkedIn, recorded: tuple[LinkedInProvider, Recording]
) -> None:
    provider, transport = recorded
    mine = settled_posts(linkedin.sandbox, MEMBER, 1)[0]
    page_post = settled_posts(linkedin.sandbox, BAKERY, 1)[0]
    batch = provider.post_metrics(PERSON, [page_post.urn, mine.urn], linkedin.token())
    assert set(batch.values) == {mine.urn}
    assert "Unpermitted fields" in batch.missing[page_post.urn]
    assert batch.calls == len(transport.requests) == 1 + 5


# --- account metrics ----------------------------------------------------------------------


def test_page_followers_now_in_one_call(linkedin: LinkedIn) -> None:
    result = linkedin.provider.account_metrics(PAGE, linkedin.token())
    assert result.calls == 1
    [followers] = result.values
    profile = common.profile_of(linkedin.sandbox.ctx, BAKERY)
    assert followers.metric == "followers"
    assert followers.at is None
    assert followers.source_field == "firstDegreeSize"
    assert followers.value == audience.followers_at(profile, now_of(linkedin.sandbox))


def test_page_follower_history_by_day(
    linkedin: LinkedIn, recorded: tuple[LinkedInProvider, Recording]
) -> None:
    provider, transport = recorded
    now = now_of(linkedin.sandbox)
    since = now - timedelta(days=30)
    result = provider.account_metrics(PAGE, linkedin.token(), since=since)
    assert result.calls == len(transport.requests) == 3
    profile = common.profile_of(linkedin.sandbox.ctx, BAKERY)
    first_day = since.replace(hour=0, minute=0, second=0, microsecond=0)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    days = [first_day + timedelta(days=i) for i in range((today - first_day).days)]

    gains = {v.at: v.value for v in result.values if v.metric == "follower_gain"}
    assert sorted(gains) == days
    for day in days:
        assert gains[day] == audience.followers_at(
            profile, day + timedelta(days=1)
        ) - audience.followers_at(profile, day)

    history = {v.at: v.value for v in result.values if v.metric == "followers" and v.at}
    assert sorted(history) == [day + timedelta(days=1) for day in days]
    for at, value in history.items():
        assert at is not None
        assert at.tzinfo is not None
        assert value == audience.followers_at(profile, at)
    assert history[days[0] + timedelta(days=1)] < history[today]

    impressions = {v.at: v.value for v in result.values if v.metric == "impressions"}
    assert sorted(impressions) == days
    posts = posts_of(linkedin.sandbox, BAKERY)
    day = days[-2]
    grown = sum(
        common.metrics_of(linkedin.sandbox.ctx, p, day + timedelta(days=1)).impressions
        - common.metrics_of(linkedin.sandbox.ctx, p, day).impressions
        for p in posts
        if p.published_at < day + timedelta(days=1)
    )
    assert impressions[day] == grown
    assert all(
        "timeIntervals=(timeRange:(start:" in url and "timeGranularityType:DAY" in url
        for url in transport.urls[1:]
    )


def test_member_account_metrics_are_totals_over_the_members_posts(linkedin: LinkedIn) -> None:
    result = linkedin.provider.account_metrics(PERSON, linkedin.token())
    assert result.calls == 5
    at = now_of(linkedin.sandbox)
    posts = posts_of(linkedin.sandbox, MEMBER)
    total = common.sum_metrics(
        [common.metrics_of(linkedin.sandbox.ctx, p, at) for p in posts if p.published_at < at]
    )
    got = by_metric(result.values)
    assert got["impressions"].value == pytest.approx(total.impressions, rel=0.001)
    assert got["comments"].value == pytest.approx(total.comments, rel=0.01, abs=2)
    assert got["impressions"].source_field == "me.IMPRESSION"
    assert "followers" not in got


# --- recent posts -------------------------------------------------------------------------


def test_recent_posts_page_through_the_author_finder_newest_first(
    linkedin: LinkedIn,
    recorded: tuple[LinkedInProvider, Recording],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider, transport = recorded
    monkeypatch.setattr(analytics, "POSTS_PAGE", 10)
    since = now_of(linkedin.sandbox) - timedelta(days=90)
    expected = [p for p in posts_of(linkedin.sandbox, BAKERY) if p.published_at >= since]
    assert len(expected) > 20

    result = provider.recent_posts(PAGE, linkedin.token(), since)

    assert [p.remote_id for p in result.posts] == [p.urn for p in expected]
    assert result.calls == len(transport.requests) == len(expected) // 10 + 1
    starts = [url.split("start=")[1].split("&")[0] for url in transport.urls]
    assert starts == [str(10 * i) for i in range(result.calls)]
    first = result.posts[0]
    assert first.published_at == expected[0].published_at.replace(tzinfo=UTC)
    assert first.text == expected[0].commentary
    assert first.remote_url is not None
    assert first.remote_url.endswith(f"/{first.remote_id}/")
    kinds = {p.remote_id: p.media_kind for p in result.posts}
    for post in expected:
        want = "video" if post.has_video else "image" if post.media_count else None
        assert kinds[post.urn] == want


def test_recent_posts_stop_at_since(
    linkedin: LinkedIn, recorded: tuple[LinkedInProvider, Recording]
) -> None:
    provider, transport = recorded
    since = now_of(linkedin.sandbox) - timedelta(days=10)
    expected = [p.urn for p in posts_of(linkedin.sandbox, BAKERY) if p.published_at >= since]
    result = provider.recent_posts(PAGE, linkedin.token(), since)
    assert [p.remote_id for p in result.posts] == expected
    assert result.calls == len(transport.requests) == 1
    assert all(p.values == () for p in result.posts)


def test_member_recent_posts_are_the_members_own(linkedin: LinkedIn) -> None:
    since = now_of(linkedin.sandbox) - timedelta(days=90)
    expected = [p.urn for p in posts_of(linkedin.sandbox, MEMBER) if p.published_at >= since]
    result = linkedin.provider.recent_posts(PERSON, linkedin.token(), since)
    assert [p.remote_id for p in result.posts] == expected
    assert result.calls == 1
