"""The token-health panel lists what needs attention, soonest first, on Connections and the
business overview."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from growth_manager.accounts.health import needs_attention
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, SocialAccount
from growth_manager.models.user import User
from tests.accounts.conftest import Owner
from tests.support.factories import login_client


def _account(owner: Owner, **fields: object) -> SocialAccount:
    values: dict[str, object] = {
        "business_id": owner.business_id,
        "platform": "x",
        "kind": "user",
        "external_id": "1",
        "name": "Acme on X",
        "access_token": "a",
        "refresh_token": "r",
        "granted_scopes": ["tweet.read", "tweet.write", "users.read"],
        "expires_at": utcnow() + timedelta(hours=2),
    }
    values.update(fields)
    return SocialAccount(**values)


def test_attention_is_ordered_by_urgency(owner: Owner) -> None:
    now = utcnow()
    dead = _account(owner, external_id="1", name="Dead", status=AccountStatus.reauth_required)
    soon = _account(
        owner,
        platform="linkedin",
        kind="member",
        external_id="2",
        name="Soon",
        refresh_token=None,
        expires_at=now + timedelta(days=3),
        granted_scopes=["w_member_social", "r_member_postAnalytics"],
    )
    later = _account(
        owner,
        platform="linkedin",
        kind="member",
        external_id="3",
        name="Later",
        refresh_expires_at=now + timedelta(days=20),
        granted_scopes=["w_member_social", "r_member_postAnalytics"],
    )
    fine = _account(owner, external_id="4", name="Fine")
    no_analytics = _account(
        owner,
        platform="linkedin",
        kind="organization",
        external_id="5",
        name="Page",
        refresh_expires_at=now + timedelta(days=300),
        granted_scopes=["w_organization_social"],
    )
    items = needs_attention([fine, later, no_analytics, soon, dead], now)
    assert [i.account.name for i in items] == ["Dead", "Soon", "Later", "Page"]
    assert [i.severity for i in items] == ["danger", "danger", "warning", "info"]
    assert "rw_organization_admin" in items[-1].detail


def test_pages_show_what_needs_attention(
    client: TestClient, database: Database, owner: Owner
) -> None:
    with database.session() as session:
        session.add(
            _account(
                owner,
                status=AccountStatus.reauth_required,
                status_reason="x refused to renew the token: Value passed for the token was invalid.",
            )
        )
        user = session.get(User, owner.user_id)
        assert user is not None
        session.expunge(user)
    login_client(client, user)
    connections = client.get(f"/businesses/{owner.business_id}/connections")
    assert connections.status_code == 200
    assert "Needs attention" in connections.text
    assert "Reconnect now" in connections.text
    assert "Value passed for the token was invalid." in connections.text
    overview = client.get(f"/businesses/{owner.business_id}")
    assert overview.status_code == 200
    assert "1 account connected" in overview.text
    assert "Reconnect now" in overview.text
