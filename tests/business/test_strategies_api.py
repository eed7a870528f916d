"""Strategies over the REST API: CRUD and the cadence, platform and date rules."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from growth_manager.db import Database
from tests.business.helpers import strategies_url
from tests.conftest import json_of
from tests.support.rows import business_rows, row_counts
from tests.support.team import Team

FULL = {
    "name": "Spring launch",
    "goals": "Fill the weekend tasting menu",
    "target_audience": "Food lovers, 25-45, in town",
    "tone_of_voice": "Warm and playful",
    "topics": ["Seasonal bread", " seasonal  BREAD ", "Behind the scenes", ""],
    "keywords": ["sourdough", "bakery"],
    "platforms": ["instagram", "linkedin", "x", "linkedin"],
    "cadence": {
        "x": {"posts_per_week": 7, "preferred_days": [4, 0, 4], "preferred_hours": [17, 8]},
        "linkedin": {"posts_per_week": 2},
        "instagram": {"posts_per_week": 0, "preferred_days": [5, 6], "preferred_hours": [11]},
    },
    "start_date": "2026-03-01",
    "end_date": "2026-03-01",
    "is_active": True,
}


def test_create_normalises_and_returns_the_strategy(client: TestClient, team: Team) -> None:
    response = client.post(strategies_url(team), headers=team.editor.headers, json=FULL)
    assert response.status_code == 201, response.text
    body = json_of(response)
    assert body["business_id"] == team.business_id
    assert body["topics"] == ["Seasonal bread", "Behind the scenes"]
    assert body["platforms"] == ["linkedin", "x", "instagram"]
    assert body["cadence"] == {
        "linkedin": {"posts_per_week": 2, "preferred_days": [], "preferred_hours": []},
        "x": {"posts_per_week": 7, "preferred_days": [0, 4], "preferred_hours": [8, 17]},
        "instagram": {"posts_per_week": 0, "preferred_days": [5, 6], "preferred_hours": [11]},
    }
    assert (body["start_date"], body["end_date"], body["is_active"]) == (
        "2026-03-01",
        "2026-03-01",
        True,
    )
    fetched = client.get(f"{strategies_url(team)}/{body['id']}", headers=team.viewer.headers)
    assert json_of(fetched) == body


def test_list_puts_active_strategies_first(client: TestClient, team: Team) -> None:
    for name, active in (("Zeta", True), ("Alpha", False), ("Beta", True)):
        client.post(
            strategies_url(team),
            headers=team.editor.headers,
            json={"name": name, "is_active": active},
        )
    items = json_of(client.get(strategies_url(team), headers=team.viewer.headers))["items"]
    assert [item["name"] for item in items] == ["Beta", "Zeta", "Alpha"]


def test_patch_changes_only_what_is_sent(client: TestClient, team: Team) -> None:
    created = json_of(client.post(strategies_url(team), headers=team.editor.headers, json=FULL))
    url = f"{strategies_url(team)}/{created['id']}"
    response = client.patch(
        url, headers=team.editor.headers, json={"tone_of_voice": "Dry wit", "is_active": False}
    )
    assert response.status_code == 200, response.text
    body = json_of(response)
    assert body["tone_of_voice"] == "Dry wit"
    assert body["is_active"] is False
    assert body["cadence"] == created["cadence"]
    assert body["name"] == created["name"]


def test_dropping_a_platform_drops_its_cadence(client: TestClient, team: Team) -> None:
    created = json_of(client.post(strategies_url(team), headers=team.editor.headers, json=FULL))
    url = f"{strategies_url(team)}/{created['id']}"
    body = json_of(client.patch(url, headers=team.editor.headers, json={"platforms": ["x"]}))
    assert body["platforms"] == ["x"]
    assert list(body["cadence"]) == ["x"]


def test_patch_is_checked_against_the_stored_strategy(
    client: TestClient, team: Team, database: Database
) -> None:
    created = json_of(client.post(strategies_url(team), headers=team.editor.headers, json=FULL))
    url = f"{strategies_url(team)}/{created['id']}"
    before = business_rows(database)
    # Valid alone, but before the stored start date.
    early = client.patch(url, headers=team.editor.headers, json={"end_date": "2026-02-01"})
    assert early.status_code == 422
    assert json_of(early)["detail"] == (
        "end_date: 2026-02-01 is before the start date 2026-03-01; the end date must be on or "
        "after it"
    )
    # A cadence for a platform the stored strategy does not use.
    stray = client.patch(
        url, headers=team.editor.headers, json={"cadence": {"facebook": {"posts_per_week": 1}}}
    )
    assert stray.status_code == 422
    assert json_of(stray)["detail"] == (
        "cadence: facebook is not in platforms; add it to platforms or remove its cadence"
    )
    assert business_rows(database) == before


def test_delete_strategy(client: TestClient, team: Team) -> None:
    created = json_of(client.post(strategies_url(team), headers=team.editor.headers, json=FULL))
    url = f"{strategies_url(team)}/{created['id']}"
    assert client.delete(url, headers=team.editor.headers).status_code == 204
    assert client.get(url, headers=team.viewer.headers).status_code == 404
    assert json_of(client.get(strategies_url(team), headers=team.viewer.headers))["items"] == []


def test_unknown_strategy_is_404(client: TestClient, team: Team) -> None:
    response = client.get(f"{strategies_url(team)}/999999", headers=team.viewer.headers)
    assert response.status_code == 404
    assert json_of(response) == {
        "type": "not_found",
        "detail": "Strategy 999999 was not found in this business.",
    }


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"name": "   "}, "name: cannot be blank"),
        ({"name": "n" * 201}, "name: is too long: at most 200 characters"),
        (
            {"platforms": ["tiktok"]},
            "platforms.0: must be one of linkedin, x, facebook or instagram",
        ),
        (
            {"platforms": ["x"], "cadence": {"x": {"posts_per_week": 51}}},
            "cadence.x.posts_per_week: must be 50 or less",
        ),
        (
            {"platforms": ["x"], "cadence": {"x": {"posts_per_week": -1}}},
            "cadence.x.posts_per_week: must be 0 or more",
        ),
        (
            {"platforms": ["x"], "cadence": {"x": {"posts_per_week": 1, "preferred_days": [7]}}},
            "cadence.x.preferred_days.0: must be 6 or less",
        ),
        (
            {"platforms": ["x"], "cadence": {"x": {"posts_per_week": 1, "preferred_hours": [24]}}},
            "cadence.x.preferred_hours.0: must be 23 or less",
        ),
        (
            {"platforms": ["x"], "cadence": {"x": {"posts_per_week": 1, "weekends": True}}},
            "cadence.x.weekends: is not a known field; remove it",
        ),
        (
            {"platforms": ["x"], "cadence": {"linkedin": {"posts_per_week": 1}}},
            "cadence: linkedin is not in platforms; add it to platforms or remove its cadence",
        ),
        (
            {"start_date": "2026-05-02", "end_date": "2026-05-01"},
            "end_date: 2026-05-01 is before the start date 2026-05-02",
        ),
        ({"start_date": "2026-02-30"}, "start_date: must be a real date written like 2026-03-01"),
        ({"topics": ["x" * 101]}, "topics.0: is too long: at most 100 characters"),
        ({"keywords": [f"k{i}" for i in range(51)]}, "keywords: has too many entries: at most 50"),
    ],
)
def test_invalid_strategies_are_refused_with_the_field_and_reason(
    client: TestClient,
    team: Team,
    database: Database,
    change: dict[str, Any],
    expected: str,
) -> None:
    before = row_counts(database)
    response = client.post(
        strategies_url(team), headers=team.editor.headers, json={"name": "S", **change}
    )
    assert response.status_code == 422, response.text
    assert json_of(response)["detail"].startswith(expected), json_of(response)["detail"]
    assert row_counts(database) == before
