"""Analytics in a real browser against the sandbox with a real worker: connect X and a LinkedIn
page, see their history charted within a minute (imported in the background), press Sync now,
watch it run and see its result."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import Page, expect

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.worker.celery_app import create_celery
from tests.e2e.flows import connect_linkedin, connect_x, create_business, sign_up
from tests.e2e.looks import screenshot
from tests.support.sandbox import SandboxHandle

EMAIL = "live-analyst@example.com"
PAGE_NAME = "Juniper & Rye Bakery"


@pytest.fixture
def worker(sandbox_app_settings: Settings, database: Database, tmp_path: Path) -> Iterator[Any]:
    """A real worker on its own SQLite broker, running the background jobs (the import)."""
    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    app: Celery = create_celery(sandbox_app_settings.model_copy(update={"broker_url": broker}))
    app.set_current()
    app.set_default()
    with start_worker(
        app, pool="threads", concurrency=2, perform_ping_check=False, queues=["default"]
    ) as running:
        yield running
    app.close()


def drawn(page: Page, canvas: str) -> list[int]:
    """Points per dataset of the Chart.js chart on ``canvas``."""
    points: list[int] = page.evaluate(
        "id => (window.Chart.getChart(document.getElementById(id))?.data.datasets || [])"
        ".map(d => d.data.filter(v => v !== null && (v.y ?? v) !== null).length)",
        canvas,
    )
    return points


def test_connect_see_history_charted_then_sync_now_and_watch_it(
    page: Page, live_server: str, worker: Any, fresh_sandbox: SandboxHandle
) -> None:
    sign_up(page, EMAIL)
    business_id = create_business(page, "Harbor Lane", "UTC")
    connect_x(page, business_id)
    connect_linkedin(page, business_id, PAGE_NAME)

    # Imported in the background: months of posts and the page's follower history appear.
    page.goto(f"/businesses/{business_id}/analytics")
    rows = page.get_by_test_id("post-row")
    for _ in range(60):
        if rows.count() > 10 and max(drawn(page, "chart-followers"), default=0) >= 25:
            break
        page.wait_for_timeout(1000)
        page.reload()
    assert rows.count() > 10, "the import showed no posts within a minute"
    followers = drawn(page, "chart-followers")
    assert max(followers, default=0) >= 25, f"a month of follower history, got {followers}"
    assert sum(drawn(page, "chart-engagement")) >= 10
    assert sum(drawn(page, "chart-comparison")) >= 2
    screenshot(page, "analytics-after-import", "desktop")

    # Slow reads, so the run can be watched.
    rule = {"kind": "delay", "path": "/api.x.com/2/tweets", "method": "GET", "delay_ms": 2500}
    assert httpx2.post(f"{fresh_sandbox.url}/_sandbox/faults", json=rule).status_code == 201
    panel = page.get_by_test_id("sync-panel")
    panel.get_by_test_id("sync-now").click()
    expect(panel.get_by_test_id("sync-running")).to_be_visible(timeout=5000)
    expect(panel.get_by_test_id("sync-now")).to_be_disabled()

    result = page.get_by_test_id("sync-result")
    expect(page.get_by_test_id("sync-running")).to_have_count(0, timeout=30000)
    expect(result).to_contain_text(re.compile(r"completed"))
    expect(result.locator("li[data-platform=x]")).to_be_visible()
    expect(result.locator("li[data-platform=linkedin]")).to_be_visible()
    history = page.get_by_test_id("sync-history")
    expect(history.locator("li")).to_have_count(3)  # two imports at connect, this sync
    expect(history).to_contain_text("manual")
    screenshot(page, "analytics-after-sync", "desktop")
