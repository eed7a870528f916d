"""Browser tests of the product against a fresh platform sandbox: the product on a known port,
its OAuth callbacks registered there, so a person can connect accounts and publish for real."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from growth_manager.config import Settings
from growth_manager.db import Database
from tests.support.apps import app_sharing
from tests.support.live_server import free_port
from tests.support.live_server import live_server as serve
from tests.support.sandbox import SandboxHandle, register_callbacks


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def sandbox_app_settings(settings: Settings, fresh_sandbox: SandboxHandle, port: int) -> Settings:
    """The product's settings: its public URL that port, every platform the sandbox."""
    public_url = f"http://127.0.0.1:{port}"
    register_callbacks(fresh_sandbox, public_url)
    return settings.model_copy(update={"public_url": public_url, "sandbox_url": fresh_sandbox.url})


@pytest.fixture
def app(sandbox_app_settings: Settings, database: Database) -> FastAPI:
    """The product on a known port, so its OAuth callbacks can be registered with the sandbox."""
    return app_sharing(sandbox_app_settings, database)


@pytest.fixture
def live_server(app: FastAPI, port: int) -> Iterator[str]:
    with serve(app, port) as url:
        yield url
