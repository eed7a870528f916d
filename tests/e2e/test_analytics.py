"""The Analytics page in a real browser: with stored numbers, its three charts draw (a canvas
each, Chart.js attached, no console or CSP errors), and the posts table sorts by a column on
click, in the order the stored numbers give.

Set GM_SCREENSHOT_DIR to keep a full-page screenshot of the page with data."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page, expect
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.analytics import SyncRun, SyncStatus, SyncTrigger
from growth_manager.models.business import Business
from tests.e2e.flows import sign_up
from tests.e2e.looks import assert_fits
from tests.support.analytics_rows import seed_analytics

EMAIL = "analyst-e2e@example.com"


def engagement_rate(latest: dict[str, float]) -> float:
    """The documented formula, restated: (reactions or likes, comments, shares, reposts,
    quotes, saves, bookmarks) over impressions, else reach."""
    first = latest["reactions"] if "reactions" in latest else latest.get("likes", 0)
    others = ("comments", "shares", "reposts", "quotes", "saves", "bookmarks")
    audience = latest.get("impressions") or latest.get("reach") or 0
    return (first + sum(latest.get(n, 0) for n in others)) / audience if audience else 0.0


def business_of(database: Database) -> int:
    with database.session() as session:
        business = session.scalars(select(Business)).first()
        assert business is not None
        return business.id


def test_charts_draw_and_the_table_sorts(page: Page, database: Database) -> None:
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "(window.__violations = window.__violations || []).push(e.violatedDirective));"
    )
    sign_up(page, EMAIL)
    page.goto("/businesses")
    new_business = page.locator("#new")
    new_business.get_by_label("Name", exact=True).fill("Bloom Bakery")
    new_business.get_by_label("Time zone").fill("Europe/Berlin")
    new_business.get_by_role("button", name="Create business").click()
    business_id = business_of(database)
    now = utcnow()
    seeded = seed_analytics(database, business_id, now, posts_per_platform=8, days=30)
    with database.session() as session:
        session.add(
            SyncRun(
                business_id=business_id,
                trigger=SyncTrigger.schedule,
                status=SyncStatus.completed,
                started_at=now - timedelta(minutes=42),
                finished_at=now - timedelta(minutes=41),
                total_posts=len(seeded.posts),
                synced=len(seeded.posts),
                by_platform={a.platform: {"total_posts": 8, "synced": 8} for a in seeded.accounts},
            )
        )

    page.goto(f"/businesses/{business_id}/analytics")
    page.get_by_role("link", name="Analytics").first.wait_for()
    expect(page.locator("body")).to_have_attribute("data-charts", "ready")
    for name in ("followers", "engagement", "comparison"):
        canvas = page.locator(f"#chart-{name}")
        expect(canvas).to_be_visible()
        attached = page.evaluate(
            "(id) => !!window.Chart.getChart(document.getElementById(id))", f"chart-{name}"
        )
        assert attached, f"no chart drawn on #chart-{name}"
        box = canvas.bounding_box()
        assert box is not None
        assert box["width"] > 100
        assert box["height"] > 100
    rows = page.get_by_test_id("post-row")
    expect(rows).to_have_count(len(seeded.posts))
    assert_fits(page, "the analytics page")

    directory = os.environ.get("GM_SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / "desktop-analytics.png"), full_page=True)
        page.goto(f"/businesses/{business_id}")
        page.screenshot(path=str(Path(directory) / "desktop-overview.png"), full_page=True)
        page.goto(f"/businesses/{business_id}/analytics")

    # Sort by impressions: highest first, then (clicked again) lowest first.
    page.locator('a[data-sort="impressions"]').click()
    expect(page.locator('th[aria-sort="descending"] a[data-sort="impressions"]')).to_be_visible()
    by_impressions = sorted(seeded.posts, key=lambda p: -p.latest["impressions"])
    shown = [int(i) for i in rows.evaluate_all("rs => rs.map(r => r.dataset.remotePostId)")]
    assert shown == [p.id for p in by_impressions]

    page.locator('a[data-sort="engagement_rate"]').click()
    expect(
        page.locator('th[aria-sort="descending"] a[data-sort="engagement_rate"]')
    ).to_be_visible()
    page.locator('a[data-sort="engagement_rate"]').click()
    expect(page.locator('th[aria-sort="ascending"] a[data-sort="engagement_rate"]')).to_be_visible()
    expected = sorted(seeded.posts, key=lambda p: engagement_rate(p.latest))
    shown = [int(i) for i in rows.evaluate_all("rs => rs.map(r => r.dataset.remotePostId)")]
    assert shown == [p.id for p in expected]

    assert page.evaluate("window.__violations || []") == []
    assert errors == []
