"""Steps a person takes in the dashboard, written against visible labels (what they read)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PASSWORD = "correct horse battery staple"


def sign_up(page: Page, email: str, name: str = "Dana Owner", password: str = PASSWORD) -> None:
    page.goto("/signup")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    # Anchored on the path: "/login?next=/businesses" must not count as arriving.
    expect(page).to_have_url(re.compile(r"^https?://[^/]+/businesses/?$"))
    expect(page.locator(".sidebar-user-email")).to_have_text(email)
