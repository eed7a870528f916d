"""Connecting Facebook Pages and Instagram through one Facebook Login, over real HTTP against
the sandbox: long-lived token, Pages with page tokens, the linked Instagram account, the
picker, reconnecting, and disconnecting without breaking a sibling that shares a token."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx2
from fastapi.testclient import TestClient

from growth_manager.db import Database
from growth_manager.models.accounts import AccountStatus, PendingConnection, SocialAccount
from tests.accounts.conftest import Owner
from tests.accounts.test_connect_x import finish, gm, start  # noqa: F401
from tests.sandbox.conftest import SandboxHandle, fresh_sandbox, sandbox  # noqa: F401
from tests.support.consent import consent


def login(gm: TestClient, owner: Owner, platform: str = "facebook") -> str:  # noqa: F811
    """Walk the Facebook Login and return the picker's pending token."""
    authorize_url = start(gm, owner, platform)
    assert "/www.facebook.com/v23.0/dialog/oauth" in authorize_url
    response = finish(gm, owner, consent(authorize_url))
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert f"/businesses/{owner.business_id}/connections/choose/" in location, location
    return location.rsplit("/", 1)[1].split("#")[0]


def pending(gm: TestClient, owner: Owner, token: str) -> dict:  # type: ignore[type-arg]  # noqa: F811
    response = gm.get(
        f"/api/v1/businesses/{owner.business_id}/connections/pending/{token}",
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def choose(gm: TestClient, owner: Owner, token: str, keys: list[str]) -> list[dict]:  # type: ignore[type-arg]  # noqa: F811
    response = gm.post(
        f"/api/v1/businesses/{owner.business_id}/connections/pending/{token}",
        json={"identities": keys},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_pages_and_their_instagram_account_are_offered_and_connected(
    gm: TestClient,  # noqa: F811
    owner: Owner,
    database: Database,
    fresh_sandbox: SandboxHandle,  # noqa: F811
) -> None:
    token = login(gm, owner)
    listing = pending(gm, owner, token)
    identities = {i["key"]: i for i in listing["identities"]}
    pages = [i for i in identities.values() if i["platform"] == "facebook"]
    instagram = [i for i in identities.values() if i["platform"] == "instagram"]
    assert len(pages) >= 1
    assert len(instagram) == 1
    assert instagram[0]["parent_external_id"] in {p["external_id"] for p in pages}
    assert all(i["missing_publish_scopes"] == [] for i in identities.values())

    # Ground truth from the sandbox: the IG account is linked to that Page.
    truth = httpx2.get(f"{fresh_sandbox.url}/_sandbox/accounts", params={"platform": "meta"})
    assert instagram[0]["external_id"] in truth.text

    connected = choose(gm, owner, token, list(identities))
    assert {a["platform"] for a in connected} == {"facebook", "instagram"}
    assert all(a["status"] == "active" for a in connected)
    with database.session() as session:
        rows = session.query(SocialAccount).all()
        assert len(rows) == len(identities)
        for row in rows:
            assert row.expires_at is None  # page tokens from a long-lived login don't expire
            assert row.access_token
            assert row.is_sandbox
        ig = next(r for r in rows if r.platform == "instagram")
        page = next(r for r in rows if r.external_id == ig.parent_external_id)
        assert ig.access_token == page.access_token  # the IG account works through its Page
        assert session.query(PendingConnection).count() == 0  # the choice is used up

    # The stored page token works at the Graph API.
    me = httpx2.get(
        f"{fresh_sandbox.url}/graph.facebook.com/v23.0/{page.external_id}",
        params={"access_token": page.access_token, "fields": "id,name"},
    )
    assert me.status_code == 200, me.text
    assert me.json()["id"] == page.external_id


def test_a_choice_is_used_once_and_only_by_its_user(
    gm: TestClient,  # noqa: F811
    owner: Owner,
    database: Database,
) -> None:
    from tests.accounts.conftest import make_owner

    token = login(gm, owner)
    keys = [i["key"] for i in pending(gm, owner, token)["identities"]]
    stranger = make_owner(database, email="stranger@example.com", name="Stranger")
    stolen = gm.post(
        f"/api/v1/businesses/{owner.business_id}/connections/pending/{token}",
        json={"identities": keys},
        headers=stranger.headers,
    )
    assert stolen.status_code == 404
    choose(gm, owner, token, keys[:1])
    again = gm.post(
        f"/api/v1/businesses/{owner.business_id}/connections/pending/{token}",
        json={"identities": keys},
        headers=owner.headers,
    )
    assert again.status_code == 400
    assert "expired" in again.json()["detail"] or "already" in again.json()["detail"]
    with database.session() as session:
        assert session.query(SocialAccount).count() == 1


def test_reconnecting_keeps_the_accounts(
    gm: TestClient,  # noqa: F811
    owner: Owner,
    database: Database,
) -> None:
    token = login(gm, owner)
    keys = [i["key"] for i in pending(gm, owner, token)["identities"]]
    first = {a["external_id"]: a["id"] for a in choose(gm, owner, token, keys)}
    with database.session() as session:
        for row in session.query(SocialAccount).all():
            row.status = AccountStatus.reauth_required
    token = login(gm, owner, "instagram")
    listing = pending(gm, owner, token)
    assert all(i["already_connected"] for i in listing["identities"])
    again = {a["external_id"]: a["id"] for a in choose(gm, owner, token, keys)}
    assert again == first  # same rows, same ids: history and scheduled posts stay attached
    with database.session() as session:
        assert {r.status for r in session.query(SocialAccount).all()} == {AccountStatus.active}


def test_disconnecting_the_page_keeps_its_instagram_account_working(
    gm: TestClient,  # noqa: F811
    owner: Owner,
    database: Database,
    fresh_sandbox: SandboxHandle,  # noqa: F811
) -> None:
    token = login(gm, owner)
    listing = pending(gm, owner, token)
    ig = next(i for i in listing["identities"] if i["platform"] == "instagram")
    page_key = f"facebook:{ig['parent_external_id']}"
    accounts = {a["platform"]: a for a in choose(gm, owner, token, [page_key, ig["key"]])}
    response = gm.delete(
        f"/api/v1/businesses/{owner.business_id}/accounts/{accounts['facebook']['id']}",
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "disconnected"
    with database.session() as session:
        page = session.get(SocialAccount, accounts["facebook"]["id"])
        ig_row = session.get(SocialAccount, accounts["instagram"]["id"])
        assert page is not None
        assert ig_row is not None
        assert page.access_token is None
        assert page.refresh_token is None
        ig_token = ig_row.access_token
    # The shared page token was not revoked, so Instagram still works.
    check = httpx2.get(
        f"{fresh_sandbox.url}/graph.facebook.com/v23.0/{ig['external_id']}",
        params={"access_token": ig_token, "fields": "id,username"},
    )
    assert check.status_code == 200, check.text
    # Graph can't revoke a single Page token (only the person's whole grant), so the last
    # disconnect deletes the token here and says how to remove the grant on Facebook.
    last = gm.delete(
        f"/api/v1/businesses/{owner.business_id}/accounts/{accounts['instagram']['id']}",
        headers=owner.headers,
    )
    assert last.status_code == 200
    with database.session() as session:
        assert all(r.access_token is None for r in session.query(SocialAccount).all())


def test_cancelling_the_facebook_login_connects_nothing(
    gm: TestClient,  # noqa: F811
    owner: Owner,
    database: Database,
) -> None:
    callback = consent(start(gm, owner, "facebook"), action="cancel")
    query = parse_qs(urlsplit(callback).query)
    assert query["error_reason"] == ["user_denied"]
    response = finish(gm, owner, callback)
    assert response.status_code == 303
    assert response.headers["location"] == f"/businesses/{owner.business_id}/connections"
    page = gm.get(response.headers["location"], headers=owner.headers)
    del page
    with database.session() as session:
        assert session.query(SocialAccount).count() == 0
        assert session.query(PendingConnection).count() == 0
