"""Fixtures of a world with synced analytics: a business with a member of each role and an
outsider (tests/support/world.py), analytics rows written through the models
(tests/support/analytics_rows.py), signed-in clients. Conftests that need them import them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.user import User
from tests.support.analytics_rows import Seeded, seed_analytics
from tests.support.world import World, make_world, signed_in_clients


@pytest.fixture
def world(database: Database) -> World:
    return make_world(database)


@pytest.fixture
def now() -> datetime:
    return utcnow()


@pytest.fixture
def seeded(database: Database, world: World, now: datetime) -> Seeded:
    return seed_analytics(database, world.bid, now)


@pytest.fixture
def signed_in(app: FastAPI) -> Iterator[Callable[[User], TestClient]]:
    with signed_in_clients(app) as make:
        yield make
