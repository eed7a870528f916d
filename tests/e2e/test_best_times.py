"""Best times in a real browser: the Insights page draws each account's heatmap and weekly
growth chart under the page's CSP, and a suggested time in the composer fills the date and
time field."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from tests.e2e.flows import sign_up
from tests.e2e.seed import seed_business
from tests.support.analytics_rows import seed_analytics

EMAIL = "best-times-e2e@example.com"


def test_heatmap_and_a_suggested_time_filling_the_composer(page: Page, database: Database) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    sign_up(page, EMAIL)
    business_id = seed_business(database, EMAIL).business_id
    seed_analytics(
        database, business_id, utcnow(), posts_per_platform=70, days=80, platforms=("x",)
    )

    page.goto(f"/businesses/{business_id}/insights?days=90")
    heatmap = page.get_by_test_id("besttime-heatmap")
    expect(heatmap).to_be_visible()
    expect(heatmap.locator("td.bt-cell")).to_have_count(168)
    expect(page.get_by_test_id("besttime-recommendations").locator("li")).to_have_count(3)
    expect(page.get_by_test_id("performance-top")).to_be_visible()
    expect(page.get_by_test_id("growth-weeks")).to_be_visible()
    chart = page.get_by_test_id("growth-chart")
    expect(chart).to_be_visible()
    bars = page.evaluate(
        "() => window.Chart.getChart(document.querySelector('canvas.growth-chart'))"
        ".data.datasets[0].data.length"
    )
    assert bars == page.get_by_test_id("growth-weeks").locator("tbody tr").count()

    page.goto(f"/businesses/{business_id}/compose")
    first = page.locator("[data-suggested-time]").first
    expect(first).to_be_visible()
    wanted = first.get_attribute("data-suggested-time")
    assert wanted
    first.click()
    expect(page.get_by_label("Date and time")).to_have_value(wanted)
    assert errors == []
