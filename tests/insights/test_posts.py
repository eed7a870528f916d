"""The facts insights start from: every synced post once, its rates computed the one way, and
the account's followers as they were when it went out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from growth_manager.analytics import rates
from growth_manager.analytics.queries import Period
from growth_manager.db import Database
from growth_manager.insights import posts
from tests.support.analytics_rows import Seeded
from tests.support.world import World


def test_every_post_once_with_its_rates_and_the_followers_of_its_day(
    database: Database, world: World, seeded: Seeded
) -> None:
    with database.session() as session:
        facts = posts.load(session, world.bid)
    assert sorted(f.remote_post_id for f in facts) == sorted(p.id for p in seeded.posts)
    assert [f.published_at for f in facts] == sorted(f.published_at for f in facts)
    by_id = {p.id: p for p in seeded.posts}
    for fact in facts:
        seeded_post = by_id[fact.remote_post_id]
        assert fact.text == seeded_post.text
        assert fact.engagement_rate == rates.engagement_rate(seeded_post.latest)
        history = next(a for a in seeded.accounts if a.id == fact.account_id).followers
        before = [value for at, value in history if at <= fact.published_at]
        assert fact.followers == (before[-1] if before else history[0][1])
        assert fact.per_follower == fact.interactions / fact.followers  # type: ignore[operator]


def test_period_platform_and_account_filters(
    database: Database, world: World, seeded: Seeded, now: datetime
) -> None:
    period = Period(now - timedelta(days=20), now)
    x = seeded.account("x")
    with database.session() as session:
        recent = posts.load(session, world.bid, period)
        only_x = posts.load(session, world.bid, platforms=["x"])
        by_account = posts.load(session, world.bid, account_ids=[x.id])
    assert {f.remote_post_id for f in recent} == {
        p.id for p in seeded.posts if period.since <= p.published_at < period.until
    }
    assert {f.remote_post_id for f in only_x} == {p.id for p in seeded.posts if p.platform == "x"}
    assert {f.remote_post_id for f in by_account} == {f.remote_post_id for f in only_x}


def test_text_features() -> None:
    fact = posts.PostFacts(
        remote_post_id=1,
        account_id=1,
        platform="x",
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
        text="Open late? See https://example.com/a?b=1 #Bakery #bread&butter",
        media_kind=None,
        remote_url=None,
        post_id=None,
        strategy_id=None,
        imported=True,
        interactions=None,
        audience=None,
        engagement_rate=None,
        followers=None,
    )
    assert fact.hashtags == ["bakery", "bread"]
    assert fact.has_link
    assert fact.asks_question
    plain = posts.PostFacts(**{**fact.__dict__, "text": "Visit https://example.com/?q=1"})
    assert not plain.asks_question
    assert plain.per_follower is None
