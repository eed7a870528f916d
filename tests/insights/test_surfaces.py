"""Where the timing and performance insights show outside the Insights page: the analytics
posts table's "vs usual" column, the post page's per-target multiple, the overview's top
posts, and the composer's suggested times."""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from growth_manager.db import Database
from growth_manager.models.analytics import RemotePost
from growth_manager.models.content import Post
from growth_manager.models.publishing import PostTarget, TargetStatus
from growth_manager.models.user import User
from tests.insights.seeding import expected_multiples
from tests.support.analytics_rows import Seeded, seed_analytics
from tests.support.world import World

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def many(database: Database, world: World, now: datetime) -> Seeded:
    return seed_analytics(database, world.bid, now, posts_per_platform=70, days=80, seed=5)


def test_the_posts_table_has_a_vs_usual_column(
    many: Seeded, world: World, signed_in: Callable[[User], TestClient]
) -> None:
    expected = expected_multiples(many)
    page = signed_in(world.viewer.user).get(f"/businesses/{world.bid}/analytics?days=30")
    assert page.status_code == 200
    rows = page.text.split('data-testid="post-row" data-remote-post-id="')[1:]
    assert rows
    for chunk in rows:
        post_id, row = chunk.split('"', 1)
        cell = re.search(r'data-column="vs_usual"[^>]*>([^<]*)</td>', row)
        assert cell is not None
        want = f"{expected[int(post_id)]:.1f}×" if int(post_id) in expected else "—"
        assert cell.group(1) == want


def test_the_overview_lists_the_periods_top_posts_with_their_multiple(
    many: Seeded, world: World, now: datetime, signed_in: Callable[[User], TestClient]
) -> None:
    expected = expected_multiples(many)
    recent = {
        p.id: expected[p.id]
        for p in many.posts
        if p.id in expected and p.published_at >= now - timedelta(days=30)
    }
    best = sorted(recent, key=lambda i: -recent[i])[:3]
    page = signed_in(world.viewer.user).get(f"/businesses/{world.bid}")
    assert 'data-testid="overview-top-posts"' in page.text
    shown = [int(i) for i in re.findall(r'<li data-remote-post-id="(\d+)"', page.text)]
    assert shown == best
    assert f"{recent[best[0]]:.1f}×</strong> your usual" in page.text


def test_the_post_page_says_how_each_published_target_is_doing(
    database: Database,
    many: Seeded,
    world: World,
    now: datetime,
    signed_in: Callable[[User], TestClient],
) -> None:
    expected = expected_multiples(many)
    x = many.account("x")
    ours = max(
        (p for p in many.posts if p.account_id == x.id and p.id in expected),
        key=lambda p: p.published_at,
    )
    with database.session() as session:
        post = Post(business_id=world.bid, title="Ours", base_text=ours.text)
        session.add(post)
        session.flush()
        target = PostTarget(
            post_id=post.id,
            business_id=world.bid,
            social_account_id=x.id,
            platform="x",
            scheduled_at=ours.published_at,
            published_at=ours.published_at,
            status=TargetStatus.published,
        )
        session.add(target)
        session.flush()
        session.execute(
            update(RemotePost).where(RemotePost.id == ours.id).values(post_target_id=target.id)
        )
        post_id = post.id
    page = signed_in(world.viewer.user).get(f"/businesses/{world.bid}/posts/{post_id}")
    assert page.status_code == 200, page.text
    found = re.search(r'data-testid="target-performance"[^>]*>(.*?)</dd>', page.text, re.DOTALL)
    assert found is not None
    said = htmllib.unescape(re.sub(r"<[^>]+>", "", found.group(1)))
    assert said.startswith(f"This post is doing {expected[ours.id]:.1f}× your usual engagement")


def test_the_composer_suggests_each_accounts_best_times(
    database: Database, world: World, now: datetime, signed_in: Callable[[User], TestClient]
) -> None:
    seed_analytics(database, world.bid, now, posts_per_platform=70, days=80, platforms=("x",))
    seed_analytics(database, world.bid, now, posts_per_platform=10, platforms=("linkedin",))
    client = signed_in(world.owner.user)
    reports = client.get(f"/api/v1/businesses/{world.bid}/insights/best-times").json()
    page = client.get(f"/businesses/{world.bid}/compose")
    assert page.status_code == 200
    assert 'data-testid="suggested-times"' in page.text
    zone = ZoneInfo(reports["accounts"][0]["zone"])
    local_now = now.astimezone(zone)
    for report in reports["accounts"]:
        block = page.text.split(f'<div data-account="{report["account_id"]}">')[1].split("</ul>")[0]
        times = re.findall(r'data-suggested-time="([^"]+)"', block)
        assert len(times) == len(report["recommendations"]) == 3
        slots = set()
        for value in times:
            at = datetime.fromisoformat(value).replace(tzinfo=zone)
            assert local_now < at <= local_now + timedelta(days=7, minutes=15)
            slots.add((at.weekday(), at.hour))
        assert slots == {(r["weekday"], r["hour"]) for r in report["recommendations"]}
        for r in report["recommendations"]:
            assert htmllib.escape(r["explanation"]) in block
        assert ("not enough data yet" in block) is (not report["enough_data"])


def test_the_queue_page_shows_the_accounts_best_times(
    many: Seeded, world: World, signed_in: Callable[[User], TestClient]
) -> None:
    client = signed_in(world.owner.user)
    x = many.account("x")
    report = client.get(
        f"/api/v1/businesses/{world.bid}/insights/best-times", params={"account_id": x.id}
    ).json()["accounts"][0]
    page = client.get(f"/businesses/{world.bid}/accounts/{x.id}/queue")
    assert page.status_code == 200, page.text
    block = page.text.split('data-testid="queue-best-times"')[1].split("</ul>")[0]
    for r in report["recommendations"]:
        assert htmllib.escape(r["explanation"]) in block
