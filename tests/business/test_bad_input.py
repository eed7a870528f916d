"""Bad payloads get a clear 4xx and change nothing: malformed JSON, wrong types, unknown
fields, invalid time zones, huge bodies, missing authentication."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from growth_manager.db import Database
from growth_manager.models.business import Business
from tests.conftest import json_of
from tests.support.factories import make_strategy
from tests.support.rows import business_rows, row_counts
from tests.support.team import Team


@pytest.fixture
def strategy_id(team: Team, database: Database) -> int:
    with database.session() as session:
        business = session.get(Business, team.business_id)
        assert business is not None
        return make_strategy(session, business).id


def _targets(team: Team, strategy_id: int) -> list[tuple[str, str]]:
    base = f"/api/v1/businesses/{team.business_id}"
    return [
        ("POST", "/api/v1/businesses"),
        ("PATCH", base),
        ("POST", f"{base}/members"),
        ("PATCH", f"{base}/members/{team.viewer.id}"),
        ("POST", f"{base}/strategies"),
        ("PATCH", f"{base}/strategies/{strategy_id}"),
    ]


def _send(client: TestClient, team: Team, method: str, url: str, **kwargs: Any) -> Any:
    headers = {**team.owner.headers, **kwargs.pop("headers", {})}
    return client.request(method, url, headers=headers, **kwargs)


def test_malformed_json_is_a_clear_422(
    client: TestClient, team: Team, database: Database, strategy_id: int
) -> None:
    before_counts, before_rows = row_counts(database), business_rows(database)
    for method, url in _targets(team, strategy_id):
        response = _send(
            client,
            team,
            method,
            url,
            content=b'{"name": "Half',
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 422, (method, url, response.text)
        assert json_of(response)["detail"].startswith("body: is not valid JSON"), url
    assert row_counts(database) == before_counts
    assert business_rows(database) == before_rows


@pytest.mark.parametrize(
    ("target", "body", "expected"),
    [
        (0, {"name": 42}, "name: must be text"),
        (0, {"name": "A", "color": "red"}, "color: is not a known field; remove it"),
        (0, {"name": "A", "timezone": "Mars/Olympus"}, 'timezone: "Mars/Olympus" is not'),
        (0, {"name": "A", "timezone": 5}, "timezone: must be text"),
        (0, [], "body: must be a JSON object with named fields"),
        (1, {"timezone": "CET "}, None),  # stripped and valid: a 200, shown for contrast
        (1, {"timezone": "europe/berlin"}, 'timezone: "europe/berlin" is not'),
        (1, {"owner": 3}, "owner: is not a known field; remove it"),
        (2, {"email": "not-an-email"}, "email: must be an email address like name@example.com"),
        (
            2,
            {"email": "a@example.com", "role": "admin"},
            "role: must be one of viewer, editor or owner",
        ),
        (3, {"role": None}, "role: must be one of viewer, editor or owner"),
        (4, {"name": "S", "platforms": "x"}, "platforms: must be a list"),
        (4, {"name": "S", "is_active": "maybe"}, "is_active: must be true or false"),
        (4, {"name": "S", "cadence": []}, "cadence: must be an object with named fields"),
        (5, {"platforms": None}, "platforms: cannot be null; leave the field out instead"),
        (5, {"business_id": 2}, "business_id: is not a known field; remove it"),
    ],
)
def test_wrong_shapes_name_the_field_and_change_nothing(
    client: TestClient,
    team: Team,
    database: Database,
    strategy_id: int,
    target: int,
    body: Any,
    expected: str | None,
) -> None:
    method, url = _targets(team, strategy_id)[target]
    before_counts, before_rows = row_counts(database), business_rows(database)
    response = _send(client, team, method, url, json=body)
    if expected is None:
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 422, response.text
    payload = json_of(response)
    assert payload["type"] == "validation_error"
    assert payload["detail"].startswith(expected), payload["detail"]
    assert row_counts(database) == before_counts
    assert business_rows(database) == before_rows


def test_huge_bodies_are_refused_with_413(
    client: TestClient, team: Team, database: Database, strategy_id: int
) -> None:
    limit = client.app.state.settings.max_request_body_kb * 1024  # type: ignore[attr-defined]
    huge = {"name": "Big", "description": "x" * (limit + 1)}
    before_counts, before_rows = row_counts(database), business_rows(database)
    for method, url in _targets(team, strategy_id):
        response = _send(client, team, method, url, json=huge)
        assert response.status_code == 413, (method, url, response.status_code)
        assert json_of(response)["type"] == "payload_too_large"
    assert row_counts(database) == before_counts
    assert business_rows(database) == before_rows


def test_long_text_under_the_body_limit_is_a_field_error(
    client: TestClient, team: Team, database: Database
) -> None:
    before = row_counts(database)
    response = _send(
        client, team, "POST", "/api/v1/businesses", json={"name": "A", "description": "d" * 5001}
    )
    assert response.status_code == 422
    assert json_of(response)["detail"].startswith(
        "description: is too long: at most 5000 characters"
    )
    assert row_counts(database) == before


def test_without_credentials_every_route_is_401(
    client: TestClient, team: Team, database: Database, strategy_id: int
) -> None:
    before = row_counts(database)
    for method, url in [
        *_targets(team, strategy_id),
        ("GET", "/api/v1/businesses"),
        ("DELETE", f"/api/v1/businesses/{team.business_id}"),
    ]:
        response = client.request(method, url, json={"name": "A"})
        assert response.status_code == 401, (method, url)
        assert json_of(response)["type"] == "not_authenticated"
    bad_token = client.get("/api/v1/businesses", headers={"Authorization": "Bearer gm_nope"})
    assert bad_token.status_code == 401
    assert row_counts(database) == before
