"""Business scoping is resolved once, at the boundary, by the same dependencies for the API and
the dashboard: each request looks the caller's membership up exactly once, and a refusal is the
API's JSON error or, on a page, the error page in the layout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from growth_manager.db import Database
from tests.support.factories import login
from tests.support.team import Team

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
    login(client, database, team.owner.email)
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
    csrf = login(client, database, team.owner.email)
    response = client.post(
        f"/businesses/{team.business_id}/members/{team.owner.id}/role",
        data={"csrf_token": csrf, "role": "viewer"},
        follow_redirects=False,
    )
    assert response.status_code == 409
    assert "A business needs at least one owner." in response.text
    assert "owner@example.com" in response.text
    assert len(membership_lookups) == 1


NOT_FOUND = "Business {b} was not found."
TOO_LOW = "This needs the editor role in this business; you are viewer."


@pytest.mark.parametrize(
    ("who", "path", "status", "detail", "switcher"),
    [
        ("stranger", "/businesses/{b}/drafts", 404, NOT_FOUND, "Stranger Things Ltd"),
        ("stranger", "/businesses/{b}/connections", 404, NOT_FOUND, "Stranger Things Ltd"),
        ("stranger", "/businesses/{b}/members", 404, NOT_FOUND, "Stranger Things Ltd"),
        ("viewer", "/businesses/{b}/drafts/new", 403, TOO_LOW, "Bakery Blum"),
    ],
)
def test_a_refused_page_is_the_error_page_in_the_layout(
    client: TestClient,
    team: Team,
    database: Database,
    who: str,
    path: str,
    status: int,
    detail: str,
    switcher: str,
) -> None:
    login(client, database, team.by_role(who).email)
    response = client.get(path.format(b=team.business_id))
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert detail.format(b=team.business_id) in response.text
    # The layout: the switcher lists the caller's own businesses, and only those.
    assert switcher in response.text
    if who == "stranger":
        assert "Bakery Blum" not in response.text


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
