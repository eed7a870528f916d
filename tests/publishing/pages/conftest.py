"""The dashboard pages' fixtures: the same world as the drafts pages (tests/support/world.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.models.user import User
from tests.support.apps import app_sharing
from tests.support.world import World, make_world, media_settings, signed_in_clients


@pytest.fixture
def content_settings(settings: Settings, tmp_path: Path) -> Settings:
    return media_settings(settings, tmp_path)


@pytest.fixture
def app(content_settings: Settings, database: Database) -> FastAPI:
    return app_sharing(content_settings, database)


@pytest.fixture
def world(database: Database) -> World:
    return make_world(database)


@pytest.fixture
def signed_in(app: FastAPI) -> Iterator[Callable[[User], TestClient]]:
    """A new client with a dashboard session for a user."""
    with signed_in_clients(app) as make:
        yield make
