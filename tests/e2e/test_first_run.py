"""A new owner's first session, entirely through the dashboard in headless Chromium:
sign up, create a business, create a strategy, write a draft whose X text is too long, see the
error naming X and its 280 limit, fix it, save, and find the draft in the list.

The autouse network guard (conftest.py) fails this test if any page asks for anything outside
127.0.0.1.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import NetworkGuard
from tests.e2e.flows import sign_up

TOO_LONG_FOR_X = (
    "Our Saturday brunch is back from 9am! Sourdough pancakes with whipped brown butter, "
    "eggs any way you like, proper flat whites and a table by the window with the morning "
    "sun. Bring the family, bring the dog, bring your appetite: we bake from 4am so the "
    "croissants are still warm when you walk in. See you there!"
)
FITS_X = "Saturday brunch is back from 9am: sourdough pancakes, flat whites, warm croissants."


def nav(page: Page, label: str) -> None:
    page.locator("#sidebar").get_by_role("link", name=label, exact=True).click()


def test_first_run_from_sign_up_to_a_saved_draft(page: Page, network_guard: NetworkGuard) -> None:
    assert len(TOO_LONG_FOR_X) > 280

    # Sign up: lands on the businesses page with a welcome.
    sign_up(page, "owner@bluebird.example", name="Dana Owner")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your businesses")
    expect(page.locator(".flash")).to_contain_text("Welcome")

    # Create a business.
    new_business = page.locator("#new")
    new_business.get_by_label("Name", exact=True).fill("Bluebird Bakery")
    new_business.get_by_label("Time zone").fill("Europe/London")
    new_business.get_by_label("Industry").fill("Bakery")
    new_business.get_by_role("button", name="Create business").click()
    expect(page).to_have_url(re.compile(r"/businesses/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bluebird Bakery")
    expect(page.locator(".switcher-name")).to_have_text("Bluebird Bakery")
    business_url = page.url

    # Create a strategy.
    nav(page, "Strategies")
    expect(page).to_have_url(f"{business_url}/strategies")
    page.get_by_role("main").get_by_role(
        "link", name=re.compile(r"^(New strategy|Create the first strategy)$")
    ).first.click()
    page.get_by_label("Name", exact=True).fill("Spring launch")
    page.get_by_label("Goals").fill("Fill the Saturday brunch tables")
    page.get_by_label("Target audience").fill("Local families and remote workers")
    page.get_by_label("Tone of voice").fill("Warm, playful, short sentences")
    page.get_by_role("button", name="Create strategy").click()
    expect(page.locator(".field-error")).to_have_count(0)
    expect(page.get_by_text("Spring launch").first).to_be_visible()

    # Write a draft whose X text is over the limit.
    nav(page, "Drafts")
    expect(page).to_have_url(f"{business_url}/drafts")
    expect(page.locator(".nav-link[aria-current='page']")).to_have_text("Drafts")
    page.get_by_role("main").get_by_role(
        "link", name=re.compile(r"^(New draft|Write your first draft)$")
    ).first.click()
    expect(page).to_have_url(f"{business_url}/drafts/new")
    page.get_by_label("Title").fill("Brunch is back")
    page.get_by_label("Strategy").select_option(label="Spring launch")
    page.get_by_label("Text", exact=True).fill(FITS_X)
    page.get_by_label("Own text for X").check()
    page.get_by_label("X text").fill(TOO_LONG_FOR_X)

    # The live counter already says it is too long, before saving.
    x_counter = page.locator("section.platform-x header .counter")
    expect(x_counter).to_have_text(re.compile(r"^\d+ / 280$"))
    expect(x_counter).to_have_class(re.compile(r"\bcounter-over\b"))

    # Saving is refused, with an error naming X and its limit; the text is kept.
    page.get_by_role("button", name="Save draft").click()
    errors = page.locator("#draft-errors")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text(re.compile(r"\bX: \d+/280 characters"))
    expect(page.get_by_label("X text")).to_have_value(TOO_LONG_FOR_X)

    # Fix it and save.
    page.get_by_label("X text").fill(FITS_X)
    expect(x_counter).not_to_have_class(re.compile(r"\bcounter-over\b"))
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(business_url)}/drafts/\d+$"))
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.locator("#draft-errors")).to_have_count(0)

    # The drafts list shows it, with its strategy.
    nav(page, "Drafts")
    row = page.locator("tbody tr", has_text="Brunch is back")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Spring launch")

    # Everything came from this machine.
    assert network_guard.requested
    assert network_guard.offending == []
