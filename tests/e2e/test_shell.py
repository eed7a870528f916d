"""The shell itself: assets load from this machine only, the libraries start, and the network
guard really catches a request to another host."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Response, Route, expect
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.models.business import Business, BusinessMember, Role
from growth_manager.models.user import User
from tests.e2e.conftest import NetworkGuard, is_off_machine
from tests.e2e.flows import sign_up
from tests.e2e.seed import seed_business


@pytest.mark.parametrize(
    ("url", "off"),
    [
        ("http://127.0.0.1:8000/static/css/app.css", False),
        ("http://localhost:8000/", True),
        ("https://cdn.jsdelivr.net/npm/htmx.org", True),
        ("https://unpkg.com/alpinejs", True),
        ("http://[::1]:8000/", True),
        ("data:image/svg+xml,<svg/>", False),
        ("blob:http://127.0.0.1:8000/uuid", False),
        ("about:blank", False),
    ],
)
def test_only_loopback_counts_as_on_machine(url: str, off: bool) -> None:
    assert is_off_machine(url) is off


def test_guard_catches_a_request_to_another_host(page: Page, network_guard: NetworkGuard) -> None:
    # about:blank has no CSP, so the browser really tries (192.0.2.0/24 is reserved for
    # documentation and never answers); the guard records it.
    page.set_content('<img src="http://192.0.2.1/pixel.png" alt="">')
    page.wait_for_timeout(200)
    assert "http://192.0.2.1/pixel.png" in network_guard.offending
    # Acknowledge it, so this test (which provoked it on purpose) passes.
    network_guard.unreported()


def test_public_pages_load_their_assets_from_this_machine(
    page: Page, network_guard: NetworkGuard
) -> None:
    failed: list[str] = []
    errors: list[str] = []

    def on_response(response: Response) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for path in ("/login", "/signup"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("typeof window.htmx") == "object"
        assert page.evaluate("typeof window.Alpine") == "object"
        assert page.evaluate("typeof window.GM.csrfToken") == "function"
    assert failed == []
    assert errors == []
    assert any("/static/vendor/htmx.min.js" in url for url in network_guard.requested)
    assert network_guard.offending == []


def test_shell_shows_the_user_and_logs_out(page: Page) -> None:
    sign_up(page, "shell@example.com")
    expect(page.locator(".sidebar-user-email")).to_have_text("shell@example.com")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator(".flash")).to_contain_text("logged out")


def test_phone_menu_opens_and_closes(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_up(page, "phone@example.com")
    sidebar = page.locator("#sidebar")
    expect(sidebar).not_to_be_visible()
    menu = page.get_by_role("button", name="Menu")
    box = menu.bounding_box()
    assert box is not None
    assert box["width"] >= 40, "the menu button is too small to tap"
    assert box["height"] >= 40, "the menu button is too small to tap"
    menu.click()
    expect(sidebar).to_be_visible()
    expect(sidebar.get_by_role("button", name="Log out")).to_be_visible()
    page.keyboard.press("Escape")
    expect(sidebar).not_to_be_visible()


def test_vendored_calendar_and_chart_start_in_the_browser(page: Page) -> None:
    page.goto("/login")
    for path in (
        "vendor/fullcalendar/skeleton.css",
        "vendor/fullcalendar/classic/palette.css",
        "vendor/fullcalendar/classic/theme.css",
    ):
        page.add_style_tag(url=f"/static/{path}")
    for path in (
        "vendor/temporal-polyfill.global.js",
        "vendor/fullcalendar/global.js",
        "vendor/fullcalendar/classic/global.js",
        "vendor/chart.umd.min.js",
    ):
        page.add_script_tag(url=f"/static/{path}")
    page.evaluate(
        """() => {
        const cal = document.createElement('div');
        const canvas = document.createElement('canvas');
        document.body.append(cal, canvas);
        new FullCalendar.Calendar(cal, {
          initialView: 'dayGridMonth', initialDate: '2026-11-01',
          events: [{title: 'Brunch post', start: '2026-11-12T09:00:00Z'}],
        }).render();
        new Chart(canvas, {type: 'line', data: {labels: ['Mon', 'Tue'],
          datasets: [{label: 'Followers', data: [1, 3]}]}});
      }"""
    )
    expect(page.get_by_text("Brunch post")).to_be_visible()
    assert page.evaluate("typeof Temporal.PlainDate") == "function"
    assert page.evaluate("Object.keys(Chart.instances).length") == 1


def test_htmx_requests_carry_the_csrf_token(page: Page) -> None:
    # htmx 4 no longer inherits hx-headers from <body>; app.js adds the header to every
    # state-changing htmx request of an element anywhere in the page.
    sent: list[dict[str, str]] = []

    def capture(route: Route) -> None:
        sent.append(route.request.headers)
        route.fulfill(status=204, body="")

    page.goto("/login")
    page.route("**/_probe", capture)
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token
    page.evaluate(
        """() => {
        const form = document.querySelector('form');
        const button = document.createElement('button');
        button.type = 'button';
        button.id = 'probe';
        button.textContent = 'Probe';
        button.setAttribute('hx-post', '/_probe');
        button.setAttribute('hx-swap', 'none');
        form.append(button);
        htmx.process(button);
      }"""
    )
    page.locator("#probe").click()
    page.wait_for_timeout(300)
    assert len(sent) == 1
    assert sent[0].get("x-csrf-token") == token
    assert sent[0].get("hx-request") == "true"


def test_business_switcher_lists_the_users_businesses(page: Page, database: Database) -> None:
    sign_up(page, "switcher@example.com")
    first = seed_business(database, "switcher@example.com")
    with database.session() as session:
        user = session.scalars(select(User).where(User.email == "switcher@example.com")).one()
        other = Business(name="Northwind Cycles", timezone="UTC")
        session.add(other)
        session.flush()
        session.add(BusinessMember(business_id=other.id, user_id=user.id, role=Role.editor))
        other_id = other.id
    page.goto(f"/businesses/{first.business_id}")
    expect(page.locator(".switcher-name")).to_contain_text("Bluebird Bakery")
    menu = page.locator(".switcher-menu")
    expect(menu).not_to_be_visible()
    page.locator(".switcher-current").click()
    expect(menu).to_be_visible()
    expect(menu.locator("a[aria-current='true']")).to_contain_text("Bluebird Bakery")
    expect(menu.get_by_role("link", name=re.compile("Northwind Cycles"))).to_contain_text("editor")
    menu.get_by_role("link", name=re.compile("Northwind Cycles")).click()
    expect(page).to_have_url(re.compile(rf"/businesses/{other_id}$"))
    expect(page.locator(".switcher-name")).to_have_text("Northwind Cycles")
    expect(page.locator(".nav-link[aria-current='page']")).to_have_text("Overview")
