"""A person connects all four platforms from the dashboard in a real browser: click Connect,
pass each sandbox authorization page, pick Pages and organizations, and land on Connections
with every account active. Everything stays on 127.0.0.1 (the network guard checks it)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx2
import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from growth_manager.app import create_app
from growth_manager.config import Settings
from growth_manager.db import Database
from tests.e2e.flows import sign_up
from tests.sandbox.conftest import SandboxHandle, fresh_sandbox, sandbox  # noqa: F401
from tests.support.live_server import free_port
from tests.support.live_server import live_server as serve

SANDBOX_APPS = {
    "x": ("x", "sandbox-x-client"),
    "linkedin": ("linkedin", "sandbox-linkedin-client"),
    "facebook": ("meta", "1000000000000001"),
}


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def app(
    settings: Settings,
    database: Database,
    fresh_sandbox: SandboxHandle,  # noqa: F811
    port: int,
) -> FastAPI:
    """The product on a known port, so its OAuth callbacks can be registered with the sandbox."""
    public_url = f"http://127.0.0.1:{port}"
    configured = settings.model_copy(
        update={"public_url": public_url, "sandbox_url": fresh_sandbox.url}
    )
    for callback, (platform, client_id) in SANDBOX_APPS.items():
        registered = httpx2.post(
            f"{fresh_sandbox.url}/_sandbox/apps",
            json={
                "platform": platform,
                "client_id": client_id,
                "redirect_uris": [f"{public_url}/api/v1/oauth/{callback}/callback"],
            },
        )
        assert registered.status_code == 200, registered.text
    app = create_app(configured)
    app.state.database.dispose()
    app.state.database = database
    return app


@pytest.fixture
def live_server(app: FastAPI, port: int) -> Iterator[str]:
    with serve(app, port) as url:
        yield url


def connections_url(page: Page) -> str:
    return re.sub(r"(/businesses/\d+).*", r"\1/connections", page.url)


def test_connect_every_platform_from_the_dashboard(page: Page) -> None:
    sign_up(page, "dana@example.com")
    new_business = page.locator("#new")
    new_business.get_by_label("Name", exact=True).fill("Harbor Lane")
    new_business.get_by_label("Time zone").fill("America/New_York")
    new_business.get_by_role("button", name="Create business").click()
    expect(page).to_have_url(re.compile(r"/businesses/\d+$"))
    page.get_by_role("link", name="Connections").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connections")
    connections = connections_url(page)
    started = time.monotonic()

    # X: one account, straight back to Connections.
    page.get_by_test_id("connect-x").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("wants to access your X account")
    page.get_by_role("button", name="Authorize app").click()
    expect(page).to_have_url(connections)
    expect(page.locator(".flash, .alert").first).to_contain_text("Connected")

    # LinkedIn: the member and the pages they administer, chosen on our picker.
    page.get_by_test_id("connect-linkedin").click()
    page.get_by_role("button", name=re.compile("^Allow", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose what to connect")
    organizations = page.get_by_text("organization")
    expect(organizations.first).to_be_visible()
    page.get_by_role("button", name="Connect selected").click()
    expect(page).to_have_url(connections)

    # Facebook Login: pick the person, then the Pages; the Instagram account comes with them.
    page.get_by_test_id("connect-facebook").click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose what to connect")
    expect(page.get_by_text("Instagram", exact=True).first).to_be_visible()
    page.get_by_role("button", name="Connect selected").click()
    expect(page).to_have_url(connections)
    elapsed = time.monotonic() - started
    print(f"\nconnected four platforms in {elapsed:.1f} s from the first click")  # noqa: T201

    rows = page.locator("[data-testid=accounts] tbody tr")
    platforms = {row.get_attribute("data-account").split(":", 1)[0] for row in rows.all()}  # type: ignore[union-attr]
    assert platforms == {"x", "linkedin", "facebook", "instagram"}
    statuses = page.locator("[data-testid=accounts] [data-testid=status]").all_inner_texts()
    assert statuses
    assert set(statuses) == {"active"}
    expect(page.locator("[data-testid=accounts] .badge-sandbox").first).to_be_visible()
