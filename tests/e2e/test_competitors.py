"""The Competitors page in a real browser: with a competitor's daily reads and the business's
own X account stored, the comparison table lists both, the followers chart draws (Chart.js
attached to the canvas) and nothing breaks the Content-Security-Policy; the page fits a
phone."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import ConsoleMessage, Page, expect
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.business import Business
from growth_manager.models.competitors import Competitor, CompetitorSnapshot
from tests.e2e.conftest import PHONE
from tests.e2e.flows import sign_up
from tests.e2e.looks import assert_fits
from tests.support.analytics_rows import seed_analytics

EMAIL = "rivals-e2e@example.com"


def test_competitors_page_draws_and_compares(page: Page, database: Database) -> None:
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
    with database.session() as session:
        business = session.scalars(select(Business)).first()
        assert business is not None
        business_id = business.id
    now = utcnow()
    seed_analytics(database, business_id, now, posts_per_platform=6, days=20, platforms=("x",))
    with database.session() as session:
        rival = Competitor(
            business_id=business_id,
            platform="x",
            handle="rivalroasters",
            handle_key="rivalroasters",
            display_name="Rival Roasters",
            remote_id="1592000000000000001",
            status="ok",
            last_synced_at=now - timedelta(hours=2),
        )
        session.add(rival)
        session.flush()
        for days_ago, followers in ((6, 1200), (3, 1260), (0, 1300)):
            session.add(
                CompetitorSnapshot(
                    competitor_id=rival.id,
                    business_id=business_id,
                    captured_at=now - timedelta(days=days_ago, hours=2),
                    followers=followers,
                    following=300,
                    posts_count=210,
                    posts_30d=1,
                    mean_interactions=40.0,
                    median_interactions=40.0,
                    posts=[
                        {
                            "id": "1",
                            "published_at": (now - timedelta(days=8)).isoformat(),
                            "metrics": {"likes": 30.0, "comments": 10.0},
                            "raw": {},
                        }
                    ],
                    api_version="2",
                )
            )

    page.goto(f"/businesses/{business_id}/competitors")
    expect(page.get_by_test_id("comparison-table")).to_be_visible()
    expect(page.get_by_test_id(f"row-competitor-{rival.id}")).to_contain_text("Rival Roasters")
    expect(page.get_by_test_id(f"row-competitor-{rival.id}")).to_contain_text("+8.3%")
    expect(page.locator("tr.is-own")).to_have_count(1)
    canvas = page.locator("#chart-followers")
    expect(canvas).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && !!window.Chart.getChart(document.getElementById('chart-followers'))"
    )
    box = canvas.bounding_box()
    assert box is not None
    assert box["width"] > 100
    assert box["height"] > 100
    assert_fits(page, "the competitors page")
    page.set_viewport_size(PHONE)
    page.reload()
    assert_fits(page, "the competitors page on a phone")
    assert page.evaluate("window.__violations || []") == []
    assert errors == []
