"""The whole loop in a real browser against the sandbox: connect X, LinkedIn and a Facebook
Page, compose one post for the three with an image and an X thread, schedule it for tomorrow,
drag it to today on the calendar, watch the post page as a real dispatcher publishes it on its
minute, and follow the link to the post on the (sandbox) platform."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx2
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.publishing import PostTarget
from growth_manager.models.user import User
from growth_manager.publishing.dispatcher import Dispatcher
from growth_manager.publishing.engine import Policy, Publisher
from tests.e2e.flows import (
    connect_facebook,
    connect_linkedin,
    connect_x,
    create_business,
    sign_up,
)
from tests.e2e.looks import screenshot
from tests.support.factories import bearer_for
from tests.support.media_server import jpeg_bytes

EMAIL = "live-publisher@example.com"
# A zone where it is daytime now, so "now + 2 minutes" is today and tomorrow is one cell on.
ZONES = ("UTC", "Asia/Tokyo", "America/New_York", "Europe/Berlin", "Australia/Sydney")


def daytime_zone() -> str:
    for name in ZONES:
        if 2 <= utcnow().astimezone(ZoneInfo(name)).hour <= 21:
            return name
    return "UTC"


@pytest.fixture
def dispatcher(database: Database, sandbox_app_settings: Settings) -> Iterator[Dispatcher]:
    running = Dispatcher(
        Publisher(database, sandbox_app_settings, policy=Policy(lease=timedelta(seconds=60))),
        threads=4,
        poll_seconds=0.25,
    )
    running.start()
    yield running
    running.stop()


def upload_image(live_server: str, database: Database, business_id: int) -> None:
    with database.session() as session:
        user = session.scalars(select(User).where(User.email == EMAIL)).one()
        headers = bearer_for(session, user)
    response = httpx2.post(
        f"{live_server}/api/v1/businesses/{business_id}/media",
        files={"file": ("loaf.jpg", jpeg_bytes(), "image/jpeg")},
        headers=headers,
    )
    assert response.status_code == 201, response.text


def test_compose_schedule_drag_and_watch_it_publish_on_three_platforms(
    page: Page, database: Database, live_server: str, dispatcher: Dispatcher
) -> None:
    zone_name = daytime_zone()
    zone = ZoneInfo(zone_name)
    sign_up(page, EMAIL)
    business_id = create_business(page, "Harbor Lane", zone_name)
    connect_x(page, business_id)
    connect_linkedin(page, business_id, "Maya Lindqvist")
    connect_facebook(page, business_id, "Dana Whitfield", "Harbor Lane Florist Facebook")
    upload_image(live_server, database, business_id)

    page.goto(f"/businesses/{business_id}/compose")
    accounts = page.locator("input[name=account_ids]")
    expect(accounts).to_have_count(3)
    for box in accounts.all():
        expect(box).to_be_checked()
    page.get_by_label("Text", exact=True).fill("Tulips are in: come and pick yours")
    page.get_by_label(re.compile("Write a thread for")).check()
    page.locator("#part-0").fill("Tulips are in: come and pick yours.")
    page.get_by_role("button", name="Add a part").click()
    page.locator("#part-1").fill("Open until six, every day this week.")
    page.locator(".media-library summary").click()
    page.locator(".media-library button[data-media]").first.click()

    now = utcnow().astimezone(zone)
    when = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    tomorrow = when + timedelta(days=1)
    page.get_by_label("Date and time").fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Schedule", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/businesses/{business_id}/posts/\d+$"))
    expect(page.get_by_test_id("target-status")).to_have_count(3)
    post_url = page.url

    with database.session() as session:
        targets = list(session.scalars(select(PostTarget).order_by(PostTarget.id)))
        x_target = next(t for t in targets if t.platform == "x")
        assert x_target.parts == [
            "Tulips are in: come and pick yours.",
            "Open until six, every day this week.",
        ]
        assert all(len(t.media_ids) == 1 for t in targets)
        ids = [t.id for t in targets]

    # On the calendar: each account's post tomorrow; drag all three to today.
    page.get_by_role("link", name="Calendar", exact=True).first.click()
    today_cell = f'[role="gridcell"][data-date="{when.date().isoformat()}"]'
    for target_id in ids:
        event = f'[data-target="{target_id}"]'
        expect(page.locator("#calendar")).to_have_attribute("data-loading", "false")
        expect(page.locator(event)).to_have_count(1)
        _drag(page, event, today_cell)
        expect(page.locator("#calendar")).to_have_attribute("data-loading", "false")
        expect(page.locator(f"{today_cell} {event}")).to_have_count(1)
    screenshot(page, "calendar-live", "desktop")
    with database.session() as session:
        for target in session.scalars(select(PostTarget)):
            assert target.scheduled_at.astimezone(zone) == when

    # The post page follows the dispatcher without a reload, to the live links.
    page.goto(post_url)
    for target_id in ids:
        card = page.locator(f'article[data-target="{target_id}"]')
        expect(card).to_have_attribute("data-status", "published", timeout=240_000)
    expect(page.get_by_test_id("post-status")).to_have_text("published")
    screenshot(page, "post-published", "desktop")
    with database.session() as session:
        for target in session.scalars(select(PostTarget)):
            assert target.published_at is not None
            assert target.published_at >= target.scheduled_at

    link = page.get_by_role("link", name="See it on X")
    href = link.get_attribute("href")
    assert href
    page.goto(href)
    expect(page.get_by_text("Tulips are in: come and pick yours.")).to_be_visible()
    expect(page.get_by_text("Open until six, every day this week.")).to_be_visible()


def _drag(page: Page, source: str, target: str) -> None:
    """Press, move in steps (FullCalendar waits for real moves), release. The event's place is
    taken once the calendar has settled (a save just before re-renders its events), and the
    mouse goes there itself, so nothing is read from an element between press and move."""
    start = None
    for _ in range(50):
        expect(page.locator("#calendar")).to_have_attribute("data-loading", "false")
        start = page.locator(source).bounding_box()
        if start is not None:
            break
        page.wait_for_timeout(100)
    assert start is not None, f"{source} never showed on the calendar"
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 10, y, steps=5)
    end = page.locator(target).bounding_box()
    assert end is not None
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=20)
    page.mouse.up()
