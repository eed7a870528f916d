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
from platform_sandbox.platform import Platform, SandboxContext
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
        ctx = self.ctx
        ctx.store.drop_all()
        ctx.store.create_all()
        ctx.overrides.clear()
        platforms: list[Platform] = self.app.state.platforms
        with ctx.store.session() as session:
            for platform in platforms:
                platform.seed(session, ctx)
            ctx.store.set_setting(session, "seeded", True)
        ctx.clock.set_offset(0)


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
