"""Post performance against the account's recent usual, recomputed here from the seeded
numbers: each post's engagement rate over the median of the 30 posts before it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from growth_manager.db import Database
from tests.insights.seeding import expected_multiples
from tests.support.analytics_rows import Seeded, seed_analytics
from tests.support.world import World

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def many(database: Database, world: World, now: datetime) -> Seeded:
    return seed_analytics(database, world.bid, now, posts_per_platform=45, days=80, seed=11)


def test_each_post_against_the_median_of_the_thirty_before_it(
    many: Seeded, world: World, signed_in: object, app: object
) -> None:
    expected = expected_multiples(many)
    client: TestClient = signed_in(world.viewer.user)  # type: ignore[operator]
    base = f"/api/v1/businesses/{world.bid}/insights"
    for post in many.posts:
        answer = client.get(f"{base}/posts/{post.id}/performance")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        if post.id in expected:
            assert body["multiple"] == pytest.approx(expected[post.id])
            assert body["basis"] == "engagement_rate"
            assert body["explanation"].startswith(f"{expected[post.id]:.1f}× your usual")
        else:
            assert body["multiple"] is None


def test_top_and_bottom_posts_of_a_period(
    many: Seeded, world: World, signed_in: object, now: datetime
) -> None:
    expected = expected_multiples(many)
    since = now - timedelta(days=40)
    inside = {
        p.id: expected[p.id] for p in many.posts if p.id in expected and p.published_at >= since
    }
    client: TestClient = signed_in(world.viewer.user)  # type: ignore[operator]
    answer = client.get(
        f"/api/v1/businesses/{world.bid}/insights/performance",
        params={"since": since.isoformat(), "until": now.isoformat(), "limit": 4},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["posts_with_multiple"] == len(inside)
    best = sorted(inside, key=lambda i: -inside[i])[:4]
    worst = sorted(inside, key=lambda i: inside[i])[:4]
    assert [p["remote_post_id"] for p in body["top"]] == best
    assert [p["remote_post_id"] for p in body["bottom"]] == worst
    assert body["top"][0]["multiple"] == pytest.approx(inside[best[0]])
    x = many.account("x")
    only_x = client.get(
        f"/api/v1/businesses/{world.bid}/insights/performance",
        params={"since": since.isoformat(), "account_id": x.id, "limit": 100},
    ).json()
    assert {p["account_id"] for p in only_x["top"]} == {x.id}
