"""Who may do what: every business API action tried by a viewer, an editor and an owner.

Viewers read; editors also write strategies; owners also manage the business and its members.
A refused action answers 403 naming the role it needs, and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from growth_manager.db import Database
from growth_manager.models.business import Business, Role
from tests.support.factories import add_member, make_strategy, make_user
from tests.support.rows import business_rows, row_counts
from tests.support.team import Team


@dataclass(frozen=True)
class Action:
    method: str
    path: str  # {b}: the business, {s}: one of its strategies, {m}: a viewer member
    needs: Role
    body: dict[str, Any] | None = None


ACTIONS = [
    Action("GET", "/api/v1/businesses/{b}", Role.viewer),
    Action("PATCH", "/api/v1/businesses/{b}", Role.owner, {"description": "New words"}),
    Action("DELETE", "/api/v1/businesses/{b}", Role.owner),
    Action("GET", "/api/v1/businesses/{b}/members", Role.viewer),
    Action(
        "POST",
        "/api/v1/businesses/{b}/members",
        Role.owner,
        {"email": "outsider@example.com", "role": "viewer"},
    ),
    Action("PATCH", "/api/v1/businesses/{b}/members/{m}", Role.owner, {"role": "editor"}),
    Action("DELETE", "/api/v1/businesses/{b}/members/{m}", Role.owner),
    Action("GET", "/api/v1/businesses/{b}/strategies", Role.viewer),
    Action("POST", "/api/v1/businesses/{b}/strategies", Role.editor, {"name": "New"}),
    Action("GET", "/api/v1/businesses/{b}/strategies/{s}", Role.viewer),
    Action("PATCH", "/api/v1/businesses/{b}/strategies/{s}", Role.editor, {"goals": "More"}),
    Action("DELETE", "/api/v1/businesses/{b}/strategies/{s}", Role.editor),
]


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: f"{a.method} {a.path}")
def test_role_matrix(
    client: TestClient, team: Team, database: Database, action: Action, role: Role
) -> None:
    with database.session() as session:
        business = session.get(Business, team.business_id)
        assert business is not None
        strategy = make_strategy(session, business)
        member = make_user(session, "member@example.com")
        add_member(session, business, member, Role.viewer)
        make_user(session, "outsider@example.com")
        ids = {"b": team.business_id, "s": strategy.id, "m": member.id}
    url = action.path.format(**ids)
    before_counts, before_rows = row_counts(database), business_rows(database)

    response = client.request(
        action.method, url, headers=team.by_role(role.value).headers, json=action.body
    )

    if role.allows(action.needs):
        assert response.status_code in (200, 201, 204), response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json() == {
            "type": "forbidden",
            "detail": f"This needs the {action.needs.value} role in this business; "
            f"you are {role.value}.",
        }
        assert row_counts(database) == before_counts
        assert business_rows(database) == before_rows


def test_every_business_api_route_is_in_the_matrix(client: TestClient) -> None:
    """A new route in this module must say who may use it, here."""
    from fastapi.routing import APIRoute

    from growth_manager.business import endpoints

    covered = {(a.method, a.path.replace("{b}", "{business_id}")) for a in ACTIONS}
    covered = {
        (method, path.replace("{s}", "{strategy_id}").replace("{m}", "{user_id}"))
        for method, path in covered
    }
    routes = {
        (method, route.path)
        for route in endpoints.router.routes
        if isinstance(route, APIRoute) and "{business_id}" in route.path
        for method in route.methods or ()
    }
    assert routes - covered == set()
