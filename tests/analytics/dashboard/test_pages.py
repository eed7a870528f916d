"""The Analytics page and the overview's headline numbers: rendered with stored rows, every
figure checked against values recomputed here; the table's sort and filters; where numbers came
from; roles and tenancy; the sync panel (start, progress, result, history, rate-limit
warnings)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.models.accounts import RateLimitBudget
from growth_manager.models.analytics import SyncRun, SyncStatus, SyncTrigger
from growth_manager.models.user import User
from tests.support.analytics_rows import FIELDS, Seeded
from tests.support.factories import csrf_of
from tests.support.world import World

SignedIn = Callable[[User], TestClient]
ROW = re.compile(r'data-testid="post-row" data-remote-post-id="(\d+)"')


def page(client: TestClient, world: World, query: str = "") -> str:
    response = client.get(f"/businesses/{world.bid}/analytics{query}")
    assert response.status_code == 200, response.text[:500]
    return response.text


def chart_data(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="analytics-data">(.*?)</script>', html)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_the_page_lists_the_periods_posts_newest_first(
    signed_in: SignedIn, world: World, seeded: Seeded, now: datetime
) -> None:
    html = page(signed_in(world.viewer.user), world)
    recent = sorted(
        (p for p in seeded.posts if p.published_at >= now - timedelta(days=30)),
        key=lambda p: p.published_at,
        reverse=True,
    )
    assert [int(i) for i in ROW.findall(html)] == [p.id for p in recent[:25]]
    assert f"{len(recent)} in period" in html
    newest = recent[0]
    assert newest.text in html


def test_the_table_sorts_and_filters_on_the_server(
    signed_in: SignedIn, world: World, seeded: Seeded
) -> None:
    client = signed_in(world.viewer.user)
    html = page(client, world, "?days=90&sort=impressions&order=asc&platform=linkedin")
    linkedin = sorted(
        (p for p in seeded.posts if p.platform == "linkedin"),
        key=lambda p: p.latest["impressions"],
    )
    assert [int(i) for i in ROW.findall(html)] == [p.id for p in linkedin]
    assert 'aria-sort="ascending"' in html
    html = page(client, world, "?days=90&q=facebook+post+3")
    [only] = [p for p in seeded.posts if p.text.startswith("facebook post 3:")]
    assert [int(i) for i in ROW.findall(html)] == [only.id]


def test_each_number_says_where_it_came_from(
    signed_in: SignedIn, world: World, seeded: Seeded, now: datetime
) -> None:
    html = page(signed_in(world.viewer.user), world, "?platform=x")
    post = max((p for p in seeded.posts if p.platform == "x"), key=lambda p: p.published_at)
    row = html[html.index(f'data-remote-post-id="{post.id}"') :]
    row = row[: row.index('data-testid="post-row"') if 'data-testid="post-row"' in row else None]
    # The cell's tooltip and the sources popover name the platform's field and API version.
    assert f"field {FIELDS['x']['impressions']} · API 2" in row
    assert f"<code>{FIELDS['x']['likes']}</code>" in row
    assert f"{int(post.latest['impressions']):,}" in row


def test_the_charts_carry_the_stored_series(
    signed_in: SignedIn, world: World, seeded: Seeded, now: datetime
) -> None:
    data = chart_data(page(signed_in(world.viewer.user), world, "?days=7"))
    followers = {s["label"]: s for s in data["followers"]}  # type: ignore[attr-defined]
    x = seeded.account("x")
    [series] = [s for label, s in followers.items() if label.startswith("X ·")]
    in_week = [v for at, v in x.followers if at >= now - timedelta(days=7)]
    assert [v for v in series["data"] if v is not None] == in_week
    engagement = {s["platform"]: s for s in data["engagement"]}  # type: ignore[attr-defined]
    week = [p for p in seeded.posts if p.published_at >= now - timedelta(days=7)]
    for platform in {p.platform for p in week}:
        mine = [p for p in week if p.platform == platform]
        expected = sum(
            p.latest.get("reactions", p.latest.get("likes", 0))
            + sum(
                p.latest.get(k, 0) for k in ("comments", "shares", "reposts", "quotes", "bookmarks")
            )
            for p in mine
        )
        got = sum(v for v in engagement[platform]["data"] if v is not None)
        assert got == expected


def test_bad_filters_are_explained_on_the_page(signed_in: SignedIn, world: World) -> None:
    html = page(signed_in(world.viewer.user), world, "?since=someday&platform=myspace")
    assert "since must be a date" in html
    assert "Unknown platform &#39;myspace&#39;" in html


def test_another_business_is_not_found(signed_in: SignedIn, world: World, seeded: Seeded) -> None:
    client = signed_in(world.outsider.user)
    assert client.get(f"/businesses/{world.bid}/analytics").status_code == 404
    response = client.post(
        f"/businesses/{world.bid}/analytics/sync", data={"csrf_token": csrf_of(client)}
    )
    assert response.status_code == 404


def test_the_nav_links_to_the_page(signed_in: SignedIn, world: World) -> None:
    response = signed_in(world.viewer.user).get(f"/businesses/{world.bid}")
    assert f'href="/businesses/{world.bid}/analytics"' in response.text


# --- the overview -----------------------------------------------------------------------------
def test_the_overview_shows_each_platforms_last_30_days(
    signed_in: SignedIn, world: World, seeded: Seeded, now: datetime
) -> None:
    html = signed_in(world.viewer.user).get(f"/businesses/{world.bid}").text
    section = html[html.index('data-testid="overview-analytics"') :]
    section = section[: section.index("</section>")]
    for account in seeded.accounts:
        card = section[section.index(f'data-platform="{account.platform}"') :]
        card = card[: card.index("</a>")]
        end = [v for at, v in account.followers if at < now][-1]
        start = [v for at, v in account.followers if at < now - timedelta(days=30)][-1]
        assert f"{end:,.0f}" in card
        assert f"{end - start:+,.0f}" in card
        posts = [
            p
            for p in seeded.posts
            if p.platform == account.platform and p.published_at >= now - timedelta(days=30)
        ]
        top = sum(
            p.latest.get("reactions", p.latest.get("likes", 0))
            + sum(
                p.latest.get(k, 0) for k in ("comments", "shares", "reposts", "quotes", "bookmarks")
            )
            for p in posts
        )
        bottom = sum(p.latest["impressions"] for p in posts)
        assert f"{top / bottom * 100:.2f}%" in card
    assert f'href="/businesses/{world.bid}/analytics"' in section


def test_the_overview_without_numbers_says_so(signed_in: SignedIn, world: World) -> None:
    html = signed_in(world.viewer.user).get(f"/businesses/{world.bid}").text
    assert "No numbers yet" in html


# --- the sync panel ---------------------------------------------------------------------------
def test_viewers_see_the_panel_without_the_button(
    signed_in: SignedIn, world: World, seeded: Seeded
) -> None:
    html = page(signed_in(world.viewer.user), world)
    assert 'data-testid="sync-panel"' in html
    assert 'data-testid="sync-now"' not in html
    assert 'Last synced <strong data-testid="last-synced">never</strong>' in html
    client = signed_in(world.viewer.user)
    response = client.post(
        f"/businesses/{world.bid}/analytics/sync", data={"csrf_token": csrf_of(client)}
    )
    assert response.status_code == 403


def test_sync_now_starts_a_run_and_the_panel_follows_it(
    signed_in: SignedIn, world: World, seeded: Seeded, database: Database
) -> None:
    client = signed_in(world.editor.user)
    assert 'data-testid="sync-now"' in page(client, world)
    refused = client.post(f"/businesses/{world.bid}/analytics/sync", data={})
    assert refused.status_code == 403  # no CSRF token
    response = client.post(
        f"/businesses/{world.bid}/analytics/sync",
        data={"csrf_token": csrf_of(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with database.session() as session:
        [run] = session.scalars(select(SyncRun).where(SyncRun.business_id == world.bid)).all()
        assert run.trigger is SyncTrigger.manual
        assert run.requested_by_id == world.editor.user.id
    panel = client.get(f"/businesses/{world.bid}/analytics/sync")
    assert panel.status_code == 200
    assert 'data-polling="on"' in panel.text
    assert f'hx-get="/businesses/{world.bid}/analytics/sync"' in panel.text
    assert 'data-testid="sync-progress"' in panel.text


def test_the_panel_shows_the_last_result_and_history(
    signed_in: SignedIn, world: World, seeded: Seeded, database: Database, now: datetime
) -> None:
    with database.session() as session:
        session.add(
            SyncRun(
                business_id=world.bid,
                trigger=SyncTrigger.schedule,
                status=SyncStatus.partial,
                started_at=now - timedelta(minutes=30),
                finished_at=now - timedelta(minutes=29),
                total_posts=40,
                synced=31,
                failed=2,
                rate_limited=7,
                by_platform={
                    "x": {"total_posts": 20, "synced": 13, "rate_limited": 7},
                    "linkedin": {"total_posts": 20, "synced": 18, "failed": 2},
                },
                errors=[{"platform": "linkedin", "account": "Bloom", "message": "Not found"}],
            )
        )
    html = page(signed_in(world.viewer.user), world)
    result = html[html.index('data-testid="sync-result"') :]
    assert "31 synced, 2 failed, 7 deferred by rate limits" in result
    assert "13/20 posts" in result
    assert "7 rate-limited" in result
    assert "Not found" in result
    assert 'data-testid="sync-history"' in html
    assert 'data-polling="off"' in html


def test_a_nearly_spent_budget_is_a_warning_before_the_sync(
    signed_in: SignedIn, world: World, seeded: Seeded, database: Database, now: datetime
) -> None:
    x = seeded.account("x")
    with database.session() as session:
        session.add_all(
            [
                RateLimitBudget(
                    social_account_id=x.id,
                    scope="endpoint",
                    endpoint="GET /2/tweets",
                    limit=900,
                    remaining=40,
                    reset_at=now + timedelta(minutes=10),
                    observed_at=now,
                ),
                RateLimitBudget(  # plenty left: no warning
                    social_account_id=x.id,
                    scope="endpoint",
                    endpoint="GET /2/users/me",
                    limit=75,
                    remaining=70,
                    reset_at=now + timedelta(minutes=10),
                    observed_at=now,
                ),
            ]
        )
    html = page(signed_in(world.viewer.user), world)
    warnings = re.findall(r'data-testid="rate-limit-warning" title="([^"]+)"', html)
    assert warnings == ["GET /2/tweets"]
    assert "has 40 of 900 calls left" in html
