"""Browser tests: pytest-playwright on Debian's chromium against the app on a real loopback port.

- The browser is the system ``chromium`` (never ``playwright install``), launched with the flags
  that keep it from calling home on a closed network (stack.md E7). Without chromium the tests
  are skipped with a message on a developer machine, and fail in CI (``CI`` set).
- ``live_server`` runs ``create_app(settings)`` on 127.0.0.1 with the suite's shared database.
- ``network_guard`` (autouse) records every request of every page in the test's browser
  context. Anything whose host is not 127.0.0.1 fails the test. This proves the dashboard needs
  no CDN.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from playwright.sync_api import BrowserContext, ViewportSize

from tests.support.live_server import live_server as serve

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ALLOWED_HOSTS = frozenset({"127.0.0.1"})
# Schemes that never leave the browser.
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


def is_off_machine(url: str) -> bool:
    """True for a URL that would reach any host other than 127.0.0.1."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return False
    return parts.hostname not in ALLOWED_HOSTS


@dataclass
class NetworkGuard:
    """Every URL the browser asked for during one test, and the ones that were not loopback."""

    requested: list[str] = field(default_factory=list)
    offending: list[str] = field(default_factory=list)
    reported: int = 0

    def record(self, url: str) -> None:
        self.requested.append(url)
        if is_off_machine(url):
            self.offending.append(url)

    def unreported(self) -> list[str]:
        new = self.offending[self.reported :]
        self.reported = len(self.offending)
        return new

    def message(self, urls: list[str]) -> str:
        listed = "\n  ".join(urls)
        return f"The page requested something outside 127.0.0.1 (no CDN allowed):\n  {listed}"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = (
            "Debian chromium is not installed (apt-get install -y chromium, or `make "
            "system-deps`); browser tests need it. Never run `playwright install`."
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], chromium_path: str
) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": chromium_path,
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app (sharing the suite's database, see tests/conftest.py) on a real loopback port."""
    with serve(app) as url:
        yield url


@pytest.fixture
def browser_context_args(live_server: str) -> dict[str, Any]:
    # Function-scoped on purpose: each test gets its own server, so its own base URL.
    return {"base_url": live_server, "viewport": DESKTOP, "locale": "en-US"}


@pytest.fixture(autouse=True)
def network_guard(context: BrowserContext) -> Iterator[NetworkGuard]:
    guard = NetworkGuard()
    # Recorded, not intercepted: with a route on every request, the redirect after a POST (the
    # 303 after signing up) can go out with the cookie captured before the POST, so the new
    # session is lost (microsoft/playwright#41428, #35154). The network is closed anyway.
    context.on("request", lambda req: guard.record(req.url))
    context.set_default_timeout(10_000)
    yield guard
    late = guard.unreported()
    if late:
        pytest.fail(guard.message(late), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Fail the test itself (not only its teardown) when it made an off-machine request."""
    result = yield
    guard = getattr(item, "funcargs", {}).get("network_guard")
    if isinstance(guard, NetworkGuard):
        offending = guard.unreported()
        if offending:
            pytest.fail(guard.message(offending), pytrace=False)
    return result
