"""The draft editor in a real browser: counters follow typing (counted by the server), turn red
over the limit, previews show links, media upload attaches a thumbnail, saving keeps it all,
and a failed save names the platform and the limit without losing the text."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from growth_manager.db import Database
from tests.content.support import image_bytes
from tests.e2e.conftest import PHONE
from tests.e2e.flows import sign_up
from tests.e2e.seed import seed_business

EMAIL = "editor-e2e@example.com"


def test_live_counter_preview_upload_and_save(
    page: Page, database: Database, tmp_path: Path
) -> None:
    sign_up(page, EMAIL)
    seeded = seed_business(database, EMAIL)
    page.goto(f"/businesses/{seeded.business_id}/drafts/new")

    x_counter = page.locator("section.platform-x header .counter")
    linkedin_counter = page.locator("section.platform-linkedin header .counter")
    expect(x_counter).to_have_text("0 / 280")

    page.get_by_label("Text", exact=True).fill(
        "Fresh bread 😀 https://example.com/a/very/long/path"
    )
    # 12 + 2 + 1 + 23 on X; 50 characters elsewhere.
    expect(x_counter).to_have_text("38 / 280")
    expect(linkedin_counter).to_have_text("50 / 3000")
    expect(x_counter).not_to_have_class(re.compile("counter-over"))
    expect(page.locator("section.platform-x .preview-text a")).to_have_text(
        "https://example.com/a/very/long/path"
    )

    page.get_by_label("Text", exact=True).fill("a" * 281)
    expect(x_counter).to_have_text("281 / 280")
    expect(x_counter).to_have_class(re.compile("counter-over"))
    expect(page.locator("section.platform-x .problems li").first).to_have_text(
        "X: 281/280 characters (X counts links as 23 and emoji as 2)"
    )

    # Own text for X: prefilled from the main text, then shortened.
    page.get_by_label("Own text for X").check()
    variant = page.locator("#variant-x")
    expect(variant).to_have_value("a" * 281)
    variant.fill("Short for X #bread")
    expect(x_counter).to_have_text("18 / 280")
    expect(x_counter).not_to_have_class(re.compile("counter-over"))
    expect(page.locator("section.platform-x .preview-text .hashtag")).to_have_text("#bread")

    picture = tmp_path / "loaf.jpg"  # a PNG under a JPEG name: judged by content
    picture.write_bytes(image_bytes("PNG", (40, 30)))
    page.get_by_label("Add an image or a video").set_input_files(str(picture))
    expect(page.locator(".media-strip .media-thumb img")).to_have_count(1)
    expect(page.locator("section.platform-x .preview-media img")).to_have_count(1)
    # Instagram is image-first: its preview shows the picture (a carousel's first item).
    instagram_image = page.locator("section.platform-instagram .preview-media img")
    expect(instagram_image).to_be_visible()
    assert instagram_image.evaluate("img => img.complete && img.naturalWidth") == 40

    second = tmp_path / "crust.png"
    second.write_bytes(image_bytes("PNG", (20, 20)))
    page.get_by_label("Add an image or a video").set_input_files(str(second))
    expect(page.locator(".media-strip .media-thumb img")).to_have_count(2)
    expect(page.locator("section.platform-x .preview-media img")).to_have_count(2)
    shown = page.locator("section.platform-instagram .preview-media img:visible")
    expect(shown).to_have_count(1)
    expect(shown).to_have_attribute("src", re.compile(r".+"))
    assert shown.evaluate("img => img.naturalWidth") == 40  # the first one, not the second

    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(r"/drafts/\d+$"))
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.locator("#variant-x")).to_have_value("Short for X #bread")
    expect(page.locator(".media-strip .media-thumb")).to_have_count(2)
    expect(x_counter).to_have_text("18 / 280")
    expect(page.locator("section.platform-instagram .preview-media img:visible")).to_have_count(1)


def test_failed_save_keeps_text_and_names_the_limit(page: Page, database: Database) -> None:
    sign_up(page, EMAIL)
    seeded = seed_business(database, EMAIL)
    page.goto(f"/businesses/{seeded.business_id}/drafts/{seeded.draft_id}")
    long_text = "b" * 300
    page.get_by_label("Text", exact=True).fill(long_text)
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#draft-errors")).to_contain_text(
        "X: 300/280 characters (X counts links as 23 and emoji as 2)"
    )
    expect(page.get_by_label("Text", exact=True)).to_have_value(long_text)
    expect(page.locator("section.platform-x header .counter")).to_have_class(
        re.compile("counter-over")
    )


def test_editor_stacks_at_phone_width(page: Page, database: Database) -> None:
    sign_up(page, EMAIL)
    seeded = seed_business(database, EMAIL)
    page.set_viewport_size({"width": PHONE["width"], "height": PHONE["height"]})
    response = page.goto(f"/businesses/{seeded.business_id}/drafts/{seeded.draft_id}")
    assert response is not None
    assert response.status == 200, response.status
    text = page.get_by_label("Text", exact=True)
    expect(text).to_be_visible()
    text_box = text.bounding_box()
    x_card_box = page.locator("section.platform-x").bounding_box()
    assert text_box is not None
    assert x_card_box is not None
    assert x_card_box["y"] > text_box["y"] + text_box["height"]  # below, not beside
    assert x_card_box["width"] <= PHONE["width"]
