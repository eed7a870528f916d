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


def create_business(page: Page, name: str, zone: str) -> int:
    """From the business list: create one and land on its overview; returns its id."""
    new_business = page.locator("#new")
    new_business.get_by_label("Name", exact=True).fill(name)
    new_business.get_by_label("Time zone").fill(zone)
    new_business.get_by_role("button", name="Create business").click()
    expect(page).to_have_url(re.compile(r"/businesses/\d+$"))
    found = re.search(r"/businesses/(\d+)$", page.url)
    assert found is not None
    return int(found.group(1))


def connect_x(page: Page, business_id: int) -> None:
    """Connect the sandbox's X account: pick it on X's page and authorize."""
    page.goto(f"/businesses/{business_id}/connections")
    page.get_by_test_id("connect-x").click()
    page.locator("input[name=account]").first.check()
    page.get_by_role("button", name="Authorize app").click()
    expect(page).to_have_url(re.compile(r"/businesses/\d+/connections$"))


def connect_linkedin(page: Page, business_id: int, *names: str) -> None:
    """Allow on LinkedIn's page, then tick ``names`` on the product's picker."""
    page.goto(f"/businesses/{business_id}/connections")
    page.get_by_test_id("connect-linkedin").click()
    page.get_by_role("button", name=re.compile("^Allow", re.I)).click()
    _choose(page, names)


def connect_facebook(page: Page, business_id: int, person: str, *names: str) -> None:
    """Facebook Login as ``person``, every Page granted, then tick ``names`` on the picker."""
    page.goto(f"/businesses/{business_id}/connections")
    page.get_by_test_id("connect-facebook").click()
    page.get_by_label(re.compile(person)).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()
    _choose(page, names)


def _choose(page: Page, names: tuple[str, ...]) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose what to connect")
    picker = page.get_by_test_id("choose-form")
    for name in names:
        picker.get_by_role("checkbox", name=re.compile(re.escape(name))).check()
    page.get_by_role("button", name="Connect selected").click()
    expect(page).to_have_url(re.compile(r"/businesses/\d+/connections$"))
