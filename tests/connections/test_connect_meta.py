"""Connecting Facebook Pages and Instagram through one Facebook Login, over real HTTP against
the sandbox: long-lived token, Pages with page tokens, the linked Instagram account, the
picker, reconnecting, and disconnecting without breaking a sibling that shares a token."""

from __future__ import annotations

import html

import httpx2
from fastapi.testclient import TestClient

from growth_manager.db import Database
from growth_manager.models.accounts import AccountStatus, PendingConnection, SocialAccount
from tests.support.connecting import choose, finish, landing_text, park, pending, start
from tests.support.consent import consent, with_scopes
from tests.support.owners import Owner
from tests.support.sandbox import SandboxHandle


def login(
    gm: TestClient,
    owner: Owner,
    platform: str = "facebook",
    drop: tuple[str, ...] = (),
) -> str:
    """Walk the Facebook Login (without the ``drop``ped permissions) and return the picker's
    pending token."""
    authorize_url = start(gm, owner, platform)
    assert "/www.facebook.com/v23.0/dialog/oauth" in authorize_url
    if drop:
        authorize_url = with_scopes(authorize_url, drop=drop)
    return park(gm, owner, authorize_url)


def test_pages_and_their_instagram_account_are_offered_and_connected(
    gm: TestClient,
    owner: Owner,
    database: Database,
    fresh_sandbox: SandboxHandle,
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
    gm: TestClient,
    owner: Owner,
    database: Database,
) -> None:
    from tests.support.owners import make_owner

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
    gm: TestClient,
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
    gm: TestClient,
    owner: Owner,
    database: Database,
    fresh_sandbox: SandboxHandle,
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


FLORIST_PAGE = "108820000000001"  # Dana's Page with the linked Instagram business account
FLORIST_IG = "17841400000000101"


def graph(platforms: SandboxHandle, node: str, token: str) -> httpx2.Response:
    return httpx2.get(
        f"{platforms.url}/graph.facebook.com/v23.0/{node}",
        params={"access_token": token, "fields": "id"},
    )


def test_connecting_only_the_instagram_account(
    gm: TestClient,
    owner: Owner,
    database: Database,
    fresh_sandbox: SandboxHandle,
) -> None:
    token = login(gm, owner, "instagram")
    listing = pending(gm, owner, token)
    assert listing["platform"] == "instagram"
    ig = next(i for i in listing["identities"] if i["platform"] == "instagram")
    assert ig["external_id"] == FLORIST_IG
    assert ig["parent_external_id"] == FLORIST_PAGE
    (account,) = choose(gm, owner, token, [ig["key"]])
    assert account["platform"] == "instagram"
    assert account["kind"] == "instagram_business"
    assert account["parent_external_id"] == FLORIST_PAGE
    assert account["status"] == "active"
    with database.session() as session:
        (row,) = session.query(SocialAccount).all()
        assert row.platform == "instagram"
        assert row.parent_external_id == FLORIST_PAGE
        assert row.expires_at is None
        assert row.access_token
        # The Instagram account is reached with its Page's token.
        assert graph(fresh_sandbox, FLORIST_IG, row.access_token).status_code == 200


def test_connecting_the_same_page_twice_is_one_account(
    gm: TestClient,
    owner: Owner,
    database: Database,
) -> None:
    key = f"facebook:{FLORIST_PAGE}"
    (first,) = choose(gm, owner, login(gm, owner), [key])
    (second,) = choose(gm, owner, login(gm, owner), [key])
    assert second["id"] == first["id"]
    with database.session() as session:
        assert session.query(SocialAccount).count() == 1


def test_unticking_every_page_in_the_dialog_connects_nothing(
    gm: TestClient,
    owner: Owner,
    database: Database,
) -> None:
    callback = consent(start(gm, owner, "facebook"), choose={"page_ids": []})
    response = finish(gm, owner, callback)
    assert response.headers["location"] == f"/businesses/{owner.business_id}/connections"
    text = landing_text(gm, owner, response)
    assert "This login has no Facebook Pages you granted access to" in text
    with database.session() as session:
        assert session.query(SocialAccount).count() == 0
        assert session.query(PendingConnection).count() == 0


def test_an_instagram_account_without_its_publish_permission_cant_be_picked(
    gm: TestClient,
    owner: Owner,
    database: Database,
) -> None:
    token = login(gm, owner, drop=("instagram_content_publish",))
    identities = {i["platform"]: i for i in pending(gm, owner, token)["identities"]}
    assert identities["instagram"]["missing_publish_scopes"] == ["instagram_content_publish"]
    assert identities["facebook"]["missing_publish_scopes"] == []
    refused = gm.post(
        f"/api/v1/businesses/{owner.business_id}/connections/pending/{token}",
        json={"identities": [identities["facebook"]["key"], identities["instagram"]["key"]]},
        headers=owner.headers,
    )
    assert refused.status_code == 400
    assert "missing permissions instagram_content_publish" in refused.json()["detail"]
    with database.session() as session:
        assert session.query(SocialAccount).count() == 0  # not half of the choice either
    # The Pages alone still connect with the same parked login.
    assert len(choose(gm, owner, token, [identities["facebook"]["key"]])) == 1


def test_publishing_without_analytics_permissions_connects_and_shows_the_gap(
    gm: TestClient,
    owner: Owner,
    database: Database,
) -> None:
    token = login(
        gm,
        owner,
        drop=("read_insights", "pages_read_user_engagement", "instagram_manage_insights"),
    )
    keys = [f"facebook:{FLORIST_PAGE}", f"instagram:{FLORIST_IG}"]
    accounts = {a["platform"]: a for a in choose(gm, owner, token, keys)}
    assert {a["status"] for a in accounts.values()} == {"active"}
    assert accounts["facebook"]["missing_publish_scopes"] == []
    assert accounts["facebook"]["missing_analytics_scopes"] == [
        "read_insights",
        "pages_read_user_engagement",
    ]
    assert accounts["instagram"]["missing_analytics_scopes"] == ["instagram_manage_insights"]
    page = gm.get(f"/businesses/{owner.business_id}/connections", headers=owner.headers)
    text = " ".join(html.unescape(page.text).split())
    assert "Analytics missing: read_insights, pages_read_user_engagement" in text
    assert "Analytics missing: instagram_manage_insights" in text


def test_disconnect_deletes_the_page_token_and_says_how_to_remove_the_grant(
    gm: TestClient,
    owner: Owner,
    database: Database,
) -> None:
    from growth_manager.models.user import User
    from tests.support.factories import login_client

    (account,) = choose(gm, owner, login(gm, owner), [f"facebook:{FLORIST_PAGE}"])
    with database.session() as session:
        user = session.get(User, owner.user_id)
        assert user is not None
        session.expunge(user)
    csrf = login_client(gm, user)
    response = gm.post(
        f"/businesses/{owner.business_id}/connections/{account['id']}/disconnect",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    text = " ".join(html.unescape(gm.get(response.headers["location"]).text).split())
    assert "Disconnected Harbor Lane Florist; its tokens are deleted." in text
    assert "remove Growth Manager in your account's app settings there" in text
    with database.session() as session:
        row = session.get(SocialAccount, account["id"])
        assert row is not None
        assert row.status == AccountStatus.disconnected
        assert row.access_token is None
        assert row.refresh_token is None
