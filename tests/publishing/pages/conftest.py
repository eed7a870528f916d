"""The dashboard pages' fixtures: the same world as the drafts pages (tests/support/world.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from growth_manager.config import Settings
from growth_manager.db import Database
from tests.support.apps import app_sharing
from tests.support.world import media_settings


@pytest.fixture
def content_settings(settings: Settings, tmp_path: Path) -> Settings:
    return media_settings(settings, tmp_path)


@pytest.fixture
def app(content_settings: Settings, database: Database) -> FastAPI:
    return app_sharing(content_settings, database)
