"""The notification bell in a real browser: visible with its count at desktop and phone
widths, it leads to the list, and marking read there empties it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from growth_manager.db import Database
from growth_manager.models.accounts import SocialAccount
from growth_manager.notifications.notices import raise_for_account
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.flows import sign_up
from tests.e2e.seed import seed_business

EMAIL = "bell-e2e@example.com"


def test_bell_counts_and_the_list_marks_read(page: Page, database: Database) -> None:
    sign_up(page, EMAIL)
    seeded = seed_business(database, EMAIL)
    with database.session() as session:
        account = SocialAccount(
            business_id=seeded.business_id,
            platform="x",
            kind="user",
            external_id="77",
            name="Bakery on X",
            access_token="a",
        )
        session.add(account)
        session.flush()
        raise_for_account(
            session, account, "reauth_required", "Bakery on X needs a new login", "Sign in again."
        )

    page.goto(f"/businesses/{seeded.business_id}")
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        bell = page.get_by_role("link", name="Notifications, 1 unread")
        expect(bell).to_be_visible()
        expect(bell.get_by_test_id("bell-count")).to_have_text("1")
    page.set_viewport_size(DESKTOP)
    page.get_by_role("link", name="Notifications, 1 unread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    item = page.get_by_test_id("notifications").locator("li").first
    expect(item.get_by_role("link", name="Bakery on X needs a new login")).to_have_attribute(
        "href", f"/businesses/{seeded.business_id}/connections"
    )
    item.get_by_role("button", name="Mark read").click()
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    expect(page.get_by_test_id("bell-count")).to_have_count(0)
    page.get_by_role("link", name="Bakery on X needs a new login").click()
    expect(page).to_have_url(re.compile(rf"/businesses/{seeded.business_id}/connections$"))
