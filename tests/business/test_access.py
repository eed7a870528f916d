"""Business scoping is resolved once, at the boundary, by the same dependencies for the API and
the dashboard: each request looks the caller's membership up exactly once, and a refusal is the
API's JSON error or, on a page, the error page in the layout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from growth_manager.db import Database
from growth_manager.models.user import User
from tests.business.conftest import Team
from tests.support.factories import login_client

# The statement BusinessRepository.membership runs: one business, the caller's role in it.
MEMBERSHIP = re.compile(
    r"FROM business JOIN business_member .*WHERE business\.id = \S+ "
    r"AND business_member\.user_id = ",
    re.DOTALL,
)


@pytest.fixture
def membership_lookups(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = args[2]
        if MEMBERSHIP.search(statement):
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    yield seen
    event.remove(database.engine, "before_cursor_execute", record)


def sign_in(client: TestClient, database: Database, user_id: int) -> str:
    with database.session() as session:
        user = session.scalar(select(User).where(User.id == user_id))
        assert user is not None
    return login_client(client, user)


def test_an_owner_removing_a_member_is_checked_once(
    client: TestClient, team: Team, membership_lookups: list[str]
) -> None:
    response = client.delete(
        f"/api/v1/businesses/{team.business_id}/members/{team.editor.id}",
        headers=team.owner.headers,
    )
    assert response.status_code == 204, response.text
    assert len(membership_lookups) == 1


def test_reading_accounts_is_checked_once(
    client: TestClient, team: Team, membership_lookups: list[str]
) -> None:
    response = client.get(
        f"/api/v1/businesses/{team.business_id}/accounts", headers=team.viewer.headers
    )
    assert response.status_code == 200, response.text
    assert len(membership_lookups) == 1


def test_the_account_picker_page_is_checked_once(
    client: TestClient, team: Team, database: Database, membership_lookups: list[str]
) -> None:
    sign_in(client, database, team.owner.id)
    response = client.get(
        f"/businesses/{team.business_id}/connections/choose/no-such-choice",
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/businesses/{team.business_id}/connections"
    assert len(membership_lookups) == 1


def test_a_refused_role_change_shows_the_members_without_a_second_check(
    client: TestClient, team: Team, database: Database, membership_lookups: list[str]
) -> None:
    csrf = sign_in(client, database, team.owner.id)
    response = client.post(
        f"/businesses/{team.business_id}/members/{team.owner.id}/role",
        data={"csrf_token": csrf, "role": "viewer"},
        follow_redirects=False,
    )
    assert response.status_code == 409
    assert "A business needs at least one owner." in response.text
    assert "owner@example.com" in response.text
    assert len(membership_lookups) == 1


@pytest.mark.parametrize(
    "path", ["/businesses/{b}/drafts", "/businesses/{b}/connections", "/businesses/{b}/members"]
)
def test_another_tenants_page_is_the_error_page_in_the_layout(
    client: TestClient, team: Team, database: Database, path: str
) -> None:
    sign_in(client, database, team.stranger.id)
    response = client.get(path.format(b=team.business_id))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert f"Business {team.business_id} was not found." in response.text
    # The layout: the stranger's own business in the switcher, nothing of the other one.
    assert "Stranger Things Ltd" in response.text
    assert "Bakery Blum" not in response.text


def test_too_low_a_role_on_a_page_is_a_403_page_naming_the_role(
    client: TestClient, team: Team, database: Database
) -> None:
    sign_in(client, database, team.viewer.id)
    response = client.get(f"/businesses/{team.business_id}/drafts/new")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "This needs the editor role in this business; you are viewer." in response.text


def test_the_api_answers_the_same_refusals_as_json(client: TestClient, team: Team) -> None:
    drafts = f"/api/v1/businesses/{team.business_id}/drafts"
    stranger = client.get(drafts, headers=team.stranger.headers)
    assert stranger.status_code == 404
    assert stranger.json() == {
        "type": "not_found",
        "detail": f"Business {team.business_id} was not found.",
    }
    viewer = client.post(drafts, json={"base_text": "hello"}, headers=team.viewer.headers)
    assert viewer.status_code == 403
    assert viewer.json() == {
        "type": "forbidden",
        "detail": "This needs the editor role in this business; you are viewer.",
    }


def test_signed_out_a_page_goes_to_login_and_the_api_asks_for_credentials(
    client: TestClient, team: Team
) -> None:
    page = client.get(f"/businesses/{team.business_id}/drafts", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == f"/login?next=/businesses/{team.business_id}/drafts"
    api = client.get(f"/api/v1/businesses/{team.business_id}/drafts")
    assert api.status_code == 401
    assert api.json()["type"] == "not_authenticated"


def test_a_member_may_leave_but_not_remove_another(client: TestClient, team: Team) -> None:
    members = f"/api/v1/businesses/{team.business_id}/members"
    refused = client.delete(f"{members}/{team.editor.id}", headers=team.viewer.headers)
    assert refused.status_code == 403
    assert "owner role" in refused.json()["detail"]
    stranger = client.delete(f"{members}/{team.stranger.id}", headers=team.stranger.headers)
    assert stranger.status_code == 404
    left = client.delete(f"{members}/{team.viewer.id}", headers=team.viewer.headers)
    assert left.status_code == 204
    gone = client.get(f"/api/v1/businesses/{team.business_id}", headers=team.viewer.headers)
    assert gone.status_code == 404
