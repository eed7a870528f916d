"""The Insights page shows the best-time heatmaps (or the stated fallback), the top and bottom
posts and the weekly growth, rendered for a viewer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from growth_manager.db import Database
from growth_manager.models.user import User
from tests.support.analytics_rows import seed_analytics
from tests.support.world import World

pytestmark = pytest.mark.usefixtures("app")


def test_the_insights_page_shows_heatmaps_performance_and_growth(
    database: Database, world: World, now: datetime, signed_in: Callable[[User], TestClient]
) -> None:
    seed_analytics(
        database,
        world.bid,
        now,
        posts_per_platform=70,
        days=80,
        seed=3,
        platforms=("x", "linkedin"),
    )
    page = signed_in(world.viewer.user).get(f"/businesses/{world.bid}/insights?days=90")
    assert page.status_code == 200, page.text
    html = page.text
    for testid in ("insight-best-times", "insight-performance", "insight-growth"):
        assert f'data-testid="{testid}"' in html
    assert html.count('data-testid="besttime-heatmap"') == 2
    assert html.count('class="bt-cell bt-') >= 2 * 168
    assert "× your median engagement, from" in html
    assert 'data-testid="performance-top"' in html
    assert 'data-testid="growth-weeks"' in html
    assert "style=" not in html.split('data-testid="insight-best-times"')[1]


def test_thin_accounts_say_not_enough_data_on_the_page(
    database: Database, world: World, now: datetime, signed_in: Callable[[User], TestClient]
) -> None:
    seed_analytics(database, world.bid, now, posts_per_platform=12, platforms=("x",))
    html = signed_in(world.viewer.user).get(f"/businesses/{world.bid}/insights").text
    assert 'data-testid="besttime-thin"' in html
    assert "Not enough data" in html
    assert "typical window" in html
