"""Connecting X over real HTTP against the platform sandbox: PKCE, scopes, failures."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from growth_manager.db import Database
from growth_manager.models.accounts import AccountStatus, OAuthState, SocialAccount
from tests.support.connecting import finish, start
from tests.support.consent import consent
from tests.support.owners import Owner


def test_connect_x_end_to_end(gm: TestClient, owner: Owner, database: Database) -> None:
    authorize_url = start(gm, owner)
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert "offline.access" in query["scope"][0].split()
    callback = consent(authorize_url)
    response = finish(gm, owner, callback)
    assert response.status_code == 303
    assert response.headers["location"] == f"/businesses/{owner.business_id}/connections"
    accounts = gm.get(
        f"/api/v1/businesses/{owner.business_id}/accounts", headers=owner.headers
    ).json()
    assert len(accounts) == 1
    account = accounts[0]
    assert account["platform"] == "x"
    assert account["status"] == "active"
    assert account["is_sandbox"] is True
    assert account["missing_publish_scopes"] == []
    assert account["expires_at"] is not None
    me = next(r for r in account["rate_limits"] if r["endpoint"].endswith("/2/users/me"))
    assert me["limit"] == 75  # X's documented per-user limit for GET /2/users/me
    assert me["remaining"] == 74
    with database.session() as session:
        stored = session.get(SocialAccount, account["id"])
        assert stored is not None
        assert stored.refresh_token  # offline.access gave a refresh token
        assert session.query(OAuthState).count() == 0  # the state was consumed


def test_state_of_another_user_is_refused(gm: TestClient, owner: Owner, database: Database) -> None:
    from tests.support.owners import make_owner

    other = make_owner(database, email="other@example.com", name="Other")
    callback = consent(start(gm, owner))
    response = finish(gm, other, callback)
    assert response.status_code == 303
    with database.session() as session:
        assert session.query(SocialAccount).count() == 0


def test_reconnect_keeps_identity_and_updates_tokens(
    gm: TestClient, owner: Owner, database: Database
) -> None:
    finish(gm, owner, consent(start(gm, owner)))
    with database.session() as session:
        first = session.query(SocialAccount).one()
        first_id, first_token = first.id, first.access_token
        first.status = AccountStatus.reauth_required
    finish(gm, owner, consent(start(gm, owner)))
    with database.session() as session:
        accounts = session.query(SocialAccount).all()
        assert len(accounts) == 1
        assert accounts[0].id == first_id
        assert accounts[0].access_token != first_token
        assert accounts[0].status == AccountStatus.active
