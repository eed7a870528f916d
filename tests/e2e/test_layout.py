"""Every main page works at phone width (no sideways scrolling) and at desktop width.

Set GM_SCREENSHOT_DIR to a directory to also keep full-page screenshots of each page at
1280x800 and 390x844 (for looking at, not compared automatically; see tests/e2e/looks.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect
from starlette.routing import Match

from growth_manager.db import Database
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.flows import sign_up
from tests.e2e.looks import assert_fits, screenshot
from tests.e2e.seed import seed_business

EMAIL = "layout@example.com"

# {b}: the business id, {s}: a strategy id, {d}: a draft id.
PUBLIC_PAGES = ["/login", "/signup"]
APP_PAGES = [
    "/businesses",
    "/businesses/{b}",
    "/businesses/{b}/strategies",
    "/businesses/{b}/strategies/new",
    "/businesses/{b}/strategies/{s}",
    "/businesses/{b}/drafts",
    "/businesses/{b}/drafts/new",
    "/businesses/{b}/drafts/{d}",
    "/businesses/{b}/connections",
    "/businesses/{b}/analytics",
    "/businesses/{b}/settings",
    "/businesses/{b}/members",
    "/account",
]


def has_page_route(app: FastAPI, path: str) -> bool:
    scope = {"type": "http", "path": path, "method": "GET"}
    return any(route.matches(scope)[0] == Match.FULL for route in app.routes)


def check_both_widths(page: Page, path: str, template: str) -> None:
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        response = page.goto(path)
        assert response is not None
        assert response.status < 400, f"{path}: HTTP {response.status}"
        assert urlsplit(page.url).path == path, f"{path} ended up at {page.url}"
        page.wait_for_load_state("networkidle")
        assert_fits(page, f"{path} at {viewport['width']}px")
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, template, size)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_fits_phone_and_desktop(page: Page, path: str) -> None:
    check_both_widths(page, path, path)


@pytest.mark.parametrize("template", APP_PAGES)
def test_app_page_fits_phone_and_desktop(
    page: Page, app: FastAPI, database: Database, template: str
) -> None:
    sign_up(page, EMAIL)
    seeded = seed_business(database, EMAIL)
    path = template.format(b=seeded.business_id, s=seeded.strategy_id, d=seeded.draft_id)
    assert has_page_route(app, path), f"{template} is not a page of the app"
    check_both_widths(page, path, template)
    if template not in ("/businesses", "/account"):  # those two belong to no business
        # The shell knows the current business: its name is in the switcher at desktop width.
        page.set_viewport_size(DESKTOP)
        page.goto(path)
        expect(page.locator(".switcher-name")).to_contain_text("Bluebird Bakery")


def test_active_navigation_item_follows_the_page(
    page: Page, app: FastAPI, database: Database
) -> None:
    sign_up(page, EMAIL)
    seeded = seed_business(database, EMAIL)
    base = f"/businesses/{seeded.business_id}"
    for label, path in (
        ("Overview", base),
        ("Strategies", f"{base}/strategies"),
        ("Drafts", f"{base}/drafts"),
        ("Drafts", f"{base}/drafts/new"),
        ("Settings", f"{base}/settings"),
        ("Members", f"{base}/members"),
        ("Connections", f"{base}/connections"),
        ("Strategies", f"{base}/strategies/{seeded.strategy_id}"),
    ):
        page.goto(path)
        active = page.locator(".nav-link[aria-current='page']")
        expect(active).to_have_count(1)
        expect(active).to_have_text(label)


def test_overflow_check_catches_a_page_wider_than_the_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.set_content('<body style="margin:0"><div style="width:600px">wide</div></body>')
    with pytest.raises(AssertionError, match="scrolls sideways"):
        assert_fits(page, "a 600px page")
