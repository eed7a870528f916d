"""How a page looks: it must not scroll sideways, and with GM_SCREENSHOT_DIR set a full-page
screenshot is kept (for looking at, not compared automatically)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Page

OVERFLOW_JS = """() => {
  const doc = document.scrollingElement;
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
    .filter(el => !el.closest('.sidebar, .sidebar-backdrop, .table-wrap, pre, .tabs'))
    .slice(0, 5)
    .map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : ''));
  return {scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth, wide};
}"""


def screenshot(page: Page, name: str, size: str) -> None:
    directory = os.environ.get("GM_SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "root"
        page.screenshot(path=str(Path(directory) / f"{size}-{slug}.png"), full_page=True)


def assert_fits(page: Page, label: str) -> None:
    result = page.evaluate(OVERFLOW_JS)
    assert result["scrollWidth"] <= result["innerWidth"], (
        f"{label} scrolls sideways: {result['scrollWidth']}px wide in a "
        f"{result['innerWidth']}px window; widest elements: {result['wide']}"
    )
