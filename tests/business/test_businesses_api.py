"""Businesses and members over the REST API: create, list, change, delete; the owner rule."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.models.business import Business, BusinessMember, Role, Strategy
from tests.conftest import json_of
from tests.support.factories import bearer_for, make_strategy, make_user
from tests.support.rows import business_rows, row_counts
from tests.support.team import Team


def test_creator_becomes_owner_and_sees_it_in_the_list(
    client: TestClient, database: Database
) -> None:
    with database.session() as session:
        user = make_user(session, "maker@example.com")
        headers = bearer_for(session, user)
        user_id = user.id
    response = client.post(
        "/api/v1/businesses",
        headers=headers,
        json={
            "name": "  Café Lumen ",
            "timezone": "Europe/Berlin",
            "website": "cafe-lumen.example",
            "industry": "Coffee",
            "description": "Roastery and café.",
        },
    )
    assert response.status_code == 201, response.text
    body = json_of(response)
    assert body["name"] == "Café Lumen"
    assert body["timezone"] == "Europe/Berlin"
    assert body["website"] == "https://cafe-lumen.example/"
    assert body["industry"] == "Coffee"
    assert body["role"] == "owner"
    with database.session() as session:
        member = session.scalar(
            select(BusinessMember).where(BusinessMember.business_id == body["id"])
        )
        assert member is not None
        assert (member.user_id, member.role) == (user_id, Role.owner)
    listed = json_of(client.get("/api/v1/businesses", headers=headers))["items"]
    assert [(item["id"], item["role"]) for item in listed] == [(body["id"], "owner")]


def test_minimal_business_defaults_to_utc(client: TestClient, database: Database) -> None:
    with database.session() as session:
        headers = bearer_for(session, make_user(session, "min@example.com"))
    body = json_of(client.post("/api/v1/businesses", headers=headers, json={"name": "Min"}))
    assert (body["timezone"], body["website"], body["industry"], body["description"]) == (
        "UTC",
        None,
        None,
        "",
    )


def test_list_shows_only_my_businesses_with_my_role(client: TestClient, team: Team) -> None:
    items = json_of(client.get("/api/v1/businesses", headers=team.viewer.headers))["items"]
    assert [(item["name"], item["role"]) for item in items] == [("Bakery Blum", "viewer")]
    items = json_of(client.get("/api/v1/businesses", headers=team.stranger.headers))["items"]
    assert [item["name"] for item in items] == ["Stranger Things Ltd"]


def test_get_and_patch_change_only_the_fields_sent(client: TestClient, team: Team) -> None:
    url = f"/api/v1/businesses/{team.business_id}"
    response = client.patch(
        url,
        headers=team.owner.headers,
        json={"timezone": "America/New_York", "website": "https://blum.example/shop"},
    )
    assert response.status_code == 200, response.text
    body = json_of(client.get(url, headers=team.viewer.headers))
    assert body["name"] == "Bakery Blum"
    assert body["timezone"] == "America/New_York"
    assert body["website"] == "https://blum.example/shop"
    assert body["role"] == "viewer"
    cleared = json_of(client.patch(url, headers=team.owner.headers, json={"website": None}))
    assert cleared["website"] is None
    assert cleared["timezone"] == "America/New_York"


def test_patch_refuses_null_for_a_required_field(
    client: TestClient, team: Team, database: Database
) -> None:
    before = business_rows(database)
    response = client.patch(
        f"/api/v1/businesses/{team.business_id}", headers=team.owner.headers, json={"name": None}
    )
    assert response.status_code == 422
    assert "name: cannot be null" in json_of(response)["detail"]
    assert business_rows(database) == before


def test_delete_removes_the_business_with_its_members_and_strategies(
    client: TestClient, team: Team, database: Database
) -> None:
    with database.session() as session:
        business = session.get(Business, team.business_id)
        assert business is not None
        make_strategy(session, business)
    response = client.delete(f"/api/v1/businesses/{team.business_id}", headers=team.owner.headers)
    assert response.status_code == 204
    with database.session() as session:
        assert session.get(Business, team.business_id) is None
        assert (
            session.scalars(
                select(BusinessMember).where(BusinessMember.business_id == team.business_id)
            ).all()
            == []
        )
        assert (
            session.scalars(select(Strategy).where(Strategy.business_id == team.business_id)).all()
            == []
        )
        assert session.get(Business, team.other_business_id) is not None
    gone = client.get(f"/api/v1/businesses/{team.business_id}", headers=team.owner.headers)
    assert gone.status_code == 404


def test_invalid_time_zone_names_the_field_and_the_format(
    client: TestClient, team: Team, database: Database
) -> None:
    before = row_counts(database)
    response = client.post(
        "/api/v1/businesses", headers=team.owner.headers, json={"name": "X", "timezone": "Berlin"}
    )
    assert response.status_code == 422
    body = json_of(response)
    assert body["type"] == "validation_error"
    assert body["detail"].startswith('timezone: "Berlin" is not an IANA time zone')
    assert '"Europe/Berlin"' in body["detail"]
    assert row_counts(database) == before


def test_invalid_website_is_refused(client: TestClient, team: Team) -> None:
    response = client.post(
        "/api/v1/businesses",
        headers=team.owner.headers,
        json={"name": "X", "website": "ftp://files.example"},
    )
    assert response.status_code == 422
    assert json_of(response)["detail"].startswith("website:")


# Members ----------------------------------------------------------------------------------------
def test_members_list_with_roles(client: TestClient, team: Team) -> None:
    response = client.get(
        f"/api/v1/businesses/{team.business_id}/members", headers=team.viewer.headers
    )
    assert response.status_code == 200
    items = json_of(response)["items"]
    assert {(m["email"], m["role"]) for m in items} == {
        ("owner@example.com", "owner"),
        ("editor@example.com", "editor"),
        ("viewer@example.com", "viewer"),
    }


def test_owner_adds_an_existing_user_by_email(
    client: TestClient, team: Team, database: Database
) -> None:
    with database.session() as session:
        newcomer = make_user(session, "new.person@example.com")
        newcomer_headers = bearer_for(session, newcomer)
    response = client.post(
        f"/api/v1/businesses/{team.business_id}/members",
        headers=team.owner.headers,
        json={"email": "New.Person@Example.com", "role": "editor"},
    )
    assert response.status_code == 201, response.text
    assert json_of(response)["role"] == "editor"
    mine = json_of(client.get("/api/v1/businesses", headers=newcomer_headers))["items"]
    assert [(b["id"], b["role"]) for b in mine] == [(team.business_id, "editor")]


def test_adding_an_unknown_email_or_a_member_again_is_refused(
    client: TestClient, team: Team, database: Database
) -> None:
    url = f"/api/v1/businesses/{team.business_id}/members"
    before = row_counts(database)
    unknown = client.post(url, headers=team.owner.headers, json={"email": "nobody@example.com"})
    assert unknown.status_code == 404
    assert "sign up first" in json_of(unknown)["detail"]
    again = client.post(
        url, headers=team.owner.headers, json={"email": team.viewer.email, "role": "owner"}
    )
    assert again.status_code == 409
    assert "already a member" in json_of(again)["detail"]
    assert row_counts(database) == before


def test_owner_changes_a_role(client: TestClient, team: Team) -> None:
    response = client.patch(
        f"/api/v1/businesses/{team.business_id}/members/{team.viewer.id}",
        headers=team.owner.headers,
        json={"role": "editor"},
    )
    assert response.status_code == 200, response.text
    assert json_of(response)["role"] == "editor"
    # Promoted: the former viewer may now write strategies.
    created = client.post(
        f"/api/v1/businesses/{team.business_id}/strategies",
        headers=team.viewer.headers,
        json={"name": "Now allowed"},
    )
    assert created.status_code == 201


def test_the_last_owner_can_be_neither_demoted_nor_removed(
    client: TestClient, team: Team, database: Database
) -> None:
    member_url = f"/api/v1/businesses/{team.business_id}/members/{team.owner.id}"
    before = business_rows(database)
    demote = client.patch(member_url, headers=team.owner.headers, json={"role": "editor"})
    assert demote.status_code == 409
    assert json_of(demote) == {
        "type": "conflict",
        "detail": "A business needs at least one owner. Make another member an owner before "
        "changing your role.",
    }
    leave = client.delete(member_url, headers=team.owner.headers)
    assert leave.status_code == 409
    assert json_of(leave)["detail"].endswith("Make another member an owner before leaving.")
    assert business_rows(database) == before


def test_with_two_owners_one_may_step_down(client: TestClient, team: Team) -> None:
    base = f"/api/v1/businesses/{team.business_id}/members"
    promote = client.patch(
        f"{base}/{team.editor.id}", headers=team.owner.headers, json={"role": "owner"}
    )
    assert promote.status_code == 200
    step_down = client.patch(
        f"{base}/{team.owner.id}", headers=team.owner.headers, json={"role": "viewer"}
    )
    assert step_down.status_code == 200
    # Now the editor-turned-owner is the only owner and cannot leave.
    assert client.delete(f"{base}/{team.editor.id}", headers=team.editor.headers).status_code == 409


def test_owner_removes_a_member_and_anyone_may_leave(client: TestClient, team: Team) -> None:
    base = f"/api/v1/businesses/{team.business_id}/members"
    assert client.delete(f"{base}/{team.editor.id}", headers=team.owner.headers).status_code == 204
    assert client.delete(f"{base}/{team.viewer.id}", headers=team.viewer.headers).status_code == 204
    remaining = json_of(client.get(base, headers=team.owner.headers))["items"]
    assert [m["email"] for m in remaining] == ["owner@example.com"]
    gone = client.get(f"/api/v1/businesses/{team.business_id}", headers=team.viewer.headers)
    assert gone.status_code == 404


def test_changing_someone_who_is_not_a_member_is_404(client: TestClient, team: Team) -> None:
    response = client.patch(
        f"/api/v1/businesses/{team.business_id}/members/{team.stranger.id}",
        headers=team.owner.headers,
        json={"role": "viewer"},
    )
    assert response.status_code == 404
    assert "not a member" in json_of(response)["detail"]
