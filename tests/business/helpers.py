"""Helpers for the business tests: the strategies API address, dashboard form posts, a full
strategy form and reading the stored strategy back."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.models.business import Strategy
from tests.support.team import Team


def strategies_url(team: Team) -> str:
    return f"/api/v1/businesses/{team.business_id}/strategies"


def post(
    client: TestClient, url: str, csrf: str, data: dict[str, str] | list[tuple[str, str]]
) -> Any:
    """A form post; a list of pairs may repeat a name (checkboxes)."""
    pairs = list(data.items()) if isinstance(data, dict) else data
    form: dict[str, list[str]] = {"csrf_token": [csrf]}
    for name, value in pairs:
        form.setdefault(name, []).append(value)
    return client.post(url, data=form, follow_redirects=False)


def strategy_of(database: Database, business_id: int) -> Strategy:
    with database.session() as session:
        strategy = session.scalar(select(Strategy).where(Strategy.business_id == business_id))
        assert strategy is not None
        return strategy


STRATEGY_FORM = [
    ("name", "Autumn push"),
    ("goals", "More walk-ins"),
    ("target_audience", "Neighbours"),
    ("tone_of_voice", "Friendly"),
    ("topics", "Pumpkin bread\nCoffee, Events"),
    ("keywords", "bakery, autumn"),
    ("platforms", "x"),
    ("platforms", "instagram"),
    ("cadence.x.posts_per_week", "5"),
    ("cadence.x.preferred_days", "0"),
    ("cadence.x.preferred_days", "4"),
    ("cadence.x.preferred_hours", "17, 8"),
    ("cadence.instagram.posts_per_week", "2"),
    ("cadence.instagram.preferred_hours", ""),
    # A platform that is not ticked: its (hidden) fields are ignored, even if invalid.
    ("cadence.linkedin.posts_per_week", "99"),
    ("start_date", "2026-09-01"),
    ("end_date", "2026-11-30"),
    ("is_active", "on"),
]
