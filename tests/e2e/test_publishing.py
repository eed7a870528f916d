"""Publishing in a real browser: compose a post for two accounts, schedule it, find it on the
calendar (FullCalendar in the business's time zone), and drag one account's post to another
day; the database then holds the new time, at the same wall-clock hour, and a move the server
refuses goes back. The accounts are stored rows: no worker publishes here."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.business import Business
from growth_manager.models.publishing import PostTarget, TargetStatus
from growth_manager.publishing.timing import zone_info
from tests.e2e.flows import sign_up
from tests.e2e.seed import seed_business

EMAIL = "publisher-e2e@example.com"
# Half an hour off UTC and far from the browser's zone: a time shown or moved in the wrong
# zone can't pass for the right one.
ZONE_NAME = "Asia/Kolkata"
ZONE = zone_info(ZONE_NAME)


def add_accounts(database: Database, business_id: int) -> tuple[int, int]:
    with database.session() as session:
        x = SocialAccount(
            business_id=business_id,
            platform="x",
            kind="user",
            external_id="x-1",
            name="Bluebird on X",
            username="bluebird",
            access_token="stored",
        )
        linkedin = SocialAccount(
            business_id=business_id,
            platform="linkedin",
            kind="organization",
            external_id="li-1",
            name="Bluebird Bakery Ltd",
            access_token="stored",
        )
        session.add_all([x, linkedin])
        session.flush()
        return x.id, linkedin.id


def target_rows(database: Database) -> dict[int, PostTarget]:
    with database.session() as session:
        rows = list(session.scalars(select(PostTarget)))
        session.expunge_all()
    return {row.social_account_id or 0: row for row in rows}


def show_day(page: Page, day: date) -> None:
    """Page the month view forward until ``day`` has a cell."""
    expect(page.locator('[role="gridcell"]').first).to_be_visible()
    if page.locator(f'[role="gridcell"][data-date="{day.isoformat()}"]').count() == 0:
        page.get_by_role("button", name=re.compile("^Next")).click()
    expect(page.locator(f'[role="gridcell"][data-date="{day.isoformat()}"]')).to_have_count(1)


def drag(page: Page, source: str, target: str) -> None:
    """Press on ``source``, move to ``target`` in steps (FullCalendar waits for real moves),
    release; once the events on screen are the server's latest."""
    expect(page.locator("#calendar")).to_have_attribute("data-loading", "false")
    page.locator(source).hover()
    page.mouse.down()
    start = page.locator(source).bounding_box()
    assert start is not None
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2, steps=5)
    page.locator(target).wait_for(state="visible")
    end = page.locator(target).bounding_box()
    assert end is not None
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=20)
    page.mouse.up()


def test_compose_schedule_see_on_calendar_and_drag_to_another_day(
    page: Page, database: Database
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_up(page, EMAIL)
    business_id = seed_business(database, EMAIL).business_id
    with database.session() as session:
        business = session.get(Business, business_id)
        assert business is not None
        business.timezone = ZONE_NAME
    x, linkedin = add_accounts(database, business_id)

    page.goto(f"/businesses/{business_id}/compose")
    expect(page.get_by_label("Bluebird on X")).to_be_checked()
    expect(page.get_by_label("Bluebird Bakery Ltd")).to_be_checked()
    page.get_by_label("Text", exact=True).fill("Sourdough Saturday is back")
    x_preview = page.locator('.preview-card[data-platform="x"]')
    expect(x_preview.locator(".preview-name")).to_have_text("Bluebird on X")
    expect(x_preview.locator(".counter")).to_have_text("26 / 280")
    expect(page.locator('.preview-card[data-platform="linkedin"] .counter')).to_have_text(
        "26 / 3000"
    )

    # Two days ahead at 10:00 on the business's clock, so the day after is on the same page.
    day = utcnow().astimezone(ZONE).date() + timedelta(days=2)
    page.get_by_label("Date and time").fill(f"{day.isoformat()}T10:00")
    page.get_by_role("button", name="Schedule", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/businesses/{business_id}/posts/\d+$"))
    expect(page.get_by_test_id("target-status")).to_have_count(2)
    expect(page.get_by_test_id("post-status")).to_have_text("scheduled")
    rows = target_rows(database)
    assert {rows[x].status, rows[linkedin].status} == {TargetStatus.scheduled}
    before = rows[x].scheduled_at
    assert (before.astimezone(ZONE).hour, before.astimezone(ZONE).minute) == (10, 0)

    page.get_by_role("link", name="Calendar", exact=True).first.click()
    event = f'[data-target="{rows[x].id}"]'
    show_day(page, day)
    expect(page.locator(event)).to_have_count(1)
    expect(page.locator(event)).to_contain_text("X · @bluebird")
    expect(page.locator(event)).to_contain_text("10:00")  # on the business's clock
    expect(page.locator(f'[data-target="{rows[linkedin].id}"]')).to_contain_text(
        "LinkedIn · Bluebird Bakery Ltd"
    )

    new_day = day + timedelta(days=1)
    cell = f'[role="gridcell"][data-date="{new_day.isoformat()}"]'
    if page.locator(cell).count() == 0:
        new_day = day - timedelta(days=1)  # the page ends on ``day``: move it earlier instead
        cell = f'[role="gridcell"][data-date="{new_day.isoformat()}"]'
    drag(page, event, cell)
    expect(page.locator("#calendar-message")).to_have_text(re.compile("Moved"))
    expect(page.locator(f"{cell} {event}")).to_have_count(1)

    rows = target_rows(database)
    after = rows[x].scheduled_at
    assert after.astimezone(ZONE).date() == new_day
    assert (after.astimezone(ZONE).hour, after.astimezone(ZONE).minute) == (10, 0)
    assert after != before
    assert rows[linkedin].scheduled_at == before  # only the dragged account's post moved

    # A worker claims the LinkedIn post while the page still shows it movable: the server
    # refuses (409), the event goes back to its day and the page says why.
    with database.session() as session:
        claimed = session.get(PostTarget, rows[linkedin].id)
        assert claimed is not None
        claimed.status = TargetStatus.publishing
    other = f'[data-target="{rows[linkedin].id}"]'
    drag(page, other, cell)
    expect(page.locator("#calendar-message")).to_contain_text("is publishing right now")
    home = f'[role="gridcell"][data-date="{day.isoformat()}"]'
    expect(page.locator(f"{home} {other}")).to_have_count(1)
    assert target_rows(database)[linkedin].scheduled_at == before

    # An event opens its post, whose page follows the targets without being reloaded.
    page.locator(event).click()
    expect(page).to_have_url(re.compile(rf"/posts/{rows[x].post_id}$"))
    x_card = page.locator(f'article[data-target="{rows[x].id}"]')
    expect(x_card).to_have_attribute("data-status", "scheduled")
    with database.session() as session:
        for target in session.scalars(select(PostTarget)):
            target.status = TargetStatus.published
            target.published_at = utcnow()
            target.remote_url = f"https://example.com/posts/{target.id}"
    expect(x_card).to_have_attribute("data-status", "published")
    expect(x_card.get_by_role("link", name="See it on X")).to_be_visible()
    expect(page.locator("#post-status")).to_have_attribute("data-polling", "off")
    assert not errors
