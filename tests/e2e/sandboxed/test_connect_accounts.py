"""A person connects all four platforms from the dashboard in a real browser: click Connect,
pass each sandbox authorization page, pick Pages and organizations, and land on Connections
with every account active. Everything stays on 127.0.0.1 (the network guard checks it)."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.flows import sign_up
from tests.e2e.looks import assert_fits, screenshot


def connections_url(page: Page) -> str:
    return re.sub(r"(/businesses/\d+).*", r"\1/connections", page.url)


def look(page: Page, name: str) -> float:
    """Keep a screenshot at desktop and phone width (GM_SCREENSHOT_DIR) and check the page
    doesn't scroll sideways on a phone; returns the seconds spent, to leave out of the timing."""
    began = time.monotonic()
    screenshot(page, name, "desktop")
    page.set_viewport_size(PHONE)
    page.reload()  # a fresh load, not the sidebar's slide-away animation after the resize
    screenshot(page, name, "phone")
    assert_fits(page, name)
    page.set_viewport_size(DESKTOP)
    page.reload()
    return time.monotonic() - began


def test_connect_every_platform_from_the_dashboard(page: Page) -> None:
    sign_up(page, "dana@example.com")
    new_business = page.locator("#new")
    new_business.get_by_label("Name", exact=True).fill("Harbor Lane")
    new_business.get_by_label("Time zone").fill("America/New_York")
    new_business.get_by_role("button", name="Create business").click()
    expect(page).to_have_url(re.compile(r"/businesses/\d+$"))
    page.get_by_role("link", name="Connections").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connections")
    look(page, "connections-empty")
    connections = connections_url(page)
    flash = page.locator(".flash").first
    started = time.monotonic()

    # X: pick the account on X's page, authorize, straight back to Connections.
    page.get_by_test_id("connect-x").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("wants to access your X account")
    page.locator("input[name=account]").first.check()
    page.get_by_role("button", name="Authorize app").click()
    expect(page).to_have_url(connections)
    expect(flash).to_contain_text("Connected")

    # LinkedIn: the member and one of the two pages they administer, chosen on our picker.
    page.get_by_test_id("connect-linkedin").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("LinkedIn")
    page.get_by_role("button", name=re.compile("^Allow", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose what to connect")
    picker = page.get_by_test_id("choose-form")
    expect(picker.get_by_text("Maya Lindqvist")).to_be_visible()
    expect(picker.get_by_role("checkbox")).to_have_count(3)
    # Nothing starts ticked: the login also sees pages unrelated to this business.
    for box in picker.get_by_role("checkbox").all():
        expect(box).not_to_be_checked()
    expect(page.get_by_test_id("choose-hint")).to_contain_text("Nothing is ticked yet")
    looking = look(page, "choose-linkedin")
    picker.get_by_role("checkbox", name=re.compile("Maya Lindqvist")).check()
    picker.get_by_role("checkbox", name=re.compile("Juniper & Rye Bakery")).check()
    page.get_by_role("button", name="Connect selected").click()
    expect(page).to_have_url(connections)
    expect(flash).to_contain_text("Maya Lindqvist (LinkedIn), Juniper & Rye Bakery (LinkedIn)")

    # Facebook Login: pick the person, then the Pages; the Instagram account comes with them.
    page.get_by_test_id("connect-facebook").click()
    page.get_by_label(re.compile("Dana Whitfield")).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Harbor Lane Florist")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose what to connect")
    expect(picker.get_by_test_id("linked-page")).to_have_text(
        "Publishes through the Facebook Page Harbor Lane Florist"
    )
    expect(picker.get_by_role("checkbox")).to_have_count(3)  # two Pages and the IG account
    looking += look(page, "choose-facebook")
    for box in picker.get_by_role("checkbox").all():
        expect(box).not_to_be_checked()
        box.check()
    page.get_by_role("button", name="Connect selected").click()
    expect(page).to_have_url(connections)
    expect(flash).to_contain_text("(Instagram)")
    elapsed = time.monotonic() - started - looking
    print(f"\nconnected four platforms in {elapsed:.1f} s from the first click")  # noqa: T201

    accounts = page.get_by_test_id("accounts")
    rows = accounts.locator("tbody tr")
    expect(rows).to_have_count(6)  # X, LinkedIn member + page, two Pages, Instagram
    keys = [row.get_attribute("data-account") or "" for row in rows.all()]
    assert sorted(k.split(":", 1)[0] for k in keys) == [
        "facebook",
        "facebook",
        "instagram",
        "linkedin",
        "linkedin",
        "x",
    ]
    assert "linkedin:urn:li:organization:90312418" not in keys  # the unticked page
    statuses = accounts.get_by_test_id("status").all_inner_texts()
    assert statuses == ["active"] * 6
    expect(accounts.locator(".badge-sandbox")).to_have_count(6)
    expect(accounts.get_by_test_id("linked-page")).to_have_text(
        "Through the Facebook Page Harbor Lane Florist"
    )
    look(page, "connections-connected")
