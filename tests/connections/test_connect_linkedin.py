"""Connecting a LinkedIn member and the organization pages the member administers, over real
HTTP against the sandbox: the picker (API and dashboard form), reconnecting, disconnecting,
missing scopes, the picker's expiry and someone else's parked login."""

from __future__ import annotations

import html

import httpx2
from fastapi.testclient import TestClient

from growth_manager.db import Database
from growth_manager.models.accounts import AccountStatus, PendingConnection, SocialAccount
from growth_manager.models.business import BusinessMember, Role
from growth_manager.models.user import User
from tests.support.connecting import choose, finish, pending, start
from tests.support.connecting import park as park_at
from tests.support.consent import consent, read_form, with_scopes
from tests.support.factories import login_client
from tests.support.owners import Owner, make_owner
from tests.support.sandbox import SandboxHandle

MAYA = "mLq7Xw2Tz4"  # administers two organizations in the sandbox's seed
TOM = "tOk3Pn8Rb1"  # administers none


def park(gm: TestClient, owner: Owner, member: str = MAYA, drop: tuple[str, ...] = ()) -> str:
    """Sign in at LinkedIn as ``member`` and return the picker's pending token."""
    url = start(gm, owner, "linkedin")
    if drop:
        url = with_scopes(url, drop=drop)
    return park_at(gm, owner, url, choose={"member": member})


def keys_of(gm: TestClient, owner: Owner, token: str) -> list[str]:
    return [i["key"] for i in pending(gm, owner, token)["identities"]]


def userinfo(platforms: SandboxHandle, access_token: str) -> httpx2.Response:
    return httpx2.get(
        f"{platforms.url}/api.linkedin.com/v2/userinfo",
        headers={"Authorization": f"Bearer {access_token}"},
    )


def rows(database: Database) -> list[SocialAccount]:
    with database.session() as session:
        found = session.query(SocialAccount).order_by(SocialAccount.id).all()
        session.expunge_all()
        return found


def test_member_and_administered_organizations(
    gm: TestClient,
    owner: Owner,
    database: Database,
    fresh_sandbox: SandboxHandle,
) -> None:
    authorize_url = start(gm, owner, "linkedin")
    assert "/www.linkedin.com/oauth/v2/authorization" in authorize_url
    response = finish(gm, owner, consent(authorize_url))
    assert response.status_code == 303
    token = response.headers["location"].rsplit("/", 1)[1]
    identities = pending(gm, owner, token)["identities"]
    kinds = sorted(i["kind"] for i in identities)
    assert kinds == ["member", "organization", "organization"]  # Maya runs both seeded pages
    member = next(i for i in identities if i["kind"] == "member")
    assert member["external_id"] == f"urn:li:person:{MAYA}"
    organization = next(i for i in identities if i["kind"] == "organization")
    assert organization["external_id"].startswith("urn:li:organization:")

    connected = choose(gm, owner, token, [member["key"], organization["key"]])
    assert {a["kind"] for a in connected} == {"member", "organization"}
    for account in connected:
        assert account["status"] == "active"
        assert account["missing_publish_scopes"] == []
        assert account["missing_analytics_scopes"] == []
        assert account["reconnect_by"] is not None  # the refresh token's 365-day end
    stored = rows(database)
    assert len(stored) == 2  # the unticked organization was not connected
    # One login: both identities share its tokens, and the refresh token is kept.
    assert stored[0].access_token == stored[1].access_token
    assert all(r.refresh_token for r in stored)
    with database.session() as session:
        assert session.query(PendingConnection).count() == 0
    # The stored token is the member's real token at LinkedIn.
    assert userinfo(fresh_sandbox, stored[0].access_token or "").json()["sub"] == MAYA


def test_a_member_with_many_pages_is_offered_every_one(
    gm: TestClient, owner: Owner, fresh_sandbox: SandboxHandle
) -> None:
    """organizationAcls answers ten elements unless asked for more: the picker lists all."""
    made = httpx2.post(
        f"{fresh_sandbox.url}/_sandbox/accounts",
        json={"platform": "linkedin", "count": 12, "posts": 0, "owner": MAYA},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    urns = {o["urn"] for o in made.json()["accounts"]}
    truth = httpx2.get(f"{fresh_sandbox.url}/_sandbox/accounts?platform=linkedin").json()
    maya = next(a for a in truth["accounts"] if a["kind"] == "member" and a["id"] == MAYA)
    administered = {a["organization"] for a in maya["administers"]}
    assert urns < administered
    assert len(administered) == 14
    identities = pending(gm, owner, park(gm, owner))["identities"]
    offered = {i["external_id"] for i in identities if i["kind"] == "organization"}
    assert offered == administered


def test_the_dashboard_picker_form_connects_the_ticked_identities(
    gm: TestClient,
    owner: Owner,
    database: Database,
) -> None:
    token = park(gm, owner)
    with database.session() as session:
        user = session.get(User, owner.user_id)
        assert user is not None
        session.expunge(user)
    csrf = login_client(gm, user)
    picker = gm.get(f"/businesses/{owner.business_id}/connections/choose/{token}")
    assert picker.status_code == 200
    text = " ".join(html.unescape(picker.text).split())
    assert "Choose what to connect" in text
    assert "Juniper & Rye Bakery" in text
    assert "Northwind Coffee Roasters" in text
    keys = keys_of(gm, owner, token)
    organizations = [k for k in keys if ":urn:li:organization:" in k]
    # The login sees the member and both pages; none starts ticked, and the page says so.
    form = read_form(picker.text)
    assert sorted(form.checkboxes["identities"]) == sorted(keys)
    assert form.checked == {}
    assert "Nothing is ticked yet" in text

    # Nothing ticked: back to the picker with a message, nothing stored, the choice kept.
    empty = gm.post(
        f"/businesses/{owner.business_id}/connections/choose/{token}",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert empty.status_code == 303
    assert empty.headers["location"].endswith(f"/connections/choose/{token}")
    assert "Choose at least one" in " ".join(
        html.unescape(gm.get(empty.headers["location"]).text).split()
    )
    assert rows(database) == []

    response = gm.post(
        f"/businesses/{owner.business_id}/connections/choose/{token}",
        data={"csrf_token": csrf, "identities": organizations},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/businesses/{owner.business_id}/connections"
    landing = " ".join(html.unescape(gm.get(response.headers["location"]).text).split())
    assert (
        "Connected Juniper & Rye Bakery (LinkedIn), Northwind Coffee Roasters (LinkedIn)" in landing
    )
    stored = rows(database)
    assert sorted(r.external_id for r in stored) == sorted(
        k.split(":", 1)[1] for k in organizations
    )
    assert {r.kind for r in stored} == {"organization"}
    assert {r.status for r in stored} == {AccountStatus.active}

    # Signing in again: what is connected here starts ticked (a reconnect), the rest does not.
    again = park(gm, owner)
    picker = gm.get(f"/businesses/{owner.business_id}/connections/choose/{again}")
    form = read_form(picker.text)
    assert sorted(form.checked["identities"]) == sorted(organizations)
    assert "Only the accounts already connected" in html.unescape(picker.text)


def test_connecting_the_same_member_twice_is_one_account(
    gm: TestClient,
    owner: Owner,
    database: Database,
) -> None:
    token = park(gm, owner)
    first = {a["external_id"]: a["id"] for a in choose(gm, owner, token, keys_of(gm, owner, token))}
    token = park(gm, owner)
    assert all(i["already_connected"] for i in pending(gm, owner, token)["identities"])
    second = {
        a["external_id"]: a["id"] for a in choose(gm, owner, token, keys_of(gm, owner, token))
    }
    assert second == first
    assert len(rows(database)) == 3


def test_reconnect_keeps_the_row_and_the_refresh_token_when_the_answer_has_none(
    gm: TestClient,
    owner: Owner,
    database: Database,
    fresh_sandbox: SandboxHandle,
) -> None:
    token = park(gm, owner)
    member_key = f"linkedin:urn:li:person:{MAYA}"
    (account,) = choose(gm, owner, token, [member_key])
    (before,) = rows(database)
    assert before.refresh_token
    with database.session() as session:
        row = session.get(SocialAccount, account["id"])
        assert row is not None
        row.status = AccountStatus.reauth_required
        row.status_reason = "LinkedIn refused the token"

    # LinkedIn hands out refresh tokens only to approved partners: this answer has none.
    fresh_sandbox.ctx.overrides["linkedin"] = {"refresh_tokens": False}
    token = park(gm, owner)
    (again,) = choose(gm, owner, token, [member_key])
    assert again["id"] == account["id"]
    (after,) = rows(database)
    assert after.id == before.id
    assert after.access_token != before.access_token  # the new login's token
    assert after.refresh_token == before.refresh_token  # never wiped by a reconnect
    assert after.refresh_expires_at == before.refresh_expires_at
    assert after.status == AccountStatus.active
    assert after.status_reason is None
    assert userinfo(fresh_sandbox, after.access_token or "").status_code == 200


def test_disconnect_revokes_at_linkedin_and_deletes_the_tokens(
    gm: TestClient,
    owner: Owner,
    database: Database,
    fresh_sandbox: SandboxHandle,
) -> None:
    token = park(gm, owner, member=TOM)
    assert keys_of(gm, owner, token) == [f"linkedin:urn:li:person:{TOM}"]  # Tom runs no pages
    (account,) = choose(gm, owner, token, keys_of(gm, owner, token))
    (stored,) = rows(database)
    access = stored.access_token or ""
    assert userinfo(fresh_sandbox, access).status_code == 200

    response = gm.delete(
        f"/api/v1/businesses/{owner.business_id}/accounts/{account['id']}", headers=owner.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "disconnected"
    refused = userinfo(fresh_sandbox, access)
    assert refused.status_code == 401  # revoked at LinkedIn, not only forgotten here
    assert refused.json()["serviceErrorCode"] == 65601
    (after,) = rows(database)
    assert after.id == stored.id  # the row stays, for its posts and analytics history
    assert after.status == AccountStatus.disconnected
    assert after.access_token is None
    assert after.refresh_token is None


def test_disconnecting_the_member_keeps_its_organizations_working(
    gm: TestClient,
    owner: Owner,
    database: Database,
    fresh_sandbox: SandboxHandle,
) -> None:
    """The member and its pages were connected with one login, so they share its token:
    revoking it for the member would silently cut the pages too."""
    token = park(gm, owner)
    accounts = {a["kind"]: a for a in choose(gm, owner, token, keys_of(gm, owner, token))}
    shared = rows(database)[0].access_token or ""
    response = gm.delete(
        f"/api/v1/businesses/{owner.business_id}/accounts/{accounts['member']['id']}",
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    assert userinfo(fresh_sandbox, shared).status_code == 200  # still valid for the pages
    by_kind = {r.kind: r for r in rows(database)}
    assert by_kind["member"].access_token is None
    assert by_kind["organization"].access_token == shared
    assert by_kind["organization"].status == AccountStatus.active

    # Disconnecting the last account on that token revokes it at LinkedIn.
    for row in rows(database):
        if row.status != AccountStatus.disconnected:
            gm.delete(
                f"/api/v1/businesses/{owner.business_id}/accounts/{row.id}", headers=owner.headers
            )
    assert userinfo(fresh_sandbox, shared).status_code == 401


def test_publishing_scopes_without_analytics_connect_and_say_what_is_missing(
    gm: TestClient,
    owner: Owner,
    database: Database,
) -> None:
    token = park(gm, owner, drop=("r_member_postAnalytics",))
    member_key = f"linkedin:urn:li:person:{MAYA}"
    picker = gm.get(
        f"/businesses/{owner.business_id}/connections/choose/{token}", headers=owner.headers
    )
    assert "Publishing works; analytics also need r_member_postAnalytics." in html.unescape(
        picker.text
    )
    (account,) = choose(gm, owner, token, [member_key])
    assert account["status"] == "active"
    assert account["missing_publish_scopes"] == []
    assert account["missing_analytics_scopes"] == ["r_member_postAnalytics"]
    page = gm.get(f"/businesses/{owner.business_id}/connections", headers=owner.headers)
    text = " ".join(html.unescape(page.text).split())
    assert "Publishing ✓" in text
    assert "Analytics missing: r_member_postAnalytics" in text


def test_another_owners_parked_login_is_refused(
    gm: TestClient,
    owner: Owner,
    database: Database,
) -> None:
    """A co-owner of the same business can't take over someone else's LinkedIn login."""
    token = park(gm, owner)
    keys = keys_of(gm, owner, token)
    colleague = make_owner(database, email="colleague@example.com", name="Elsewhere")
    with database.session() as session:
        session.add(
            BusinessMember(
                business_id=owner.business_id, user_id=colleague.user_id, role=Role.owner
            )
        )
    url = f"/api/v1/businesses/{owner.business_id}/connections/pending/{token}"
    assert gm.get(url, headers=colleague.headers).status_code == 400
    taken = gm.post(url, json={"identities": keys}, headers=colleague.headers)
    assert taken.status_code == 400, taken.text
    with database.session() as session:
        assert session.query(SocialAccount).count() == 0
    # Still the owner's to use.
    assert len(choose(gm, owner, token, keys)) == 3
