"""Connecting a LinkedIn member and the organization pages the member administers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from growth_manager.db import Database
from growth_manager.models.accounts import SocialAccount
from tests.accounts.conftest import Owner
from tests.accounts.test_connect_meta import choose, pending
from tests.accounts.test_connect_x import finish, gm, start  # noqa: F401
from tests.sandbox.conftest import fresh_sandbox, sandbox  # noqa: F401
from tests.support.consent import consent


def test_member_and_administered_organizations(
    gm: TestClient,  # noqa: F811
    owner: Owner,
    database: Database,
) -> None:
    authorize_url = start(gm, owner, "linkedin")
    assert "/www.linkedin.com/oauth/v2/authorization" in authorize_url
    response = finish(gm, owner, consent(authorize_url))
    assert response.status_code == 303
    token = response.headers["location"].rsplit("/", 1)[1]
    identities = pending(gm, owner, token)["identities"]
    kinds = sorted(i["kind"] for i in identities)
    assert kinds.count("member") == 1
    assert kinds.count("organization") >= 1
    member = next(i for i in identities if i["kind"] == "member")
    assert member["external_id"].startswith("urn:li:person:")
    organization = next(i for i in identities if i["kind"] == "organization")
    assert organization["external_id"].startswith("urn:li:organization:")

    connected = choose(gm, owner, token, [member["key"], organization["key"]])
    assert {a["kind"] for a in connected} == {"member", "organization"}
    for account in connected:
        assert account["status"] == "active"
        assert account["missing_publish_scopes"] == []
        assert account["reconnect_by"] is not None  # the refresh token's 365-day end
    with database.session() as session:
        rows = session.query(SocialAccount).all()
        assert len(rows) == 2
        # One login: both identities share its tokens, and the refresh token is kept.
        assert rows[0].access_token == rows[1].access_token
        assert all(r.refresh_token for r in rows)
