"""Fixtures for the platform sandbox: one real uvicorn server per test session.

``sandbox`` yields a :class:`SandboxHandle` with the base URL and direct access to the app's
context; ``fresh_sandbox`` resets the state (drop, create, re-seed, clock offset 0) before the
test, so tests never see each other's posts or tokens.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI

from platform_sandbox.app import create_app
from platform_sandbox.control import reset_state
from platform_sandbox.platform import SandboxContext
from tests.support.live_server import live_server


@dataclass
class SandboxHandle:
    url: str
    app: FastAPI

    @property
    def ctx(self) -> SandboxContext:
        ctx: SandboxContext = self.app.state.sandbox
        return ctx

    def reset(self) -> None:
        # The control plane's reset: also forgets fault rules and rate-limit windows, and
        # zeroes the clock before seeding (seeded history is laid out backwards from "now").
        reset_state(self.app)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    data_dir: Path = tmp_path_factory.mktemp("sandbox")
    app = create_app(data_dir, seed=42)
    with live_server(app) as url:
        yield SandboxHandle(url=url, app=app)


@pytest.fixture
def fresh_sandbox(sandbox: SandboxHandle) -> SandboxHandle:
    sandbox.reset()
    return sandbox
